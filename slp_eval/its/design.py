"""The segmented-regression design matrix: the one function every fit path uses.

    y_t = b0 + b1*t + sum_k [ b2k*D_k(t) + b3k*(t - T_k)*D_k(t) ] + seasonal + covariates + e_t

with t = 0 at the first period, D_k(t) = 1 from interruption k on (t >= T_k), and the trend change
centred at the interruption, as Stata's `itsa` (`_x_t1989`) and the corrected Lopez Bernal et al.
(2017) tutorial do. With comparison series (Linden 2015, multiple-group `itsa`) every term is also
interacted with the treated-unit indicator `group`; the programme effect is carried by the
`group:level_change[L]` and `group:trend_change[L]` terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from slp_eval.errors import ParameterError

Seasonality = str | Mapping[str, int] | None


@dataclass(frozen=True)
class Interruption:
    """An interruption: its label (`str()` of the value given) and position T_k on the t scale."""

    label: str
    position: int


def interruption_terms(interruption: Interruption, impact: str) -> list[str]:
    """Names of the level/trend-change terms of one interruption under `impact`."""
    terms = []
    if impact in ("level", "level+trend"):
        terms.append(f"level_change[{interruption.label}]")
    if impact in ("trend", "level+trend"):
        terms.append(f"trend_change[{interruption.label}]")
    return terms


def programme_terms(interruptions: Sequence[Interruption], impact: str,
                    controlled: bool) -> list[str]:
    """The terms that carry the effect of `interruptions` (zeroed for the counterfactual)."""
    terms = [term for k in interruptions for term in interruption_terms(k, impact)]
    return [f"group:{term}" for term in terms] if controlled else terms


def seasonal_terms(t: np.ndarray, month: np.ndarray | None,
                   seasonality: Seasonality) -> dict[str, np.ndarray]:
    """Calendar-month fixed effects (`month[2]`..`month[12]`, January the reference) or
    Fourier terms `sin1, cos1, ..., sinK, cosK` with angle 2*pi*k*t/period."""
    if seasonality is None:
        return {}
    if seasonality == "month":
        if month is None:
            raise ParameterError("seasonality='month' needs monthly data (rule: calendar-month "
                                 "fixed effects exist only for a monthly time column)")
        return {f"month[{m}]": (month == m).astype(float) for m in range(2, 13)}
    if isinstance(seasonality, Mapping) and set(seasonality) == {"fourier", "period"}:
        k_max, period = seasonality["fourier"], seasonality["period"]
        valid = all(isinstance(v, int) and not isinstance(v, bool) for v in (k_max, period))
        if valid and period >= 2 and k_max >= 1 and 2 * k_max < period:
            terms: dict[str, np.ndarray] = {}
            for k in range(1, k_max + 1):
                angle = 2 * np.pi * k * t / period
                terms[f"sin{k}"] = np.sin(angle)
                terms[f"cos{k}"] = np.cos(angle)
            return terms
        raise ParameterError(
            f"seasonality={dict(seasonality)!r}: fourier K and period must be integers with "
            "1 <= K and 2*K < period (e.g. {'fourier': 2, 'period': 12})")
    raise ParameterError(f"seasonality={seasonality!r} is not None, 'month' or "
                         "{'fourier': K, 'period': P}")


def build_design(t: np.ndarray, *, interruptions: Sequence[Interruption], impact: str,
                 treated: np.ndarray | None = None, month: np.ndarray | None = None,
                 seasonality: Seasonality = None,
                 covariates: pd.DataFrame | None = None,
                 index: pd.Index | None = None) -> pd.DataFrame:
    """The design matrix with the visible term names (see the module docstring).

    `t` is the period number (0 at the first period); `treated` the treated-unit indicator of a
    comparison-series design; `month` the calendar month of each row (for seasonality="month").
    """
    t = np.asarray(t, dtype=float)
    columns: dict[str, np.ndarray] = {"intercept": np.ones_like(t), "trend": t}
    for k in interruptions:
        after = (t >= k.position).astype(float)
        if impact in ("level", "level+trend"):
            columns[f"level_change[{k.label}]"] = after
        if impact in ("trend", "level+trend"):
            columns[f"trend_change[{k.label}]"] = (t - k.position) * after
    if treated is not None:
        g = np.asarray(treated, dtype=float)
        base = list(columns.items())
        for name, values in base:
            columns["group" if name == "intercept" else f"group:{name}"] = g * values
    columns.update(seasonal_terms(t, month, seasonality))
    design = pd.DataFrame(columns, index=index)
    if covariates is not None:
        clash = [c for c in covariates.columns if c in design.columns]
        if clash:
            raise ParameterError(f"covariates {clash!r} clash with design term names")
        design = pd.concat([design, covariates.set_axis(design.index).astype(float)], axis=1)
    return design
