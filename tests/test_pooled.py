"""pool_its: random-effects pooling checked against metafor's printed results for the BCG trials.

The numbers are metafor's printed output (4 decimals) of
`rma(yi, vi, data = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg,
data = dat.bcg), method = "DL")` and `method = "PM"` (Viechtbauer 2010's worked example; the
REML fit of the same call prints estimate -0.7145, tau^2 0.3132). They are written here so this
test never skips; tests/test_pooled_peer.py checks pool_its against live metafor (tol = 1e-12) to 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.its import fit_its_many, pool_its

matplotlib.use("Agg")

BCG = Path(__file__).parent / "data" / "bcg_vaccine" / "dat_bcg.csv"

#: metafor printed output (digits = 4): estimate, se, ci.lb, ci.ub, tau^2, I^2 (%), H^2, Q, zval
PRINTED = {
    "dl": (-0.7141, 0.1787, -1.0644, -0.3638, 0.3088, 92.12, 12.69, 152.2330, -3.9952),
    "pm": (-0.7150, 0.1809, -1.0695, -0.3604, 0.3181, 92.33, 13.04, 152.2330, -3.9523),
}


def bcg_frame() -> pd.DataFrame:
    """The trials' log risk ratios as a fit_its_many-shaped frame (escalc's RR formulas)."""
    d = pd.read_csv(BCG)
    yi = np.log(d["tpos"] / (d["tpos"] + d["tneg"])) - np.log(d["cpos"] / (d["cpos"] + d["cneg"]))
    vi = 1 / d["tpos"] - 1 / (d["tpos"] + d["tneg"]) + 1 / d["cpos"] - 1 / (d["cpos"] + d["cneg"])
    se = np.sqrt(vi)
    return pd.DataFrame({"trial": d["trial"], "term": "level_change[vaccine]", "estimate": yi,
                         "std_err": se, "ci_low": yi - 1.96 * se, "ci_high": yi + 1.96 * se,
                         "p_value": np.nan, "status": "fitted (per group)", "reason": None})


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_bcg_matches_metafor_printed(method):
    result = pool_its(bcg_frame(), method=method)
    row = result.pooled.iloc[0]
    est, se, lo, hi, tau2, i2, h2, q, z = PRINTED[method]
    assert row["k"] == 13 and row["q_df"] == 12
    for value, printed, digits in [(row["estimate"], est, 4), (row["std_err"], se, 4),
                                   (row["ci_low"], lo, 4), (row["ci_high"], hi, 4),
                                   (row["tau2"], tau2, 4), (100 * row["i2"], i2, 2),
                                   (row["h2"], h2, 2), (row["q"], q, 4),
                                   (row["estimate"] / row["std_err"], z, 4)]:
        # printed to `digits` decimals: |ours - printed| <= half a unit of the last digit, plus
        # for Paule-Mandel the effect of metafor's default root tolerance on tau^2 (1e-5; with
        # control = list(tol = 1e-12) metafor's z is -3.95245, ours -3.95245).
        slack = 2e-4 if method == "pm" else 0.0
        assert abs(value - printed) <= 0.5 * 10**-digits + 1e-12 + slack
    assert row["p_value"] < 1e-4 and row["q_p_value"] < 1e-4
    assert result.units["weight"].sum() == pytest.approx(1.0)


def test_dl_truncates_tau2_at_zero():
    """Less spread than sampling error: tau^2 = 0 and the inverse-variance (fixed) estimate."""
    frame = bcg_frame().iloc[:4].copy()
    frame["estimate"] = [0.10, 0.12, 0.09, 0.11]
    frame["std_err"] = [0.2, 0.3, 0.25, 0.4]
    row = pool_its(frame, method="dl").pooled.iloc[0]
    w = 1 / frame["std_err"] ** 2
    assert row["tau2"] == 0.0 and row["i2"] == 0.0 and row["h2"] == 1.0
    assert row["estimate"] == pytest.approx((w * frame["estimate"]).sum() / w.sum(), rel=1e-12)
    assert row["std_err"] == pytest.approx(w.sum() ** -0.5, rel=1e-12)


def test_pools_fit_its_many_units_and_plots():
    rng = np.random.default_rng(4)
    months = pd.period_range("2016-01", periods=48, freq="M").astype(str)
    frames = []
    for unit in ["Lambeth", "Southwark", "Croydon", "Bromley", "Lewisham"]:
        t = np.arange(48)
        y = 30 + 0.1 * t + (t >= 24) * rng.normal(3, 1.5) + rng.normal(0, 1, 48)
        frames.append(pd.DataFrame({"borough": unit, "month": months, "y": y}))
    frames.append(pd.DataFrame({"borough": "Sutton", "month": months, "y": 5.0}))  # constant
    many = fit_its_many(pd.concat(frames), by="borough", outcome="y", time="month",
                        interruptions="2018-01", errors="newey-west", maxlags=1)
    result = pool_its(many, method="pm")
    assert result.pooled["term"].tolist() == ["level_change[2018-01]", "trend_change[2018-01]"]
    assert result.excluded["borough"].tolist() == ["Sutton"]
    assert set(result.units["unit"]) == {"Lambeth", "Southwark", "Croydon", "Bromley", "Lewisham"}
    level = result.units[result.units["term"] == "level_change[2018-01]"]
    row = result.pooled.iloc[0]
    assert level["estimate"].min() < row["estimate"] < level["estimate"].max()
    assert "over 5 units (Paule-Mandel random effects)" in result.summary()
    assert "1 unit(s) could not be fitted" in result.summary()
    figure = result.plot()
    assert len(figure.axes) == 4  # two panels, each with its twin axis of printed intervals
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels[0] == "Lambeth" and labels[-1].startswith("Pooled (Paule-Mandel")


def test_bad_input():
    frame = bcg_frame()
    with pytest.raises(ParameterError, match="method='reml' must be one of"):
        pool_its(frame, method="reml")
    with pytest.raises(ParameterError, match=r"terms 'slope' are not in the frame"):
        pool_its(frame, terms=["slope"])
    with pytest.raises(ModelInputError, match="1 fitted unit; pooling needs at least 2"):
        pool_its(frame.iloc[:1])
    with pytest.raises(ParameterError, match="no column 'term'"):
        pool_its(frame.drop(columns="term"))
