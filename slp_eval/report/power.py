"""What the power notebook shows: the simulation's arguments from the parameters, the power table
in percent, the smallest design reaching the target, and the simulation's limitations."""

from typing import Any

import pandas as pd

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
    frame = result.to_frame()
    frame = frame[(frame["term"] == term) & (frame["effect"] != 0)]
    if frame.empty:
        return f"The true {term.replace('_', ' ')} is 0 in every design: the table shows the test's size."
    reaching = frame[frame["power"] >= target].assign(total=lambda f: f["n_pre"] + f["n_post"])
    effect = f"a {term.replace('_', ' ')} of {frame['effect'].iloc[0]:g}"
    if reaching.empty:
        best = frame.loc[frame["power"].idxmax()]
        return (f"No design simulated reaches {100 * target:.0f}% power to detect {effect}; the best, "
                f"{int(best['n_pre'])} periods before and {int(best['n_post'])} after, has "
                f"{100 * best['power']:.1f}% (Monte Carlo SE {100 * best['mc_se']:.1f} points).")
    best = reaching.sort_values(["total", "n_pre"], kind="stable").iloc[0]
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


__all__ = ["TARGET", "arguments", "conclusion", "limitations", "power_table"]
