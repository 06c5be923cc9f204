"""Funnel plots across providers with overdispersion adjustment (Spiegelhalter 2005).

Each unit i (a trust, an ICB) has a numerator O_i and a denominator n_i (people, or the expected
count E_i of an indirectly standardised ratio). On a variance-stabilising scale Y_i with standard
error s_i and target theta (the all-units value):

    proportion:  Y = asin(sqrt(O / n)),  s = 1 / (2 sqrt(n)),  theta = asin(sqrt(sum O / sum n))
    ratio (O/E), method "SHMI":  Y = log(O / E),  s = 1 / sqrt(E),  theta = 0
    ratio (O/E), method "CQC":   Y = sqrt(O / E), s = 1 / (2 sqrt(E)), theta = 1
    rate (O per exposure):  a ratio with E_i = exposure_i x sum O / sum exposure (indirect
                 standardisation to the all-units rate), drawn on the rate scale

    z_i = (Y_i - theta) / s_i           (SHMI: z_i = sqrt(E_i) log(O_i / E_i))
    Winsorised z: z below its 10th / above its 90th percentile set to that percentile (`trim`);
                  SHMI truncates instead (drops the units in the outer tenths)
    phi = (1 / m) sum z_w^2             (the overdispersion ratio over the m units kept)
    tau^2 = max(0, (m phi - (m - 1)) / (sum w - sum w^2 / sum w)),  w = 1 / s^2
    limits at n:  "additive" (random effects):  theta -/+ z_a sqrt(s(n)^2 + tau^2)
                  "multiplicative":            theta -/+ z_a sqrt(phi) s(n)
                  "none":                      theta -/+ z_a s(n); exact Poisson for ratios
    back-transformed (sin^2, exp, ^2), z_a = 1.959964 (95%) and 3.090232 (99.8%)

Spiegelhalter DJ (2005), "Funnel plots for comparing institutional performance", Stat Med
24:1185-1202, and "Handling over-dispersion of performance indicators", Qual Saf Health Care
14:347-351. The transformations, the Winsorising, the SHMI truncation, phi, tau^2 and the rule
that no adjustment is made when phi <= 1 are those of NHS-R's FunnelPlotR 0.6 (`od_adjustment.R`,
`calculate_limits.R`, `funnel_plot.R`), whose numbers the tests replay; the multiplicative
option is Spiegelhalter's own (FunnelPlotR draws the additive limits only). Where FunnelPlotR
makes an arcsine limit monotone by looking at the next denominator of its plotting grid, this
module cuts it where the transformed limit leaves [0, pi/2], which is the same limit without a
grid. FunnelPlotR leaves the CQC method's adjusted limits on the square-root scale
(1 -/+ z sqrt(s^2 + tau^2)); here they are squared back to the ratio scale, as the transform
requires (the z-scores, phi and tau^2 are FunnelPlotR's exactly). Hand-written because no
Python library implements these funnels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.tidy import DisplayResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FunnelKind = Literal["proportion", "ratio", "rate"]
Overdispersion = Literal["additive", "multiplicative", "none"]
#: Two-sided 95% and 99.8% normal quantiles, as FunnelPlotR writes them.
Z95, Z998 = 1.959964, 3.090232
POSITIONS = ("above 99.8%", "above 95%", "within 95%", "below 95%", "below 99.8%")


@dataclass(frozen=True, repr=False)
class FunnelResult(DisplayResult):
    """A funnel plot: one row per unit (`to_frame()` / `summary_frame()`) with its value, z-scores,
    limits at its own denominator and its position, the overdispersion estimates (`phi`,
    `tau2`) and `limits(denominators)` for the funnel's curves."""

    frame: pd.DataFrame
    kind: FunnelKind
    method: str
    overdispersion: Overdispersion
    #: Whether the limits are adjusted (False when phi <= 1 or overdispersion="none").
    adjusted: bool
    phi: float
    tau2: float
    target: float
    multiply: float
    trim: float
    numerator: str
    denominator: str
    unit: str
    highlight: tuple[str, ...] = ()
    messages: tuple[str, ...] = field(default_factory=tuple)
    #: The all-units rate of a "rate" funnel (E_i = exposure_i x this), else None.
    base_rate: float | None = None

    @property
    def centre(self) -> float:
        """The funnel's centre line on the reported scale (the all-units value times `multiply`)."""
        return self.multiply * (self.target if self.base_rate is None else self.base_rate)

    def to_frame(self) -> pd.DataFrame:
        """One row per unit: unit, numerator, denominator, value, z, z_winsorised, z_adjusted,
        ll95, ul95, ll998, ul998, position, highlight."""
        return self.frame.copy()

    def summary_frame(self) -> pd.DataFrame:
        """The per-unit frame (as `to_frame()`)."""
        return self.to_frame()

    def _header(self) -> str:
        return (
            f"FunnelResult: {self.kind} funnel of {len(self.frame)} units, "
            f"{'adjusted (' + self.overdispersion + ')' if self.adjusted else 'unadjusted'}"
        )

    def summary(self) -> str:
        """The overdispersion found, the units beyond the limits, and each highlighted unit."""
        counts = self.frame["position"].value_counts()
        text = (
            f"{len(self.frame)} units; overdispersion ratio phi = {self.phi:.3g}"
            + (f", between-unit variance tau² = {self.tau2:.3g}" if self.overdispersion == "additive" else "")
            + (
                f"; limits adjusted ({self.overdispersion})."
                if self.adjusted
                else "; limits not adjusted"
                + (
                    " (phi <= 1: no overdispersion)."
                    if self.phi <= 1 and self.overdispersion != "none"
                    else "."
                )
            )
        )
        text += (
            f" {int(counts.get('above 99.8%', 0))} above and {int(counts.get('below 99.8%', 0))} below the "
            f"99.8% limits; {int(counts.get('above 95%', 0))} more above and "
            f"{int(counts.get('below 95%', 0))} below the 95% limits."
        )
        for _, row in self.frame[self.frame["highlight"]].iterrows():
            text += (f"\n{row['unit']}: {row['value']:.4g}, {row['position']} limits "
                     f"(z = {row['z_adjusted']:.2f}).")
        return text

    def limits(self, denominators: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """The funnel's 95% and 99.8% limits (ll95, ul95, ll998, ul998) at each denominator."""
        n = np.asarray(denominators, dtype=float)
        out = {"denominator": n}
        for name, z in (("95", Z95), ("998", Z998)):
            low, high = _limits(self, n, z)
            out[f"ll{name}"], out[f"ul{name}"] = low, high
        return pd.DataFrame(out)

    def plot(self, ax: Any = None, *, title: str | None = None, label: str | None = None) -> Figure:
        """The funnel plot (see `slp_eval.plots.funnel.plot_funnel`)."""
        from slp_eval.plots.funnel import plot_funnel

        return plot_funnel(self, ax=ax, title=title, label=label)


def _scale(kind: str, method: str, n: np.ndarray) -> np.ndarray:
    """Within-unit standard error s on the transformed scale at denominator (or expected) n."""
    return 1 / np.sqrt(n) if (kind != "proportion" and method == "SHMI") else 1 / (2 * np.sqrt(n))


def _limits(result: FunnelResult, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits at denominators n on the reported scale (times `multiply`)."""
    kind, method, m = result.kind, result.method, result.multiply
    ratio_scale = 1.0 if result.base_rate is None else result.base_rate
    if result.kind != "proportion" and result.base_rate is not None:
        n = n * result.base_rate  # a rate's exposure -> its expected count
    s = _scale(kind, method, n)
    if result.adjusted and result.overdispersion == "multiplicative":
        spread = z * np.sqrt(result.phi) * s
    else:
        spread = z * np.sqrt(s**2 + (result.tau2 if result.adjusted else 0.0))
    if kind == "proportion":
        theta = np.arcsin(np.sqrt(result.target))
        low = np.where(theta - spread <= 0, 0.0, np.sin(np.clip(theta - spread, 0, np.pi / 2)) ** 2)
        high = np.where(theta + spread >= np.pi / 2, 1.0, np.sin(np.clip(theta + spread, 0, np.pi / 2)) ** 2)
        return m * low, m * high
    if not result.adjusted:  # exact Poisson limits of O/E (FunnelPlotR's chi-square form)
        q = 0.025 if z == Z95 else 0.001
        low = stats.chi2.ppf(q, 2 * n) / 2 / n
        high = stats.chi2.ppf(1 - q, 2 * (n + 1)) / 2 / n
    elif method == "SHMI":
        low, high = np.exp(-spread), np.exp(spread)
    else:
        low, high = (1 - spread) ** 2, (1 + spread) ** 2
        low = np.where(1 - spread < 0, 0.0, low)
    return m * ratio_scale * low, m * ratio_scale * high


def _quantile7(values: np.ndarray, q: float) -> float:
    """R's default quantile (type 7), which is numpy's default ("linear")."""
    return float(np.quantile(values, q))


def funnel(
    data: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    unit: str,
    kind: FunnelKind = "proportion",
    overdispersion: Overdispersion = "additive",
    method: Literal["SHMI", "CQC"] = "CQC",
    trim: float = 0.1,
    multiply: float = 1.0,
    highlight: Sequence[str] = (),
) -> FunnelResult:
    """A funnel plot of `numerator` / `denominator` across the units of `unit` (module docstring).

    Rows of one unit are summed first (as FunnelPlotR's aggregate). `kind`: "proportion" (people
    with / people), "ratio" (observed / expected, indirectly standardised; `method` "SHMI" or
    "CQC") or "rate" (events / exposure). `overdispersion`: "additive" (Spiegelhalter's random
    effects tau^2, as FunnelPlotR), "multiplicative" (phi) or "none". `highlight` names the units
    a report speaks about (e.g. the SLP trusts). ModelInputError for a unit with a denominator
    not above 0, a negative numerator, a share above 1, or fewer than 3 units; ParameterError for
    a bad option or a highlighted unit that is not in the data.
    """
    if kind not in ("proportion", "ratio", "rate"):
        raise ParameterError(f"funnel: kind must be proportion, ratio or rate; found {kind!r}")
    if overdispersion not in ("additive", "multiplicative", "none"):
        raise ParameterError(
            f"funnel: overdispersion must be additive, multiplicative or none; found {overdispersion!r}"
        )
    if method not in ("SHMI", "CQC"):
        raise ParameterError(f"funnel: method must be SHMI or CQC; found {method!r}")
    if not 0 <= trim < 0.5:
        raise ParameterError(f"funnel: trim must be at least 0 and below 0.5; found {trim!r}")
    for column in (numerator, denominator, unit):
        if column not in data.columns:
            raise ModelInputError(f"funnel: column {column!r} not in the data")
    frame = data[[unit, numerator, denominator]].copy()
    for column in (numerator, denominator):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    missing = frame[[numerator, denominator]].isna().any(axis=1)
    messages = []
    if missing.any():
        left_out = sorted(map(str, frame.loc[missing, unit].unique()))
        messages.append(
            f"{len(left_out)} unit(s) with a missing numerator or denominator (suppressed at "
            f"source or not reported) left out: {', '.join(left_out)}"
        )
        frame = frame[~missing]
    agg = frame.groupby(unit, sort=True)[[numerator, denominator]].sum().reset_index()
    units, o, n = (
        agg[unit].astype(str).to_numpy(),
        agg[numerator].to_numpy(float),
        agg[denominator].to_numpy(float),
    )
    if len(units) < 3:
        raise ModelInputError(f"funnel: {len(units)} unit(s) with data; a funnel needs at least 3")
    for rule, bad in (
        (f"{denominator!r} is not above 0", n <= 0),
        (f"{numerator!r} is negative", o < 0),
        (f"{numerator!r} exceeds {denominator!r}", (o > n) if kind == "proportion" else o < 0),
    ):
        if bad.any():
            raise ModelInputError(f"funnel: unit {units[np.flatnonzero(bad)[0]]!r}: {rule}")
    unknown = [h for h in highlight if h not in set(units)]
    if unknown:
        raise ParameterError(
            f"funnel: highlight names unit(s) not in the data: {', '.join(map(repr, unknown))}"
        )

    base_rate = float(o.sum() / n.sum()) if kind == "rate" else None
    expected = n * base_rate if base_rate is not None else n
    if kind == "proportion":
        target = float(o.sum() / n.sum())
        y_t, theta = np.arcsin(np.sqrt(o / n)), np.arcsin(np.sqrt(target))
        s = 1 / (2 * np.sqrt(n))
        z = (y_t - theta) / s
        method_used = "arcsine"
    else:
        target = 1.0
        if method == "SHMI":
            with np.errstate(divide="ignore"):
                z = np.sqrt(expected) * np.log(o / expected)
            s, y_t, theta = 1 / np.sqrt(expected), np.log(o / expected), 0.0
        else:
            y_t, theta, s = np.sqrt(o / expected), 1.0, 1 / (2 * np.sqrt(expected))
            z = (y_t - theta) / s
        method_used = method
    if not np.isfinite(z).all():
        raise ModelInputError(
            "funnel: a unit with no events has no log ratio; use method 'CQC' for these data"
        )
    if kind != "proportion" and method == "SHMI":  # truncation (FunnelPlotR's `truncation`)
        groups = 1 / trim if trim else np.inf
        rank = stats.rankdata(z, method="average")
        band = np.floor(rank * groups / (len(z) + 1))
        kept = (band > 0) & (band < groups - 1) if trim else np.ones(len(z), bool)
        z_w = np.where(kept, z, np.nan)
    else:
        low, high = _quantile7(z, trim), _quantile7(z, 1 - trim)
        z_w = np.clip(z, low, high)
        kept = np.ones(len(z), bool)
    m = int(kept.sum())
    phi = float(np.sum(z_w[kept] ** 2) / m)
    w = 1 / s[kept] ** 2
    tau2 = 0.0 if m * phi < m - 1 else max(0.0, (m * phi - (m - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    adjusted = overdispersion != "none" and phi > 1
    if overdispersion != "none" and not adjusted:
        messages.append(f"no overdispersion (phi = {phi:.3g} <= 1): limits not adjusted")
    if adjusted and overdispersion == "multiplicative":
        z_adj = z / np.sqrt(phi)
    elif adjusted:
        z_adj = (y_t - theta) / np.sqrt(s**2 + tau2)
    else:
        z_adj = z
    ratio = o / expected if kind != "proportion" else o / n
    result = FunnelResult(
        frame=pd.DataFrame(),
        kind=kind,
        method=method_used,
        overdispersion=overdispersion,
        adjusted=adjusted,
        phi=phi,
        tau2=float(tau2),
        target=target if kind != "rate" else 1.0,
        multiply=float(multiply),
        trim=float(trim),
        numerator=numerator,
        denominator=denominator,
        unit=unit,
        highlight=tuple(highlight),
        messages=tuple(messages),
        base_rate=base_rate,
    )
    lim = result.limits(n)
    value = multiply * ratio * (base_rate if base_rate is not None else 1.0)
    position = np.select(
        [value > lim["ul998"], value > lim["ul95"], value < lim["ll998"], value < lim["ll95"]],
        ["above 99.8%", "above 95%", "below 99.8%", "below 95%"],
        "within 95%",
    )
    out = pd.DataFrame(
        {
            "unit": units,
            "numerator": o,
            "denominator": n,
            "value": value,
            "z": z,
            "z_winsorised": z_w,
            "z_adjusted": z_adj,
            "ll95": lim["ll95"],
            "ul95": lim["ul95"],
            "ll998": lim["ll998"],
            "ul998": lim["ul998"],
            "position": position,
            "highlight": np.isin(units, list(highlight)),
        }
    )
    return replace(result, frame=out)


__all__ = ["POSITIONS", "Z95", "Z998", "FunnelKind", "FunnelResult", "Overdispersion", "funnel"]
