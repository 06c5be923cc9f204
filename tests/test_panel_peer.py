"""Peer check of slp_eval.panel against R (skips when Rscript is absent; a failure under CI=true).

- `fit_synthetic_did` (sdid, sc, did) against R synthdid 0.0.9's own estimator files
  (tests/peer/synthdid, sourced with base R) on the Prop 99 panel and on seeded panels with three
  treated units: the estimate, omega and lambda, and every placebo, jackknife and bootstrap
  replicate, R given the same draws as Python (tolerance 1e-6: both run the same Frank-Wolfe path,
  Python updating A x along the step, R recomputing it);
- `fit_did` (TWFE, event study, Sun-Abraham for staggered starts) against `lm` +
  `sandwich::vcovCL(type = "HC1")` + `lmtest::coeftest(df = G - 1)`, with R building its own
  dummies and the interaction-weighted aggregation (tolerance 1e-8).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slp_eval.panel import fit_did, fit_synthetic_did
from slp_eval.panel.sdid import bootstrap_draws, placebo_draws

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed"),
]

PEER = Path(__file__).parent / "peer"
PROP99 = Path(__file__).parent / "data" / "prop99_cigsales" / "cigsales.csv"


def factor_panel(seed: int, n_units: int = 24, n_periods: int = 20, n_treated: int = 3,
                 start: int = 14, effect: float = -3.0) -> pd.DataFrame:
    """Y_it = a_i + b_t + l_i f_t + effect * D_it + noise, units u00.. (the last n_treated treated)."""
    rng = np.random.default_rng(seed)
    a, load = rng.normal(50, 5, n_units), rng.normal(1, 0.5, n_units)
    b, f = np.cumsum(rng.normal(0, 1, n_periods)), rng.normal(0, 2, n_periods)
    y = a[:, None] + b[None, :] + load[:, None] * f[None, :] + rng.normal(0, 1, (n_units, n_periods))
    y[n_units - n_treated:, start:] += effect
    return pd.DataFrame({"unit": np.repeat([f"u{i:02d}" for i in range(n_units)], n_periods),
                         "t": np.tile(np.arange(2000, 2000 + n_periods), n_units), "y": y.ravel()})


def r_synthdid(tmp_path: Path, Y: np.ndarray, N0: int, T0: int, method: str,
               placebo: list[np.ndarray], boot: list[np.ndarray]) -> pd.DataFrame:
    matrix, p_file, b_file, out = (tmp_path / n for n in ("Y.csv", "placebo.csv", "boot.csv", "out.csv"))
    np.savetxt(matrix, Y, delimiter=",", fmt="%.17g")
    p_file.write_text("".join(",".join(str(i + 1) for i in d) + "\n" for d in placebo))
    b_file.write_text("".join(",".join(str(i + 1) for i in d) + "\n" for d in boot))
    subprocess.run(["Rscript", str(PEER / "synthdid_peer.R"), str(matrix), str(N0), str(T0), method,
                    str(p_file), str(b_file), str(out)], check=True, capture_output=True, timeout=600)
    return pd.read_csv(out, na_values=["NA"])


def _values(frame: pd.DataFrame, quantity: str) -> np.ndarray:
    return frame.loc[frame["quantity"] == quantity, "value"].to_numpy(dtype=float)


def check_against_r(tmp_path: Path, panel: pd.DataFrame, args: dict, method: str, reps: int) -> None:
    result = fit_synthetic_did(panel, **args, method=method, replications=reps, seed=7)
    pm = result.panel
    N0, N1 = pm.n_donors, pm.n_treated
    placebo = placebo_draws(N0, N1, reps, np.random.default_rng(7))
    boot = bootstrap_draws(pm.Y.shape[0], N0, reps, np.random.default_rng(7)) if N1 > 1 else []
    r = r_synthdid(tmp_path, pm.Y, N0, pm.n_pre, method, placebo, boot)
    assert result.estimate == pytest.approx(_values(r, "estimate")[0], abs=1e-6)
    np.testing.assert_allclose(result.weights.omega, _values(r, "omega"), atol=1e-6)
    np.testing.assert_allclose(result.weights.lam, _values(r, "lambda"), atol=1e-6)
    np.testing.assert_allclose(result.replicates["placebo"], _values(r, "placebo"), atol=1e-6)
    se = result.standard_errors.set_index("method")["std_err"]
    if N1 > 1:
        np.testing.assert_allclose(result.replicates["bootstrap"], _values(r, "bootstrap"), atol=1e-6)
        assert se["jackknife"] == pytest.approx(_values(r, "jackknife_se")[0], abs=1e-6)


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_synthdid_prop99_matches_r(tmp_path: Path, method: str) -> None:
    panel = pd.read_csv(PROP99)
    args = {"unit": "state", "time": "year", "outcome": "cigsale", "treated": "California", "start": 1989}
    check_against_r(tmp_path, panel, args, method, reps=200)


@pytest.mark.parametrize(("seed", "method"), [(1, "sdid"), (2, "sdid"), (3, "sc"), (4, "did")])
def test_synthdid_three_treated_units_matches_r(tmp_path: Path, seed: int, method: str) -> None:
    panel = factor_panel(seed)
    args = {"unit": "unit", "time": "t", "outcome": "y", "treated": ["u21", "u22", "u23"], "start": 2014}
    check_against_r(tmp_path, panel, args, method, reps=40)


def r_did(tmp_path: Path, panel: pd.DataFrame, starts: dict[str, int]) -> pd.DataFrame:
    frame = panel.rename(columns={"year": "t", "cigsale": "y", "state": "unit"})[["unit", "t", "y"]].copy()
    frame["start"] = frame["unit"].map(starts)
    source, out = tmp_path / "panel.csv", tmp_path / "did.csv"
    frame.to_csv(source, index=False, float_format="%.17g")
    subprocess.run(["Rscript", str(PEER / "did_twfe.R"), str(source), str(out)], check=True,
                   capture_output=True, timeout=300)
    return pd.read_csv(out).set_index("term")


@pytest.mark.parametrize("starts", [{"California": 1989},
                                    {"California": 1989, "Utah": 1992, "Nevada": 1992}],
                         ids=["common", "staggered"])
def test_did_matches_lm_vcovcl(tmp_path: Path, starts: dict[str, int]) -> None:
    panel = pd.read_csv(PROP99)
    result = fit_did(panel, unit="state", time="year", outcome="cigsale", treated=list(starts),
                     start=starts if len(starts) > 1 else 1989)
    r = r_did(tmp_path, panel, starts)
    ours = result.summary_frame().set_index("term")
    assert sorted(ours.index) == sorted(r.index)
    for column in ("estimate", "std_err", "p_value"):
        np.testing.assert_allclose(ours.loc[r.index, column], r[column], rtol=1e-8, atol=1e-10)


def test_did_on_a_factor_panel_matches_r(tmp_path: Path) -> None:
    panel = factor_panel(11).rename(columns={"unit": "state", "t": "year", "y": "cigsale"})
    starts = {"u21": 2012, "u22": 2014, "u23": 2014}
    result = fit_did(panel, unit="state", time="year", outcome="cigsale", treated=list(starts), start=starts)
    r = r_did(tmp_path, panel, starts)
    ours = result.summary_frame().set_index("term")
    for column in ("estimate", "std_err", "p_value"):
        np.testing.assert_allclose(ours.loc[r.index, column], r[column], rtol=1e-8, atol=1e-10)
