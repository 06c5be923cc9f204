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
from slp_eval.its import PooledResult, fit_its
from slp_eval.params import load_params, validate_params
from slp_eval.report import its as its_report
from slp_eval.report import its_units
from slp_eval.report.figures import figure_data, png_bytes
from slp_eval.report.its_units import WITHHELD, fit_units
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
    result = fit_units(series, report.params)
    its_units.show_forest(report, result)
    its_units.show_pooled(report, result)
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
    assert frame.groupby("term").size().tolist() == [6, 6]
    assert frame["label"].tolist()[:6] == [*TRUSTS, "Pooled (DerSimonian-Laird)",
                                           "Pooled (Paule-Mandel)",
                                           "Pooled (DerSimonian-Laird, Hartung-Knapp)"]
    figure = result.plot(report.params)
    assert len(figure.axes) >= 2
    block = json.loads(json.dumps(result.to_dict()))
    assert [row["unit"] for row in block["units"]] == TRUSTS and len(block["pooled"]) == 6
    assert block["withheld"] == 0 and result.withheld == ()
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
    knha = metafor(tmp_path, result.fits, 0.05, "knha")
    table = result.pooled_table()
    assert len(table) == 6
    for row in table.itertuples():
        method = {"DerSimonian-Laird": "dl", "Paule-Mandel": "pm",
                  "DerSimonian-Laird, Hartung-Knapp": "dl_knha"}[row.method]
        expected = (knha.loc[(row.term, "dl")] if method == "dl_knha"
                    else reference.loc[(row.term, method)])
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
    # the withheld unit is not drawn, not in results.json and not pooled
    assert result.withheld == ("Greenwich",)
    assert table.loc["Greenwich", "status"] == WITHHELD
    figure = result.plot(report.params)
    png_bytes(figure)  # tick labels are made when the figure is drawn, as the report draws it
    drawn = figure_data(figure)
    assert "Bexley" in drawn and "Greenwich" not in drawn  # tick labels are in the figure data
    assert set(result.forest_frame()["label"]) == {
        "Bexley", "Bromley", "Pooled (DerSimonian-Laird)", "Pooled (Paule-Mandel)",
        "Pooled (DerSimonian-Laird, Hartung-Knapp)"}
    block = json.loads(json.dumps(result.to_dict()))
    greenwich = [row for row in block["fits"] if row["unit"] == "Greenwich"]
    assert greenwich and all(row["estimate"] is None and row["std_err"] is None
                             and row["status"] == WITHHELD for row in greenwich)
    assert [row["mean observed"] for row in block["units"] if row["unit"] == "Greenwich"] == ["*"]
    assert block["withheld"] == 1 and {row["k"] for row in block["pooled"]} == {2}
    assert any(item.startswith("Disclosure control withheld 1 unit")
               for item in its_units.limitations(result, report.params))
    # the log-link forest plot is drawn as rate ratios (exp of the pooled log estimate)
    dl = result.pooled_row("level_change[2020-07]")
    pooled = result.forest_frame().query("label == 'Pooled (DerSimonian-Laird)'").iloc[0]
    assert pooled["estimate"] == pytest.approx(np.exp(dl["estimate"]))
    off = start({**params, "disclosure": {"apply": False}}, None, kind="its")
    exact = fit_units(series, off.params)
    assert exact.units.set_index("unit").loc["Greenwich", "mean observed"] == pytest.approx(5 / 36)
    assert exact.withheld == () and {row.k for row in exact.pooled_table().itertuples()} == {3}


@pytest.mark.parametrize(("extra", "message"), [
    ({"by": "period"}, "`by` column 'period' is also the time column"),
    ({"by": ["unit", "unit"]}, "`by` names a column twice"),
    ({"by": "measure"}, "`by` column 'measure' is fixed to one value by `filters`"),
    ({"by": []}, "`by` names the unit column"),
])
def test_bad_by_is_named(tmp_path, extra, message):
    with pytest.raises(ParameterError, match=message):
        validate_params(_params(_trusts_file(tmp_path), **extra), source="test")


def _short_unit_file(tmp_path: Path, drop_to: int, units: list[str]) -> Path:
    """The EIP trusts with the last of `units` cut to its last `drop_to` months."""
    data = pd.read_csv(EIP)
    data = data[data["unit"].isin(units)]
    short = data[data["unit"] == units[-1]]
    data = pd.concat([data[data["unit"] != units[-1]], short.tail(drop_to)])
    path = tmp_path / "eip_short.csv"
    data.to_csv(path, index=False)
    return path


def test_a_unit_with_too_few_points_is_reported_and_the_others_pooled(tmp_path):
    # RV5 keeps only 3 months: after the interruption only, so its model cannot be fitted
    report = start(_params(_short_unit_file(tmp_path, 3, TRUSTS), by="unit"), None, kind="its")
    result = fit_units(its_report.series(report), report.params)
    table = result.units.set_index("unit")
    assert table.loc["RV5", "status"] == "failed" and table.loc["RV5", "reason"]
    assert {row.k for row in result.pooled_table().itertuples()} == {2}
    assert "RV5" not in set(result.forest_frame()["label"])
    findings = its_units.limitations(result, report.params)
    assert any(item.startswith("Of the 3 units, 1 could not be fitted and is not pooled (RV5: ")
               for item in findings)
    answer = its_units.answer(result, report.params, findings)
    assert answer["verdict"].startswith("Pooled over 2 of 3 units (unit)")


def test_fewer_than_two_fitted_units_are_not_pooled_and_the_report_says_so(tmp_path, capsys):
    report = start(_params(_short_unit_file(tmp_path, 3, ["RPG", "RV5"]), by="unit"), None, kind="its")
    result = fit_units(its_report.series(report), report.params)
    assert result.pooled == {} and result.pooled_table().empty
    assert result.not_pooled == ("The units were not pooled: term 'level_change[2016-04]': 1 fitted "
                                 "unit; pooling needs at least 2.")
    findings = its_units.limitations(result, report.params)
    answer = its_units.answer(result, report.params, findings)
    assert answer["verdict"] == ("The units were not pooled: term 'level_change[2016-04]': 1 fitted "
                                 "unit; pooling needs at least 2.")
    assert answer["effect"] is None and answer["caveat"].startswith("Of the 2 units, 1 could not")
    its_units.show_forest(report, result)  # the one fitted unit is still drawn
    its_units.show_pooled(report, result)
    shown = capsys.readouterr().out
    assert "units_forest" in shown and "Random-effects pooling" not in shown
    assert result.summary().endswith(result.not_pooled)


def test_an_its_file_with_by_runs_the_units_notebook():
    from slp_eval.params import notebook_of

    root = Path(__file__).parents[1]
    assert notebook_of(load_params(root / "params" / "workforce_nursing_by_trust.yaml")) == "its_units.ipynb"
    assert notebook_of(load_params(root / "params" / "ccp_home_borough.yaml")) == "its_analysis.ipynb"


def test_the_its_notebook_stops_on_by_naming_the_units_notebook(tmp_path):
    """its_analysis.ipynb fits one series: opened by hand with `by:` it stops before fitting and
    names the notebook that fits the units (slp-eval run picks that one itself)."""
    report = start(_params(_trusts_file(tmp_path), by="unit"), None, kind="its")
    with pytest.raises(ParameterError, match=r"^by: .*its_units\.ipynb"):
        its_report.one_series(report)
    plain = start(_params(_trusts_file(tmp_path), filters={"measure": "eip_within_two_weeks",
                                                            "unit": "RV5"}), None, kind="its")
    pd.testing.assert_frame_equal(its_report.one_series(plain), its_report.series(plain))


def test_by_naming_an_identifying_column_is_refused():
    root = Path(__file__).parents[1]
    params = {"analysis": "its", "title": "t",
              "data": {"path": str(root / "data" / "synthetic" / "outcome_measures.csv"),
                       "dataset": "outcome_measures"},
              "outcome": "score", "time": "assessment_date", "interruptions": ["2018-04"],
              "by": "patient_id"}
    with pytest.raises(ParameterError, match=r"by: field 'patient_id' of dataset 'outcome_measures' "
                                             r"identifies a person"):
        validate_params(params, source="test")


# -- the shipped pooled parameter file, end to end through the runner ---------------------------
SHIPPED = Path(__file__).parents[1] / "params" / "workforce_nursing_by_trust.yaml"


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory: pytest.TempPathFactory):
    from slp_eval.runner import run

    result = run(SHIPPED, out_root=tmp_path_factory.mktemp("pooled"))
    assert result.status == "succeeded", result.reason
    return result


def _results(run_result) -> dict:
    return json.loads((run_result.run_dir / "results.json").read_text(encoding="utf-8"))


def test_the_shipped_pooled_file_runs_through_the_units_notebook(shipped_run):
    document = _results(shipped_run)
    assert shipped_run.manifest["notebook"]["path"].endswith("its_units.ipynb")
    for name in ("report.html", "report.pdf", "tables.xlsx", "figures/units_forest.png"):
        assert (shipped_run.run_dir / name).is_file(), name
    block = document["its_units"]
    assert block["by"] == ["lead_trust"] and block["link"] == "identity" and block["withheld"] == 0
    assert [row["lead_trust"] for row in block["units"]] == ["RPG", "RV5", "RQY"]
    assert len(block["fits"]) == 12 and len(block["pooled"]) == 6
    assert [row["term"] for row in document["estimates"]] == [
        f"{term}_change[2018-04] ({method})" for term in ("level", "trend")
        for method in ("DerSimonian-Laird", "Paule-Mandel", "DerSimonian-Laird, Hartung-Knapp")]
    captions = [table["caption"] for table in document["report_tables"]]
    assert captions[:2] == ["The units fitted", "Random-effects pooling of the units"]
    # the answer quotes the DerSimonian-Laird level change of results.json in FTE with I^2, tau^2
    dl = next(row for row in block["pooled"] if row["term"] == "level_change[2018-04]"
              and row["method"] == "DerSimonian-Laird")
    answer = document["answer"]
    assert answer["verdict"] == ("Pooled over the 3 units (lead_trust), the nursing full-time "
                                 "equivalent in post rose in level at 2018-04, by more than chance "
                                 "alone would explain.")
    assert (f"change in level {dl['estimate']:+.3g} FTE (95% CI {dl['ci_low']:.3g} to "
            f"{dl['ci_high']:.3g}; I² = {dl['i2']:.0f}%, tau² = {dl['tau2']:.3g}") in answer["effect"]
    assert answer["caveat"].startswith("The units differ more than chance allows in the level change")
    # each unit's fit in results.json is fit_its on that trust's rows
    data = pd.read_csv(Path(__file__).parents[1] / "data" / "synthetic" / "workforce.csv")
    params = load_params(SHIPPED)
    for trust in ("RPG", "RQY"):
        rows = data[(data["lead_trust"] == trust) & (data["staff_group"] == "nursing")]
        expected = fit_its(rows, **its_report.fit_arguments(params)).coefficients
        mine = pd.DataFrame([r for r in block["fits"] if r["lead_trust"] == trust]).set_index("term")
        for column in ("estimate", "std_err", "ci_low", "ci_high"):
            np.testing.assert_allclose(mine[column], expected[column], rtol=1e-8)


@pytest.mark.peer
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_the_shipped_pooled_run_matches_metafor(shipped_run, tmp_path):
    """metafor::rma (DL and PM) on the per-unit estimates the run wrote gives the pooled
    estimates, standard errors, intervals, p-values, tau^2, I^2 and Q of its results.json."""
    block = _results(shipped_run)["its_units"]
    fits = pd.DataFrame(block["fits"])
    fits = fits[fits["term"].str.match(r"(level|trend)_change\[")]
    reference = metafor(tmp_path, fits, 0.05)
    knha = metafor(tmp_path, fits, 0.05, "knha")
    assert len(block["pooled"]) == 6
    for row in block["pooled"]:
        method = {"DerSimonian-Laird": "dl", "Paule-Mandel": "pm",
                  "DerSimonian-Laird, Hartung-Knapp": "knha"}[row["method"]]
        expected = (knha.loc[(row["term"], "dl")] if method == "knha"
                    else reference.loc[(row["term"], method)])
        for column in ("estimate", "std_err", "ci_low", "ci_high", "p_value", "tau2", "q",
                       "q_p_value"):
            assert row[column] == pytest.approx(expected[column], rel=1e-6, abs=1e-12), column
        assert row["i2"] == pytest.approx(100 * expected["i2"], rel=1e-6)
    # the heterogeneity the answer box reports is real: metafor's I^2 of the level change > 50%
    assert reference.loc[("level_change[2018-04]", "dl"), "i2"] > 0.5


def test_by_naming_a_missing_column_is_exit_2_with_did_you_mean(tmp_path, capsys):
    import yaml

    from slp_eval.cli import main

    params = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    params["data"]["path"] = str(SHIPPED.parent / params["data"]["path"])
    params["by"] = "lead_trst"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "  - by: " in err and "has no column 'lead_trst'; did you mean 'lead_trust'?" in err
    assert not (tmp_path / "out").exists()


def _pooled(method: str, **row: float) -> PooledResult:
    frame = pd.DataFrame([{"term": "level_change[2018-04]", "method": method, "k": 6,
                           "std_err": 1.0, "p_value": 0.04, "tau": np.sqrt(row["tau2"]),
                           "h2": 1.0, "q": 20.0, "q_df": 5, "q_p_value": 0.001, **row}])
    return PooledResult(by=["unit"], method=method, alpha=0.05, pooled=frame,
                        units=pd.DataFrame(), excluded=pd.DataFrame())


def test_the_caveat_names_a_conclusion_that_depends_on_the_tau2_estimator():
    """DerSimonian-Laird's interval excludes no change, Paule-Mandel's (larger tau^2) does not:
    that is the caveat, before the heterogeneity it comes from."""
    params = validate_params(_params(EIP, by="unit", outcome_unit="percentage points"), source="t")
    fits = pd.DataFrame({"unit": ["A"], "term": ["level_change[2018-04]"], "estimate": [1.0],
                         "status": ["fitted (batched)"]})
    units_table = pd.DataFrame({"unit": [f"U{i}" for i in range(6)], "status": "fitted (batched)",
                                "reason": ""})
    result = its_units.UnitsResult(
        ["unit"], fits, units_table,
        {"dl": _pooled("dl", estimate=2.0, ci_low=0.1, ci_high=3.9, tau2=0.5, i2=0.6),
         "pm": _pooled("pm", estimate=2.0, ci_low=-0.2, ci_high=4.2, tau2=0.9, i2=0.7),
         "dl_knha": _pooled("dl", estimate=2.0, ci_low=0.05, ci_high=3.95, tau2=0.5, i2=0.6)},
        None, (), "identity", 0.05)
    findings = its_units.limitations(result, params)
    assert findings[0] == (
        "DerSimonian-Laird and Paule-Mandel disagree on the level change at 2018-04: the "
        "DerSimonian-Laird interval excludes no change and the other does not (tau² 0.5 against "
        "0.9): the conclusion depends on how the between-unit variance is estimated.")
    assert findings[1].startswith("The units differ more than chance allows in the level change "
                                  "at 2018-04 (I² = 60%, tau² = 0.5, Cochran's Q = 20 on 5 df, ")
    assert not any(item.startswith("Only") for item in findings)  # 6 units: not few
    answer = its_units.answer(result, params, findings)
    assert answer["caveat"] == findings[0]
    assert answer["effect"] == ("Pooled (DerSimonian-Laird random effects): change in level +2 "
                                "percentage points (95% CI 0.1 to 3.9; I² = 60%, tau² = 0.5, "
                                "tau = 0.707 percentage points).")


def test_the_caveat_names_a_hartung_knapp_interval_that_includes_no_change():
    """Three units: the normal DerSimonian-Laird interval excludes no change, the Hartung-Knapp
    interval (t on 2 df) does not: that is the caveat, and the few-units limitation gives the
    Hartung-Knapp interval of every change."""
    params = validate_params(_params(EIP, by="unit", outcome_unit="percentage points"), source="t")
    fits = pd.DataFrame({"unit": ["A"], "term": ["level_change[2018-04]"], "estimate": [1.0],
                         "status": ["fitted (batched)"]})
    units_table = pd.DataFrame({"unit": ["U0", "U1", "U2"], "status": "fitted (batched)",
                                "reason": ""})

    def pooled(method: str, **row: float) -> PooledResult:
        result = _pooled(method, **row)
        return PooledResult(by=["unit"], method=method, alpha=0.05,
                            pooled=result.pooled.assign(k=3, q_df=2, q=1.0, q_p_value=0.6),
                            units=pd.DataFrame(), excluded=pd.DataFrame())

    result = its_units.UnitsResult(
        ["unit"], fits, units_table,
        {"dl": pooled("dl", estimate=2.0, ci_low=0.1, ci_high=3.9, tau2=0.0, i2=0.0),
         "pm": pooled("pm", estimate=2.0, ci_low=0.1, ci_high=3.9, tau2=0.0, i2=0.0),
         "dl_knha": pooled("dl", estimate=2.0, ci_low=-1.5, ci_high=5.5, tau2=0.0, i2=0.0)},
        None, (), "identity", 0.05)
    findings = its_units.limitations(result, params)
    assert findings[0] == (
        "The Hartung-Knapp interval of the level change at 2018-04 (-1.5 to 5.5, t on 2 df) "
        "includes no change where the normal DerSimonian-Laird interval (0.1 to 3.9) does not: "
        "with few units trust the Hartung-Knapp interval, which keeps its coverage "
        "(IntHout et al. 2014).")
    assert findings[1].startswith("Only 3 units are pooled (fewer than 5)")
    assert findings[1].endswith("interval (t on 2 df) is wider: change in level at 2018-04 "
                                "(percentage points) -1.5 to 5.5.")
    assert its_units.answer(result, params, findings)["caveat"] == findings[0]
