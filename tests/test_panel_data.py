"""The panel checks: unbalanced panels refused naming the unit and its missing periods, missing or
suppressed outcomes never imputed (donor dropped with the reason, treated unit refused), bad
arguments named; and the result objects' interface."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.panel import fit_did, fit_synthetic_control, fit_synthetic_did, prepare_panel


def panel(n_units: int = 8, n_periods: int = 12, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.period_range("2016-01", periods=n_periods, freq="M").astype(str)
    rows = [(f"R{u}", m, 40 + u + 0.5 * t + rng.normal()) for u in range(n_units)
            for t, m in enumerate(months)]
    frame = pd.DataFrame(rows, columns=["unit", "period", "value"])
    frame.loc[(frame.unit == "R0") & (frame.period >= "2016-07"), "value"] += 5.0
    return frame


ARGS = {"unit": "unit", "time": "period", "outcome": "value", "treated": "R0", "start": "2016-07"}


def test_unbalanced_panel_names_the_unit_and_periods() -> None:
    data = panel()
    data = data[~((data.unit == "R3") & data.period.isin(["2016-02", "2016-03", "2016-09"]))]
    with pytest.raises(ModelInputError, match=re.escape(
            "unbalanced panel: unit 'R3' has no row for 2016-02 to 2016-03, 2016-09 (3 of 12 periods) "
            "(rule: every unit needs a row for every period from 2016-01 to 2016-12; leave the unit out "
            "with donors= or exclude=, or restrict the periods; nothing is filled in)")):
        fit_synthetic_control(data, **ARGS)
    # left out on purpose, the rest is used and the reason kept
    result = fit_synthetic_control(data, **ARGS, exclude={"R3": "incomplete reporting"}, robustness=False)
    assert result.panel.dropped.to_dict(orient="records") == [
        {"unit": "R3", "reason": "incomplete reporting"}]
    assert "R3" not in result.panel.donors


def test_suppressed_donor_is_dropped_with_the_reason_never_imputed() -> None:
    data = panel()
    data["value_suppressed"] = False
    hide = (data.unit == "R5") & (data.period == "2016-04")
    data.loc[hide, "value"] = np.nan
    data.loc[hide, "value_suppressed"] = True
    data.loc[(data.unit == "R6") & (data.period == "2016-10"), "value"] = np.nan
    pm = prepare_panel(data, **ARGS)
    assert pm.dropped.to_dict(orient="records") == [
        {"unit": "R5", "reason": "left out of the donor pool: outcome 'value' suppressed at source in "
                                 "2016-04 (never imputed)"},
        {"unit": "R6", "reason": "left out of the donor pool: outcome 'value' missing in 2016-10 "
                                 "(never imputed)"}]
    assert pm.donors == ("R1", "R2", "R3", "R4", "R7") and np.isfinite(pm.Y).all()


def test_treated_unit_with_a_suppressed_outcome_is_refused() -> None:
    data = panel()
    data["value_suppressed"] = (data.unit == "R0") & (data.period == "2016-08")
    data.loc[data.value_suppressed, "value"] = np.nan
    with pytest.raises(ModelInputError, match=re.escape(
            "treated unit 'R0': outcome 'value' suppressed at source in 2016-08 (never imputed); the "
            "comparison needs every period of every treated unit")):
        fit_synthetic_did(data, **ARGS)


@pytest.mark.parametrize(("change", "message"), [
    ({"treated": "R9"}, "treated: unit(s) 'R9' not in column 'unit'"),
    ({"outcome": "valu"}, "outcome='valu': the panel has no such column (columns: unit, period, value)"),
    ({"start": "2016-01"}, "start='2016-01' must fall after the first period (2016-01) and no later than "
                           "the last (2016-12) of column 'period'"),
    ({"donors": ["R0", "R1"]}, "donors: 'R0' is also a treated unit"),
    ({"start": 2016}, "start=2016 cannot be read as a monthly period of column 'period'"),
])
def test_bad_arguments_are_named(change: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        fit_did(panel(), **(ARGS | change))


def test_duplicate_rows_are_refused() -> None:
    data = panel()
    data = pd.concat([data, data.iloc[[5]]], ignore_index=True)
    with pytest.raises(ModelInputError, match=re.escape(
            "panel: unit 'R0' has two rows for period 2016-06 (row 96) (rule: one row per unit and period)")):
        prepare_panel(data, **ARGS)


def test_results_share_the_tidy_interface() -> None:
    data = panel()
    sc = fit_synthetic_control(data, **ARGS)
    sdid = fit_synthetic_did(data, **ARGS)
    did = fit_did(data, **ARGS)
    for result in (sc, sdid, did):
        frame = result.summary_frame()
        assert list(frame.columns[:6]) == ["term", "estimate", "std_err", "ci_low", "ci_high", "p_value"]
        assert frame.at[0, "term"] == "att"
        assert "<table" in result._repr_html_() and result.summary() in repr(result)
        narrow = result.conf_int(alpha=0.5).loc["att"]
        wide = result.conf_int().loc["att"]
        assert wide["lower"] < narrow["lower"] < narrow["upper"] < wide["upper"]
    # the true effect is +5 from 2016-07 at R0
    assert sc.att == pytest.approx(5, abs=1.5) and sdid.estimate == pytest.approx(5, abs=1.5)
    assert did.att == pytest.approx(5, abs=1.5)
    assert sc.gaps()["post"].sum() == 6 and len(sc.placebo_gaps()) == 7 * 12
    assert sc.aggregate.in_time is not None and sc.aggregate.in_time.start == "2016-04"
    assert sc.weights["weight"].sum() == pytest.approx(1)


def test_several_treated_units_separately_and_as_one_aggregate() -> None:
    data = panel(n_units=14)
    data.loc[data.unit.isin(["R1", "R2"]) & (data.period >= "2016-07"), "value"] += 5.0
    result = fit_synthetic_control(data, **(ARGS | {"treated": ["R0", "R1", "R2"]}), replications=50)
    frame = result.summary_frame().set_index("term")
    assert list(frame.index) == ["att", "att[R0]", "att[R1]", "att[R2]"]
    gaps = {u.label: u.fit.att for u in result.units}
    assert frame.at["att", "estimate"] == pytest.approx(result.aggregate.fit.att)
    assert frame.loc[["att[R0]", "att[R1]", "att[R2]"], "estimate"].tolist() == list(gaps.values())
    # 11 donors, sets of 3: 165 > 50, so 50 random sets; single-donor placebos for each unit
    assert frame.at["att", "n_placebos"] == 50 and frame.at["att[R0]", "n_placebos"] == 11
    sdid = fit_synthetic_did(data, **(ARGS | {"treated": ["R0", "R1", "R2"]}), replications=20)
    errors = sdid.standard_errors.set_index("method")["std_err"]
    assert errors.notna().all() and (errors > 0).all()


@pytest.mark.parametrize("kind", ["gap", "paths", "placebo", "weights", "leave_one_out"])
def test_synthetic_control_figures_draw_what_they_say(kind: str) -> None:
    result = fit_synthetic_control(panel(), **ARGS)
    figure = result.plot(kind, title="t", colors={"treated": "tab:green"})
    ax = figure.axes[0]
    assert ax.get_title() == "t"
    if kind == "placebo":
        lines = [line for line in ax.get_lines() if len(line.get_xdata()) == 12]
        assert len(lines) == 7 + 1  # every donor's placebo gap and the treated gap
        np.testing.assert_allclose(lines[-1].get_ydata(), result.gaps()["gap"])
    if kind == "weights":
        assert len(ax.patches) == int((result.weights["weight"] > 1e-3).sum())


def test_sdid_and_event_study_figures() -> None:
    data = panel()
    assert fit_synthetic_did(data, **ARGS, se="placebo").plot().axes
    es = fit_did(data, **ARGS)
    figure = es.plot()
    points = figure.axes[0].collections  # the error bars
    assert points and len(es.event_study) == 12
