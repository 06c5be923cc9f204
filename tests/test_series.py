"""slp_eval.series: row selection, monthly periods from year and month, derived outcomes."""

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.series import add_derived, monthly_period, prepare_series, select_rows


@pytest.fixture
def monthly() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "period": ["2018-02", "2018-01", "2018-01", "2018-02"],
            "unit": ["SLP", "SLP", "RV5", "RV5"],
            "measure": ["ccp_in_south_london"] * 4,
            "numerator": [90.0, 84.0, 10.0, 12.0],
            "denominator": [200.0, 200.0, 40.0, 40.0],
            "exposure": [None, None, None, None],
        }
    )
    frame.attrs["synthetic"] = True
    return frame


def test_select_rows_keeps_only_matching_rows(monthly: pd.DataFrame) -> None:
    out = select_rows(monthly, {"unit": "SLP", "measure": "ccp_in_south_london"})
    assert out["numerator"].tolist() == [90.0, 84.0]
    assert list(out.index) == [0, 1]


def test_select_rows_unknown_column(monthly: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=re.escape(
        "filters.borough: the data have no column 'borough' "
        "(columns: period, unit, measure, numerator, denominator, exposure)"
    )):
        select_rows(monthly, {"borough": "Lambeth"})


def test_select_rows_value_absent_names_the_values_present(monthly: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=re.escape(
        "filters.unit: no row has unit == 'RQY' (values present: 'SLP', 'RV5')"
    )):
        select_rows(monthly, {"unit": "RQY"})


def test_select_rows_no_row_matches_all(monthly: pd.DataFrame) -> None:
    frame = monthly.assign(measure=["a", "a", "b", "b"])
    with pytest.raises(ParameterError, match=re.escape(
        "filters: no row matches all of unit == 'SLP', measure == 'b' together"
    )):
        select_rows(frame, {"unit": "SLP", "measure": "b"})


def test_monthly_period_from_year_and_month() -> None:
    frame = pd.DataFrame({"year": [2004, 2005], "month": [12, 1], "y": [1, 2]})
    out = monthly_period(frame, year="year", month="month", name="period")
    assert out["period"].tolist() == [pd.Period("2004-12", "M"), pd.Period("2005-01", "M")]
    assert "period" not in frame.columns  # the input is not modified


def test_monthly_period_rejects_month_13() -> None:
    frame = pd.DataFrame({"year": [2004, 2005], "month": [12, 13]})
    with pytest.raises(ModelInputError, match=re.escape(
        "time_parts: row 2 has year 2005 and month 13; rule: year is a whole number and month an "
        "integer 1-12"
    )):
        monthly_period(frame, year="year", month="month", name="period")


def test_derived_share_percent_rate(monthly: pd.DataFrame) -> None:
    assert add_derived(monthly, "share")["share"].tolist() == [0.45, 0.42, 0.25, 0.3]
    assert add_derived(monthly, "percent")["percent"].tolist() == pytest.approx([45, 42, 25, 30])
    rates = monthly.assign(exposure=[1000.0, 2000.0, 400.0, 400.0])
    assert add_derived(rates, "rate")["rate"].tolist() == [0.09, 0.042, 0.025, 0.03]


def test_derived_refuses_a_zero_denominator(monthly: pd.DataFrame) -> None:
    frame = monthly.assign(denominator=[200.0, 0.0, 40.0, 40.0])
    with pytest.raises(ModelInputError, match=re.escape(
        "outcome 'share': row 2 has numerator 84.0 and denominator 0.0; rule: denominator must be "
        "present and above 0"
    )):
        add_derived(frame, "share")


def test_derived_rate_needs_exposure(monthly: pd.DataFrame) -> None:
    with pytest.raises(ModelInputError, match=re.escape("rule: exposure must be present and above 0")):
        add_derived(monthly, "rate")


def test_prepare_series_filters_sorts_and_keeps_attrs(monthly: pd.DataFrame) -> None:
    out = prepare_series(monthly, outcome="percent", time="period", filters={"unit": "SLP"})
    assert out["period"].tolist() == ["2018-01", "2018-02"]
    assert out["percent"].tolist() == pytest.approx([42.0, 45.0])
    assert out.attrs["synthetic"] is True


def test_prepare_series_unknown_outcome(monthly: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=re.escape("outcome: the data have no column 'ratio'")):
        prepare_series(monthly, outcome="ratio", time="period")


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=1, max_size=30))
def test_share_is_numerator_over_denominator(pairs: list[tuple[int, int]]) -> None:
    frame = pd.DataFrame({"numerator": [float(a) for a, _ in pairs],
                          "denominator": [float(b) for _, b in pairs]})
    out = add_derived(frame, "share")
    assert (out["share"] * out["denominator"] - out["numerator"]).abs().max() < 1e-9
    assert add_derived(frame, "percent")["percent"].tolist() == pytest.approx((100 * out["share"]).tolist())


def test_outcome_named_after_the_filtered_measure_is_its_value(monthly: pd.DataFrame) -> None:
    frame = monthly.assign(value=[0.45, 0.42, 0.25, 0.3])
    out = prepare_series(frame, outcome="ccp_in_south_london", time="period",
                         filters={"unit": "SLP", "measure": "ccp_in_south_london"})
    assert out["ccp_in_south_london"].tolist() == [0.42, 0.45]
