"""The `by:` section of the ITS report: every unit fitted, a forest plot, pooling, disclosure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_pooled_peer import metafor

from slp_eval.errors import ParameterError
from slp_eval.its import fit_its
from slp_eval.params import validate_params
from slp_eval.report import its as its_report
from slp_eval.report.its_units import fit_units, units_section
from slp_eval.report.session import start

EIP = Path(__file__).parents[1] / "data" / "nhs" / "eip_monthly_series.csv"
TRUSTS = ["RPG", "RQY", "RV5"]  # the three SLP trusts (real NHS open data)


def _trusts_file(tmp_path: Path) -> Path:
    data = pd.read_csv(EIP)
    path = tmp_path / "eip_trusts.csv"
    data[data["unit"].isin(TRUSTS)].to_csv(path, index=False)
    return path


def _params(path: Path, **extra: object) -> dict:
    return {"analysis": "its", "title": "EIP by trust",
            "data": {"path": str(path), "dataset": "monthly_series"},
            "filters": {"measure": "eip_within_two_weeks"}, "outcome": "percent", "time": "period",
            "interruptions": ["2016-04"], "errors": "newey-west", "maxlags": 1, **extra}


def test_a_by_parameter_file_fits_draws_and_pools_every_unit(tmp_path, capsys):
    report = start(_params(_trusts_file(tmp_path), by="unit"), None, kind="its")
    series = its_report.series(report)
    result = units_section(report, series)
    shown = capsys.readouterr().out
    assert "Random-effects pooling of the units" in shown and "units_forest" in shown
    assert result.units["unit"].tolist() == TRUSTS
    # each unit's numbers are fit_its on that trust's rows alone
    for trust in TRUSTS:
        expected = fit_its(series[series["unit"] == trust],
                           **its_report.fit_arguments(report.params)).coefficients
        mine = result.fits[result.fits["unit"] == trust].set_index("term")
        for column in ("estimate", "std_err", "ci_low", "ci_high", "p_value"):
            np.testing.assert_allclose(mine[column], expected[column], rtol=1e-8)
    # the forest plot: both terms, three trusts and the two pooled rows in each panel
    frame = result.forest_frame()
    assert frame.groupby("term").size().tolist() == [5, 5]
    assert frame["label"].tolist()[:5] == [*TRUSTS, "Pooled (DerSimonian-Laird)",
                                           "Pooled (Paule-Mandel)"]
    figure = result.plot()
    assert len(figure.axes) >= 2
    block = json.loads(json.dumps(result.to_dict()))
    assert [row["unit"] for row in block["units"]] == TRUSTS and len(block["pooled"]) == 4
    # DerSimonian-Laird by the textbook formulas (DerSimonian & Laird 1986), written here
    table = result.pooled_table().set_index(["term", "method"])
    for term in ("level_change[2016-04]", "trend_change[2016-04]"):
        units = result.fits[result.fits["term"] == term]
        y, v = units["estimate"].to_numpy(), units["std_err"].to_numpy() ** 2
        w = 1 / v
        q = float(w @ (y - w @ y / w.sum()) ** 2)
        tau2 = max(0.0, (q - 2) / (w.sum() - (w**2).sum() / w.sum()))
        wr = 1 / (v + tau2)
        row = table.loc[(term, "DerSimonian-Laird")]
        assert row["estimate"] == pytest.approx(wr @ y / wr.sum(), rel=1e-10)
        assert row["tau2"] == pytest.approx(tau2, rel=1e-10)
        assert row["q"] == pytest.approx(q, rel=1e-10)


@pytest.mark.peer
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_the_pooled_table_matches_metafor(tmp_path):
    report = start(_params(_trusts_file(tmp_path), by="unit"), None, kind="its")
    result = fit_units(its_report.series(report), report.params)
    reference = metafor(tmp_path, result.fits, 0.05)
    table = result.pooled_table()
    for row in table.itertuples():
        method = "dl" if row.method == "DerSimonian-Laird" else "pm"
        expected = reference.loc[(row.term, method)]
        for column in ("estimate", "ci_low", "ci_high", "p_value", "tau2", "q", "q_p_value"):
            assert getattr(row, column) == pytest.approx(expected[column], rel=1e-6, abs=1e-12)
        assert row.i2 == pytest.approx(100 * expected["i2"], rel=1e-6)


def _counts(tmp_path: Path) -> Path:
    """Monthly counts of three boroughs; Greenwich totals 5 events over 36 months (a small count)."""
    rng = np.random.default_rng(4)
    months = pd.period_range("2019-01", periods=36, freq="M").astype(str)
    frames = []
    for unit, base in (("Bexley", 40.0), ("Bromley", 25.0), ("Greenwich", None)):
        if base is None:
            value = np.zeros(36)
            value[[3, 9, 15, 22, 30]] = 1
        else:
            t = np.arange(36)
            value = rng.poisson(base * np.exp(0.01 * t - 0.2 * (t >= 18))).astype(float)
        frames.append(pd.DataFrame({"period": months, "unit": unit,
                                    "measure": "forensic_out_of_area_placements",
                                    "measure_type": "count", "numerator": np.nan,
                                    "denominator": np.nan, "exposure": np.nan, "value": value}))
    path = tmp_path / "counts.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_disclosure_control_per_unit(tmp_path):
    measure = "forensic_out_of_area_placements"
    params = _params(_counts(tmp_path), by="unit", filters={"measure": measure}, outcome=measure,
                     family="quasipoisson", interruptions=["2020-07"])
    params.pop("maxlags")
    report = start(params, None, kind="its")
    series = its_report.series(report)
    result = fit_units(series, report.params)
    table = result.units.set_index("unit")
    # Greenwich's 5 events are a suppressed count, so its mean (total / 36) is too
    assert table.loc["Greenwich", "mean observed"] == "*"
    for unit in ("Bexley", "Bromley"):
        total = series.loc[series["unit"] == unit, measure].sum()
        assert table.loc[unit, "mean observed"] == pytest.approx(5 * round(total / 5) / 36)
    off = start({**params, "disclosure": {"apply": False}}, None, kind="its")
    exact = fit_units(series, off.params).units.set_index("unit")
    assert exact.loc["Greenwich", "mean observed"] == pytest.approx(5 / 36)


def test_without_by_the_section_shows_nothing(tmp_path, capsys):
    report = start(_params(_trusts_file(tmp_path)), None, kind="its")
    assert units_section(report, its_report.series(report)) is None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(("extra", "message"), [
    ({"by": "period"}, "`by` column 'period' is also the time column"),
    ({"by": ["unit", "unit"]}, "`by` names a column twice"),
    ({"by": "measure"}, "`by` column 'measure' is fixed to one value by `filters`"),
    ({"by": []}, "`by` names the unit column"),
])
def test_bad_by_is_named(tmp_path, extra, message):
    with pytest.raises(ParameterError, match=message):
        validate_params(_params(_trusts_file(tmp_path), **extra), source="test")


def test_the_its_notebook_stops_on_by_with_one_paragraph(tmp_path):
    """The ITS notebook fits one series: with `by:` it stops before fitting, naming the function
    that shows the units, instead of failing inside fit_its on stacked series."""
    report = start(_params(_trusts_file(tmp_path), by="unit"), None, kind="its")
    with pytest.raises(ParameterError, match=r"^by: the ITS report fits one series .*units_section"):
        its_report.one_series(report)
    plain = start(_params(_trusts_file(tmp_path), filters={"measure": "eip_within_two_weeks",
                                                            "unit": "RV5"}), None, kind="its")
    pd.testing.assert_frame_equal(its_report.one_series(plain), its_report.series(plain))
