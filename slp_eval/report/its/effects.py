"""Effects against the counterfactual: at each horizon, within a horizon no longer than the
pre-period, over the whole post-period, and the pointwise and cumulative path.
"""


import numpy as np
import pandas as pd

from slp_eval.its import ITSResult
from slp_eval.its.text import unit_name
from slp_eval.params.its import ITSParams
from slp_eval.report.its.controlled import _total
from slp_eval.report.its.wording import level_suffix, quantity, unit_suffix

__all__ = ["effect_path", "effects", "effects_table", "horizon_effect"]


def effects(result: ITSResult, horizons: list[int], params: ITSParams | None = None) -> pd.DataFrame:
    """Effect versus the counterfactual at each horizon that exists, then over the whole post
    period: summed for counts (log link: bed days avoided), at the last period for levels and
    shares, whose sum over periods has no meaning. When the post-period is longer than the
    pre-period, also over a horizon no longer than the pre-period (`horizon_effect`).

    With `params`, the cumulative fitted total of a log-link model is disclosure-controlled: a
    Poisson-type fit with a level-change term reproduces the observed post-period total exactly."""
    cf = result.counterfactual()
    last_h = int(cf["t"].max()) - result.interruptions[0].position
    shown = [h for h in horizons if 0 <= h <= last_h]
    within = horizon_effect(result)
    if result.fit.link == "log":
        total = result.cumulative_effect()
        frames = [result.effect_at(h) for h in shown] + ([] if within is None else [within]) + [
            total.assign(period=total["from_period"].astype(str) + " to "
                         + total["to_period"].astype(str), h="cumulative")]
    else:
        extra = {last_h} | (set() if within is None else {int(within["h"].iloc[0])})
        frames = [result.effect_at(h) for h in sorted(set(shown) | extra)]
    out = pd.concat(frames, ignore_index=True)
    out["period"] = out["period"].astype(str)
    out["when"] = [f"{h} periods after" if isinstance(h, int | np.integer) else h for h in out["h"]]
    if params is not None and result.fit.link == "log":
        cumulative = out["h"] == "cumulative"
        out["fitted"] = out["fitted"].astype(object)
        out.loc[cumulative, "fitted"] = [_total(v, params) for v in out.loc[cumulative, "fitted"]]
    relative = out["term"] == "relative_effect"
    out.loc[relative, ["estimate", "ci_low", "ci_high"]] *= 100.0
    out["term"] = out["term"].map({"absolute_effect": "absolute", "relative_effect": "relative (%)"})
    keep = ["when", "period", "term", "fitted", "counterfactual", "estimate", "ci_low", "ci_high"]
    return out[keep].rename(columns={"term": "effect", "ci_low": "CI low", "ci_high": "CI high"})


def _pre_post(result: ITSResult) -> tuple[int, int]:
    """Fitted periods before the first interruption, and periods from it to the end (every one
    of which the counterfactual is projected to)."""
    cf = result.counterfactual()
    first = result.interruptions[0].position
    return int(((cf["t"] < first) & cf["in_fit"]).sum()), int((cf["t"] >= first).sum())


def horizon_effect(result: ITSResult) -> pd.DataFrame | None:
    """When the post-period is longer than the pre-period, the effect over its first n_pre
    periods (n_pre: fitted periods before the first interruption): summed for counts (log link),
    at the last of those periods for levels and shares. None otherwise. Rows as `effect_at`,
    `h` the label the effects table shows."""
    n_pre, n_post = _pre_post(result)
    if n_post <= n_pre or n_pre < 1:
        return None
    if result.fit.link == "log":
        within = result.cumulative_effect(periods=n_pre)
        return within.assign(
            period=within["from_period"].astype(str) + " to " + within["to_period"].astype(str),
            h=f"cumulative, first {n_pre} periods")
    return result.effect_at(n_pre - 1)


def effects_table(result: ITSResult, horizons: list[int], params: ITSParams,
                  series: pd.DataFrame) -> pd.DataFrame:
    """`effects` for a reader: one row per horizon, values in the outcome's units (counts
    whole) with the absolute and the relative (%) effect in their own columns, one scale each,
    as the answer box and the effect figure print them. Every cell is text.

    The counterfactual total over the whole post-period of a log-link fit is "withheld" when
    its fitted total is controlled: the fitted total is that counterfactual plus the effect."""
    tidy = effects(result, horizons, params)
    level = round(100 * (1 - result.spec.alpha))
    unit, suffix, levels = unit_name(result), unit_suffix(params), level_suffix(params)
    rows = []
    for (when, period), part in tidy.groupby(["when", "period"], sort=False):
        absolute = part[part["effect"] == "absolute"].iloc[0]
        relative = part[part["effect"] == "relative (%)"].iloc[0]
        fitted = absolute["fitted"]
        counterfactual = quantity(absolute["counterfactual"], params, series)
        if when == "cumulative" and result.fit.link == "log" and params.disclosure.in_effect:
            counterfactual = "withheld"
        rows.append({
            "when": str(when).replace("periods", f"{unit}s"),
            "period": period,
            f"fitted{levels}": fitted if isinstance(fitted, str) else quantity(fitted, params, series),
            f"counterfactual{levels}": counterfactual,
            f"effect{suffix}": quantity(absolute["estimate"], params, series, signed=True),
            f"{level}% CI": f"{quantity(absolute['CI low'], params, series)} to "
                            f"{quantity(absolute['CI high'], params, series)}",
            "relative effect (%)": f"{relative['estimate']:+.1f}",
            f"relative {level}% CI": f"{relative['CI low']:.1f} to {relative['CI high']:.1f}",
        })
    return pd.DataFrame(rows)


def effect_path(result: ITSResult) -> pd.DataFrame:
    """Pointwise and (log link) cumulative effect at every period from the first interruption,
    each with its (1 - alpha) band, for the CausalImpact-style effect figure: `period`, `t`,
    `pointwise`, `pointwise_low/high`, and for a log link `cumulative`, `cumulative_low/high`
    (from `cumulative_effect(periods=k)`: the band of a sum is not the sum of bands)."""
    first = result.interruptions[0].position
    last_h = int(result.counterfactual()["t"].max()) - first
    rows = []
    for h in range(last_h + 1):
        point = result.effect_at(h).set_index("term").loc["absolute_effect"]
        row = {"period": str(point["period"]), "t": first + h, "pointwise": point["estimate"],
               "pointwise_low": point["ci_low"], "pointwise_high": point["ci_high"]}
        if result.fit.link == "log":
            total = result.cumulative_effect(periods=h + 1).set_index("term").loc["absolute_effect"]
            row |= {"cumulative": total["estimate"], "cumulative_low": total["ci_low"],
                    "cumulative_high": total["ci_high"]}
        rows.append(row)
    return pd.DataFrame(rows)
