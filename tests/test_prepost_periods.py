"""Pre/post comparison of two windows of a monthly series, and its parameter model."""

import re

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.params.prepost import PrepostParams
from slp_eval.prepost import compare_means, compare_periods, compare_proportions, compare_rates


def monthly(measure: str, measure_type: str, numerators, denominators=None, exposures=None,
            start: str = "2017-01") -> pd.DataFrame:
    n = len(numerators)
    periods = pd.period_range(start, periods=n, freq="M").astype(str)
    denominators = denominators if denominators is not None else [np.nan] * n
    exposures = exposures if exposures is not None else [np.nan] * n
    frame = pd.DataFrame({
        "period": periods, "unit": "SLP", "measure": measure, "measure_type": measure_type,
        "numerator": numerators, "denominator": denominators, "exposure": exposures,
    })
    frame["value"] = frame["numerator"] / frame["denominator"] \
        if measure_type != "count" else frame["numerator"]
    return frame


SHARES = monthly("ccp_in_south_london", "share", [189, 200, 210, 370, 378, 380],
                 [450, 450, 452, 455, 450, 451])
COUNTS = monthly("forensic_out_of_area_placements", "count", [201, 190, 180, 160, 152, 150])


def test_shares_compare_the_last_month_of_each_window():
    result = compare_periods(SHARES, measure="ccp_in_south_london", unit="SLP",
                             before=("2017-01", "2017-02"), after=("2017-05", "2017-06"),
                             label="share in south London")
    reference = compare_proportions(200, 450, 380, 451)
    assert result.to_dict() == {**reference.to_dict(), "label": "share in south London"}


def test_counts_are_summed_with_a_month_of_exposure_each():
    result = compare_periods(COUNTS, measure="forensic_out_of_area_placements", unit="SLP",
                             before=("2017-01", "2017-03"), after=("2017-04", "2017-06"))
    reference = compare_rates(571, 3, 462, 3)
    assert (result.rate_ratio, result.ci_low, result.ci_high, result.p_value) == pytest.approx(
        (reference.rate_ratio, reference.ci_low, reference.ci_high, reference.p_value)
    )
    last = compare_periods(COUNTS, measure="forensic_out_of_area_placements", unit="SLP",
                           before=("2017-01", "2017-03"), after=("2017-04", "2017-06"),
                           window_summary="last")
    assert (last.count1, last.count2) == (180, 150)


def test_means_use_each_month_as_an_observation():
    frame = monthly("camhs_mean_distance_miles", "mean", [70.0, 75, 72, 10, 8, 6],
                    [10, 10, 10, 10, 10, 10])
    result = compare_periods(frame, measure="camhs_mean_distance_miles", unit="SLP",
                             before=("2017-01", "2017-03"), after=("2017-04", "2017-06"))
    reference = compare_means([7.0, 7.5, 7.2], [1.0, 0.8, 0.6])
    assert result.difference == pytest.approx(reference.difference)
    assert result.p_value == pytest.approx(reference.p_value)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"measure": "nope"}, ModelInputError,
         "compare_periods: no rows for measure 'nope' and unit 'SLP'"),
        ({"before": ("2016-01", "2016-03")}, ModelInputError,
         "compare_periods: no rows in the before window 2016-01 to 2016-03"),
        ({"before": ("2016-12", "2017-02")}, ModelInputError,
         "compare_periods: the before window 2016-12 to 2017-02 has 2 of its 3 months "
         "(2017-01, 2017-02); fill or shorten the window"),
        ({"before": ("2017-03", "2017-01")}, ParameterError,
         "compare_periods: the before window ends (2017-01) before it starts (2017-03)"),
        ({"after": ("2017-02", "2017-06")}, ParameterError,
         "compare_periods: the after window (2017-02 to 2017-06) must start after the before "
         "window ends (2017-03)"),
    ],
)
def test_bad_windows(kwargs, error, message):
    arguments = {"measure": "forensic_out_of_area_placements", "unit": "SLP",
                 "before": ("2017-01", "2017-03"), "after": ("2017-04", "2017-06"), **kwargs}
    with pytest.raises(error, match=re.escape(message) + "$"):
        compare_periods(COUNTS, **arguments)


def test_missing_denominator_and_missing_columns():
    frame = SHARES.copy()
    frame.loc[5, "denominator"] = np.nan
    with pytest.raises(ModelInputError, match=re.escape(
        "compare_periods: denominator is missing for 'ccp_in_south_london' in 2017-06; a "
        "proportions comparison needs it in every month used"
    )):
        compare_periods(frame, measure="ccp_in_south_london", unit="SLP",
                        before=("2017-01", "2017-02"), after=("2017-05", "2017-06"))
    with pytest.raises(ModelInputError, match=re.escape(
        "compare_periods: the frame has no column(s) exposure; it must be a monthly_series table"
    )):
        compare_periods(SHARES.drop(columns="exposure"), measure="ccp_in_south_london",
                        unit="SLP", before=("2017-01", "2017-02"), after=("2017-05", "2017-06"))


PARAMS = {
    "analysis": "prepost", "title": "Forensic out-of-area placements, March 2017 vs March 2018",
    "data": {"path": "monthly_series.csv", "dataset": "monthly_series"},
    "unit": "SLP", "measure": "forensic_out_of_area_placements",
    "before": {"start": "2017-03", "end": "2017-03", "label": "March 2017"},
    "after": {"start": "2018-03", "end": "2018-03", "label": "March 2018"},
}


def test_params_model_and_its_arguments_for_compare_periods():
    params = PrepostParams.model_validate(PARAMS)
    kwargs = params.comparison_kwargs()
    assert kwargs["before"] == ("2017-03", "2017-03")
    assert kwargs["comparison"] == "auto"
    frame = monthly("forensic_out_of_area_placements", "count", [201] + [190] * 11 + [152],
                    start="2017-03")
    result = compare_periods(frame, **kwargs)
    assert (result.count1, result.count2) == (201, 152)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"after": {"start": "2017-03", "end": "2017-04"}},
         "after.start (2017-03) must be later than before.end (2017-03)"),
        ({"before": {"start": "2017-13", "end": "2017-03"}}, "before.start\n  String should match"),
        ({"before": {"start": "2017-05", "end": "2017-03"}}, "end (2017-03) is before start "
         "(2017-05)"),
        ({"dispersion": 0.5}, "dispersion\n  Input should be greater than or equal to 1"),
        ({"comparison": "odds"}, "comparison\n  Input should be 'auto', 'proportions', 'rates' "
         "or 'means'"),
        ({"measure_name": "x"}, "measure_name\n  Extra inputs are not permitted"),
        ({"data": {"path": "p.csv", "dataset": "placements"}}, "data.dataset is 'placements'; a "
         "prepost analysis reads a monthly_series file"),
    ],
)
def test_params_model_rejects(change, fragment):
    with pytest.raises(ValidationError, match=re.escape(fragment)):
        PrepostParams.model_validate({**PARAMS, **change})
