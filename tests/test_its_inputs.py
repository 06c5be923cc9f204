"""Bad input to fit_its: each rule has an exact message naming the column, row/period and rule."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import ModelInputError, ParameterError, SlpEvalError
from slp_eval.its import fit_its


@pytest.fixture
def base() -> pd.DataFrame:
    return pd.DataFrame({"year": np.arange(2000, 2012),
                         "y": [1, 2, 4, 3, 5, 6, 9, 8, 10, 12, 11, 13.0]})


def _fit(data: pd.DataFrame, **kwargs) -> None:
    args = {"outcome": "y", "time": "year", "interruptions": 2006, **kwargs}
    fit_its(data, **args)


def _raises(error: type[SlpEvalError], message: str):
    return pytest.raises(error, match=f"^{re.escape(message)}$")


def test_segment_with_too_few_points_is_named(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "segment 'from 2010' has 2 fitted periods (rule: each segment "
                 "needs at least 3; phase-in and dropped rows do not count)"):
        _fit(base, interruptions=2010)
    with _raises(ModelInputError, "segment 'before 2002' has 2 fitted periods (rule: each "
                 "segment needs at least 3; phase-in and dropped rows do not count)"):
        _fit(base, interruptions=2002)
    with _raises(ModelInputError, "segment 'from 2004 to before 2006' has 2 fitted periods "
                 "(rule: each segment needs at least 3; phase-in and dropped rows do not count)"):
        _fit(base, interruptions=[2004, 2006])


def test_phase_in_counts_against_the_segment(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "segment 'from 2008' has 2 fitted periods (rule: each segment "
                 "needs at least 3; phase-in and dropped rows do not count)"):
        _fit(base, interruptions=2008, phase_in=2)


def test_interruption_outside_the_data(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "interruption 2020 is outside the data: column 'year' runs "
                 "from 2000 to 2011 (rule: each interruption is a period of the series)"):
        _fit(base, interruptions=2020)


def test_interruption_coded_unlike_the_time_column(base: pd.DataFrame) -> None:
    with _raises(ParameterError, "interruptions='2006-01' cannot be read as a period of column "
                 "'year', which holds integer periods (rule: give an integer such as 2000)"):
        _fit(base, interruptions="2006-01")
    monthly = base.assign(year=pd.period_range("2020-01", periods=12, freq="M"))
    with _raises(ParameterError, "interruptions=3.5 cannot be read as a monthly period of column "
                 "'year' (rule: give it like the column, e.g. '2020-01')"):
        _fit(monthly, interruptions=3.5)


def test_interruptions_must_be_in_order(base: pd.DataFrame) -> None:
    with _raises(ParameterError, "interruptions must be distinct and in time order; 2004 does "
                 "not come after 2008"):
        _fit(base, interruptions=[2008, 2004])


def test_duplicate_unsorted_and_gap(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "column 'year' has a duplicate period 2004 at row 5 (rule: one "
                 "row per period)"):
        _fit(base.assign(year=base["year"].where(base.index != 5, 2004)))
    with _raises(ModelInputError, "column 'year' is not sorted: period 2002 at row 2 comes after "
                 "2003 at row 3 (rule: rows in time order)"):
        _fit(base.iloc[[0, 1, 3, 2, *range(4, 12)]])
    with _raises(ModelInputError, "column 'year' has a gap: no row for 2004 between 2003 at row 3 "
                 "and 2005 at row 5 (rule: one row for every yearly period)"):
        _fit(base.drop(index=4))


def test_gap_within_a_comparison_unit_names_the_unit(base: pd.DataFrame) -> None:
    panel = pd.concat([base.assign(unit="A"), base.assign(unit="B").drop(index=7)],
                      ignore_index=True)
    with _raises(ModelInputError, "column 'year' has a gap for unit 'B': no row for 2007 between "
                 "2006 at row 18 and 2008 at row 19 (rule: one row for every yearly period)"):
        _fit(panel, group="unit", treated="A")


def test_missing_outcome_unless_dropna(base: pd.DataFrame) -> None:
    data = base.assign(y=base["y"].where(base.index != 3))
    with _raises(ModelInputError, "column 'y' (outcome) has a missing value at row 3 (period "
                 "2003); pass dropna=True to leave such rows out of the fit"):
        _fit(data)
    result = fit_its(data, outcome="y", time="year", interruptions=2006, dropna=True,
                     errors="ols")
    assert result.n_obs == 11
    assert not result.counterfactual().loc[3, "in_fit"]


def test_counts_must_be_non_negative_integers(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "column 'y' must hold non-negative integer counts for "
                 "family='poisson'; row 0 (period 2000) has -1"):
        _fit(base.assign(y=base["y"] - 2), family="poisson")
    with _raises(ModelInputError, "column 'y' must hold non-negative integer counts for "
                 "family='negbin'; row 0 (period 2000) has 1.5"):
        _fit(base.assign(y=base["y"] + 0.5), family="negbin")


def test_proportions_and_trials(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "column 'y' must hold proportions in [0, 1] for "
                 "family='binomial' without trials; row 9 (period 2009) has 1.2"):
        _fit(base.assign(y=base["y"] / 10), family="binomial")
    with _raises(ModelInputError, "column 'y' (successes) exceeds column 'n' (trials) at row 9 "
                 "(period 2009): 12 > 10"):
        _fit(base.assign(n=10), family="binomial", trials="n")
    with _raises(ModelInputError, "column 'n' (trials) must hold positive integer counts; row 0 "
                 "(period 2000) has 0"):
        _fit(base.assign(n=np.r_[0, np.full(11, 20)]), family="binomial", trials="n")


def test_offset_must_be_positive(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "offset column 'pop' must be > 0 (it enters the model as "
                 "log(pop)); row 0 (period 2000) has 0"):
        _fit(base.assign(pop=np.r_[0, np.ones(11)]), family="poisson", offset="pop")


def test_constant_series(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "column 'y' is constant (every fitted value is 3); a constant "
                 "series has no level or trend to estimate"):
        _fit(base.assign(y=3.0))


def test_treated_unit_must_be_in_group(base: pd.DataFrame) -> None:
    panel = pd.concat([base.assign(unit="A"), base.assign(unit="C")], ignore_index=True)
    with _raises(ModelInputError, "treated unit 'B' is not in column 'unit' (units: 'A', 'C')"):
        _fit(panel, group="unit", treated="B")
    with _raises(ModelInputError, "column 'unit' holds only the treated unit 'A'; a comparison "
                 "series needs at least one control unit"):
        _fit(base.assign(unit="A"), group="unit", treated="A")
    with _raises(ParameterError, "group and treated go together: group names the unit column and "
                 "treated the treated unit (got group='unit', treated=None)"):
        _fit(panel, group="unit")


@pytest.mark.parametrize(("argument", "value", "message"), [
    ("family", "gamma", "family='gamma' is not one of 'gaussian', 'poisson', 'quasipoisson', "
                        "'negbin', 'binomial'"),
    ("errors", "hac", "errors='hac' is not one of 'ols', 'newey-west', 'ar', 'arima'"),
    ("impact", "slope", "impact='slope' is not one of 'level', 'trend', 'level+trend'"),
    ("maxlags", -1, "maxlags=-1 must be None or a non-negative integer"),
    ("maxlags", 2.0, "maxlags=2.0 must be None or a non-negative integer"),
    ("phase_in", 1.5, "phase_in=1.5 must be a non-negative integer number of periods"),
    ("alpha", 5, "alpha=5 must be a number between 0 and 1 (e.g. 0.05)"),
    ("seasonality", "month", "seasonality='month' needs monthly data (rule: calendar-month fixed "
                             "effects exist only for a monthly time column)"),
    ("seasonality", {"fourier": 6, "period": 12},
     "seasonality={'fourier': 6, 'period': 12}: fourier K and period must be integers with 1 <= K "
     "and 2*K < period (e.g. {'fourier': 2, 'period': 12})"),
])
def test_unknown_argument_values(base: pd.DataFrame, argument: str, value: object,
                                 message: str) -> None:
    with _raises(ParameterError, message):
        _fit(base, **{argument: value})


def test_error_structure_must_fit_the_family(base: pd.DataFrame) -> None:
    with _raises(ParameterError, "errors='arima' is only available with family='gaussian' "
                 "(rule: count and proportion families take errors='ar', 'ols' or 'newey-west'); "
                 "got family='poisson'"):
        _fit(base, family="poisson", errors="arima")
    with _raises(ParameterError, "offset='y' is an exposure for count families (poisson, "
                 "quasipoisson, negbin); got family='gaussian'"):
        _fit(base, offset="y")


def test_column_not_in_data(base: pd.DataFrame) -> None:
    with _raises(ParameterError, "outcome='z' is not a column of data (columns: year, y)"):
        _fit(base, outcome="z")
    with _raises(ParameterError, "covariates[0]='x' is not a column of data (columns: year, y)"):
        _fit(base, covariates=["x"])


def test_time_column_coding(base: pd.DataFrame) -> None:
    with _raises(ModelInputError, "column 'year' has type float64, which is not a time coding "
                 "(rule: integers, pandas Periods, datetimes or 'YYYY-MM' strings)"):
        _fit(base.assign(year=base["year"].astype(float)))
    with _raises(ModelInputError, "column 'year' holds 'y2000' at row 0, which is not a "
                 "recognised period (rule: 'YYYY', 'YYYY-MM', 'YYYY-Qn' or 'YYYY-MM-DD')"):
        _fit(base.assign(year=[f"y{v}" for v in base["year"]]))
    mixed = base.assign(year=[f"{v}-01" for v in base["year"]])
    mixed.loc[4, "year"] = "2004"
    with _raises(ModelInputError, "column 'year' holds '2004' at row 4, which does not match the "
                 "monthly coding of the first row ('2000-01')"):
        _fit(mixed, interruptions="2006-01")
    daily = base.assign(year=pd.date_range("2020-01-01", periods=12, freq="D"))
    with _raises(ModelInputError, "column 'year' has dates 1 days apart, which is not a weekly, "
                 "monthly, quarterly or yearly spacing (rule: one row per period)"):
        _fit(daily, interruptions="2020-01-07")


def test_negative_binomial_without_overdispersion_is_refused() -> None:
    t = np.arange(30)
    counts = np.round(200 + 2 * t - 10 * (t >= 15) + 3 * np.sin(t)).astype(int)
    data = pd.DataFrame({"year": 1990 + t, "y": counts})
    with pytest.raises(ModelInputError, match=r"^family='negbin': the estimated dispersion alpha "
                       r"is \S+, at its boundary 0 \(the counts are not overdispersed relative "
                       r"to Poisson, so alpha has no standard error\); fit family='poisson' "
                       r"instead$"):
        fit_its(data, outcome="y", time="year", interruptions=2005, family="negbin")


def test_interruptions_must_not_be_empty(base: pd.DataFrame) -> None:
    with _raises(ParameterError, "interruptions is empty (rule: give at least one interruption)"):
        _fit(base, interruptions=[])
    result = fit_its(base, outcome="y", time="year", interruptions=np.array([2006]),
                     errors="ols")
    assert result.coefficients.index[2] == "level_change[2006]"


def test_maxlags_must_mean_something(base: pd.DataFrame) -> None:
    with _raises(ParameterError, "maxlags=2 is not used with errors='ols' (rule: maxlags is the "
                 "Newey-West lag or the AR order)"):
        _fit(base, errors="ols", maxlags=2)
    with _raises(ParameterError, "maxlags=0 gives no autoregressive order for errors='ar' (rule: "
                 "AR order >= 1, or None for AR(1))"):
        _fit(base, errors="ar", maxlags=0)
