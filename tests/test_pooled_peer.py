"""pool_its against live R metafor::rma(method = "DL" / "PM", test = "z" / "knha") on
fit_its_many's unit estimates.

metafor runs with `control = list(tol = 1e-12)` (its default root tolerance for Paule-Mandel is
1e-5 on tau^2). Estimates, standard errors, intervals, p-values, tau^2, I^2, H^2 and Q must agree
to 1e-6 relative. Skipped when Rscript (or metafor) is absent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_pooled import bcg_frame

from slp_eval.its import fit_its_many, pool_its

pytestmark = [
    pytest.mark.peer,
    pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed"),
]

SCRIPT = Path(__file__).parent / "peer" / "pooled_metafor.R"
COLUMNS = ["estimate", "std_err", "ci_low", "ci_high", "p_value", "tau2", "i2", "h2", "q",
           "q_p_value"]


def metafor(tmp_path: Path, units: pd.DataFrame, alpha: float, test: str = "z") -> pd.DataFrame:
    source, out = tmp_path / "units.csv", tmp_path / "rma.csv"
    units[["term", "estimate", "std_err"]].to_csv(source, index=False, float_format="%.17g")
    run = subprocess.run(["Rscript", str(SCRIPT), str(source), str(out), str(alpha), test],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0 and "metafor" in run.stderr:
        pytest.skip("the R package metafor is not installed")
    run.check_returncode()
    return pd.read_csv(out).set_index(["term", "method"])


def grid(seed: int, heterogeneity: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.period_range("2017-01", periods=60, freq="M").astype(str)
    frames = []
    for unit in range(9):
        t = np.arange(60)
        level = rng.normal(-2.0, heterogeneity)
        slope = rng.normal(0.05, heterogeneity / 20)
        y = 40 + 0.2 * t + (t >= 30) * (level + slope * (t - 30)) + rng.normal(0, 1.5, 60)
        frames.append(pd.DataFrame({"provider": f"R{unit:02d}", "month": months, "y": y}))
    return fit_its_many(pd.concat(frames), by="provider", outcome="y", time="month",
                        interruptions="2019-07", errors="newey-west", maxlags=2)


@pytest.mark.parametrize("test", ["z", "knha"])
@pytest.mark.parametrize(("name", "alpha"), [("heterogeneous", 0.05), ("homogeneous", 0.05),
                                             ("bcg", 0.1)])
def test_matches_metafor(tmp_path, name, alpha, test):
    units = {"heterogeneous": lambda: grid(7, 2.0), "homogeneous": lambda: grid(8, 0.0),
             "bcg": bcg_frame}[name]()
    reference = metafor(tmp_path, units, alpha, test)
    for method in ("dl", "pm"):
        pooled = pool_its(units, method=method, alpha=alpha, test=test).pooled.set_index("term")
        for term, row in pooled.iterrows():
            expected = reference.loc[(term, method)]
            for column in COLUMNS:
                assert row[column] == pytest.approx(expected[column], rel=1e-6, abs=1e-12), \
                    (name, method, term, column)
    if name == "homogeneous":  # the truncation at tau^2 = 0 is exercised against metafor
        assert (reference.xs("dl", level="method")["tau2"] == 0).any()
