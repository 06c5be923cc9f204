"""What the power notebook shows: the simulation's arguments from the parameters, the power table
in percent, the smallest design reaching the target, and the simulation's limitations."""

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from slp_eval.params.power import PowerParams
from slp_eval.power import PowerResult

#: Conventional target power.
TARGET = 0.8


def arguments(params: PowerParams) -> dict[str, Any]:
    """Keyword arguments of `slp_eval.power.its_power` taken from the parameter model."""
    return {
        "n_pre": list(params.n_pre), "n_post": list(params.n_post), "intercept": params.intercept,
        "trend": params.trend, "level_change": params.level_change, "trend_change": params.trend_change,
        "sigma": params.sigma, "rho": params.rho, "errors": params.errors, "alpha": params.alpha,
        "n_sim": params.n_sim, "seed": params.seed,
    }


def power_table(result: PowerResult) -> pd.DataFrame:
    """Power (%) with its Monte Carlo SE (points) per design and term, plus failed fits."""
    frame = result.to_frame()
    return pd.DataFrame({
        "periods before": frame["n_pre"], "periods after": frame["n_post"],
        "term": frame["term"], "true effect": frame["effect"],
        "power (%)": 100 * frame["power"], "Monte Carlo SE (points)": 100 * frame["mc_se"],
        "mean estimate": frame["mean_estimate"], "failed fits": frame["n_failed"],
    })


def conclusion(result: PowerResult, term: str = "level_change", target: float = TARGET) -> str:
    """The shortest design (fewest periods in all) whose power for `term` reaches `target`."""
    best, reaches = chosen_design(result, term, target)
    if best is None:
        return f"The true {term.replace('_', ' ')} is 0 in every design: the table shows the test's size."
    effect = f"a {term.replace('_', ' ')} of {best['effect']:g}"
    if not reaches:
        return (f"No design simulated reaches {100 * target:.0f}% power to detect {effect}; the best, "
                f"{int(best['n_pre'])} periods before and {int(best['n_post'])} after, has "
                f"{100 * best['power']:.1f}% (Monte Carlo SE {100 * best['mc_se']:.1f} points).")
    return (f"The shortest design simulated with at least {100 * target:.0f}% power to detect {effect} is "
            f"{int(best['n_pre'])} periods before and {int(best['n_post'])} after the interruption: "
            f"{100 * best['power']:.1f}% (Monte Carlo SE {100 * best['mc_se']:.1f} points).")


def limitations(result: PowerResult) -> list[str]:
    """What limits the simulated power, one sentence each."""
    frame = result.to_frame()
    s = result.settings
    items = [f"Power is estimated from {s['n_sim']} simulated series per design: the largest Monte Carlo "
             f"standard error is {100 * frame['mc_se'].max():.1f} percentage points.",
             f"The simulation assumes the series behaves as simulated: a straight pre-programme trend and "
             f"AR(1) errors with rho = {s['rho']:g} and innovation SD {s['sigma']:g}, values assumed here "
             "rather than estimated; a real series with seasonality or a changing trend needs more data."]
    failed = int(frame["n_failed"].sum())
    if failed:
        items.append(f"{failed} simulated fits failed and are left out of the power estimates.")
    return items


def _sized(value: float, params: PowerParams) -> str:
    return f"{value:g} {params.outcome_unit}" if params.outcome_unit else f"{value:g}"


def chosen_design(result: PowerResult, term: str = "level_change",
                  target: float = TARGET) -> tuple[pd.Series | None, bool]:
    """The row of `to_frame()` the answer quotes, and whether it reaches `target`: the shortest
    design (fewest periods in all, then fewest before) with power >= target, else the most
    powerful one; (None, False) when the true effect is 0 in every design."""
    frame = result.to_frame()
    frame = frame[(frame["term"] == term) & (frame["effect"] != 0)]
    if frame.empty:
        return None, False
    reaching = frame[frame["power"] >= target].assign(total=lambda f: f["n_pre"] + f["n_post"])
    if reaching.empty:
        return frame.loc[frame["power"].idxmax()], False
    return reaching.sort_values(["total", "n_pre"], kind="stable").iloc[0], True


def answer(result: PowerResult, params: PowerParams, term: str = "level_change",
           target: float = TARGET) -> dict[str, str | None]:
    """The answer box's three strings (keywords of `Report.answer`).

    `verdict`: the shortest simulated design reaching `target` power for `term`, or that none
    does. `effect`: that design's power in percent with its 95% Monte Carlo interval (power
    +/- 1.96 Monte Carlo SE, Morris, White & Crowther 2019), formatted as the power table.
    `caveat`, by priority: failed fits in that design (its power counts only the fits that
    ran); a Monte Carlo interval that includes the target (the verdict itself is uncertain
    at this n_sim); otherwise the assumption every simulated power rests on, the noise and
    autocorrelation supplied rather than estimated."""
    words = term.replace("_", " ")
    row, reaches = chosen_design(result, term, target)
    s = result.settings
    if row is None:
        return {"verdict": f"The true {words} is 0 in every design: the simulation shows the "
                           "test's size (how often it wrongly detects a change), not its power.",
                "effect": None, "caveat": None}
    size = _sized(row["effect"], params)
    design = f"{int(row['n_pre'])} periods before and {int(row['n_post'])} after the interruption"
    if reaches:
        verdict = (f"{design[0].upper() + design[1:]} are enough: the shortest design simulated "
                   f"with at least {100 * target:g}% power to detect a {words} of {size}.")
    else:
        verdict = (f"No design simulated reaches {100 * target:g}% power to detect a {words} of "
                   f"{size}; the best is {design}.")
    low, high = row["power"] - 1.96 * row["mc_se"], row["power"] + 1.96 * row["mc_se"]
    effect = (f"Power {100 * row['power']:.1f}% (95% Monte Carlo interval {100 * max(low, 0):.1f}% "
              f"to {100 * min(high, 1):.1f}%) with {design}, at alpha = {s['alpha']:g}.")
    if row["n_failed"]:
        caveat = (f"{int(row['n_failed'])} of {int(row['n_sim'])} simulated fits of this design "
                  "failed; its power counts only the fits that ran.")
    elif low < target <= high:
        caveat = (f"The Monte Carlo interval includes the {100 * target:g}% target: with "
                  f"{s['n_sim']} simulated series per design the verdict could change; raise "
                  "n_sim before relying on it.")
    else:
        caveat = (f"The power rests on assumed noise (innovation SD {_sized(s['sigma'], params)}) "
                  f"and autocorrelation (AR(1) rho = {s['rho']:g}), not values estimated from "
                  "data: a noisier, more autocorrelated or seasonal series needs more periods.")
    return {"verdict": verdict, "effect": effect, "caveat": caveat}


def table_caption(params: PowerParams) -> str:
    """The power table's caption, naming the unit of the true effect and the mean estimate."""
    unit = params.outcome_unit
    return "Simulated power by design" + (f" (true effect and mean estimate in {unit})" if unit else "")


def power_plot(result: PowerResult, params: PowerParams, term: str = "level_change") -> Figure:
    """The power curve in percent (as the table) with the target and alpha lines labelled."""
    from slp_eval.plots.power import plot_power

    return plot_power(result, term, target=TARGET, unit=params.outcome_unit)


__all__ = ["TARGET", "answer", "arguments", "chosen_design", "conclusion", "limitations",
           "power_plot", "power_table", "table_caption"]
