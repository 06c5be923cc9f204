"""MDC XmR charts (slp_eval.spc) on hand-computed series, rule by rule and edge by edge.

Every expected mean and limit below is worked by hand from the series in the test (sums of
values and of moving ranges written out), never read from the code. The rules follow
NHSRplotthedots 0.2.2 (R/ptd_spc_standard.R, R/ptd_calculate_point_type.R,
R/ptd_calculate_assurance_type.R); where the MDC guidance differs the test says so.
NHSRplotthedots itself is not installable here (CRAN is unreachable and Debian has no package:
`apt-cache search plotthedots` finds nothing), so there is no R cross-check.
"""

import pandas as pd
import pytest

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.spc import spc

B = [0.5, -0.5]


def frame(y: list[float], start: str = "2020-01") -> pd.DataFrame:
    months = pd.period_range(start, periods=len(y), freq="M").astype(str)
    return pd.DataFrame({"month": months, "y": y})


def chart(y: list[float], direction: str = "increase", **kwargs):  # type: ignore[no-untyped-def]
    return spc(frame(y), value="y", time="month", improvement_direction=direction, **kwargs)  # type: ignore[arg-type]


def types(result) -> list[str]:  # type: ignore[no-untyped-def]
    return result.to_frame()["point_type"].tolist()


def flagged(result) -> list[int]:  # type: ignore[no-untyped-def]
    return [i for i, t in enumerate(types(result)) if t != "common_cause"]


# --- limits and screening -------------------------------------------------------------------


def outlier_series() -> list[float]:
    y = [1.0, -1.0] * 8 + [1.0]
    y[8] = 9.0  # 17 points: nine +1, eight -1, one +1 replaced by 9 -> sum 9
    return y


def test_limits_with_screened_moving_ranges() -> None:
    # mean = 9/17. Moving ranges: 14 of 2 and two of |9 - (-1)| = 10: AMR = 48/16 = 3.
    # 10 >= 3.267 * 3 = 9.801, so both are screened out: AMR = 28/14 = 2.
    result = chart(outlier_series())
    row = result.to_frame().iloc[0]
    assert row["mean"] == pytest.approx(9 / 17)
    assert row["upl"] == pytest.approx(9 / 17 + 2.66 * 2)
    assert row["lpl"] == pytest.approx(9 / 17 - 2.66 * 2)
    assert flagged(result) == [8]
    assert result.to_frame()["special_cause_type"][8] == "Above UCL"
    assert types(result)[8] == "special_cause_improvement"


def test_screening_off_reproduces_the_mdc_excel_limits() -> None:
    # The MDC Excel tool keeps every moving range: AMR = 3.
    result = chart(outlier_series(), screen_outliers=False)
    row = result.to_frame().iloc[0]
    assert row["upl"] == pytest.approx(9 / 17 + 2.66 * 3)
    assert row["lpl"] == pytest.approx(9 / 17 - 2.66 * 3)


def test_moving_range_just_below_the_screen_is_kept() -> None:
    # Outlier 8: sum 8, MRs 14 x 2 and 2 x 9, AMR = 46/16 = 2.875; 9 < 3.267 * 2.875 = 9.39: kept.
    y = outlier_series()
    y[8] = 8.0
    assert chart(y).to_frame()["upl"][0] == pytest.approx(8 / 17 + 2.66 * 2.875)


def test_fix_after_n_points() -> None:
    # Limits from the first 12 points (+-1 alternating: mean 0, AMR 2); the later jump to 10 is
    # judged against them rather than moving them.
    result = chart([1.0, -1.0] * 6 + [10.0] * 3, fix_after_n_points=12)
    out = result.to_frame()
    assert out["mean"].unique().tolist() == [0.0]
    assert out["upl"][0] == pytest.approx(5.32)
    assert flagged(result) == [12, 13, 14]


# --- run of 7 on one side of the mean ---------------------------------------------------------


def test_runs_of_seven_each_side() -> None:
    # Sum 0 -> mean 0. MRs: 5 x 2, 1.5, 1, twelve 0: AMR = 12.5/19; limits +-1.75.
    y = [1.0, -1.0] * 3 + [0.5] * 7 + [-0.5] * 7
    result = chart(y)
    assert result.to_frame()["upl"][0] == pytest.approx(2.66 * 12.5 / 19)
    assert (
        types(result)
        == ["common_cause"] * 6 + ["special_cause_improvement"] * 7 + ["special_cause_concern"] * 7
    )
    assert set(result.to_frame()["special_cause_type"][6:13]) == {"7 Points Above CL"}
    assert result.variation == "concern_low"


def test_a_point_on_the_mean_breaks_the_run() -> None:
    # The 4th point of the upper run is exactly the mean (0; the first point is 1.5 so the sum
    # stays 0): two runs of 3, none flagged. Run-chart convention (Provost & Murray) would skip
    # the point instead and see a run of 6; NHSRplotthedots breaks the run.
    y = [1.5, -1.0, 1.0, -1.0, 1.0, -1.0, 0.5, 0.5, 0.5, 0.0, 0.5, 0.5, 0.5] + [-0.5] * 7
    result = chart(y)
    out = result.to_frame()
    assert out["mean"][0] == 0.0 and out["relative_to_mean"][9] == 0
    assert flagged(result) == list(range(13, 20))


def test_run_of_six_is_not_flagged() -> None:
    y = [1.0, -1.0] * 4 + [0.5] * 6 + [-0.5] * 6
    assert flagged(chart(y)) == []


# --- trend of 7 -----------------------------------------------------------------------------


def test_trend_of_exactly_seven_crossing_the_mean() -> None:
    # Sum 0 -> mean 0; the trend -0.75 .. 0.75 is 7 points (6 rises), and the points around it
    # end it (1 -> -0.75 falls, 0.75 -> -1 falls). All 7 are marked, including
    # those below the mean (NHSRplotthedots 0.2 fixed the colouring of such trends, issue #171).
    y = [-1.0, 1.0] * 4 + [-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75] + [-1.0, 1.0] * 3
    result = chart(y)
    assert flagged(result) == list(range(8, 15))
    assert set(result.to_frame()["special_cause_type"][8:15]) == {"7 Point Trend (Increasing)"}
    assert set(types(result)[8:15]) == {"special_cause_improvement"}
    # the same series for a measure where lower is better: the rising trend is a concern
    assert set(types(chart(y, "decrease"))[8:15]) == {"special_cause_concern"}


def test_decreasing_trend_and_six_points_not_a_trend() -> None:
    falling = [1.0, -1.0] * 4 + [0.75, 0.5, 0.25, 0.0, -0.25, -0.5, -0.75] + [1.0, -1.0] * 3
    result = chart(falling)
    assert flagged(result) == list(range(8, 15))
    assert set(result.to_frame()["special_cause_type"][8:15]) == {"7 Point Trend (Decreasing)"}
    six = [-1.0, 1.0] * 4 + [-0.625, -0.375, -0.125, 0.125, 0.375, 0.625] + [-1.0, 1.0] * 3
    assert flagged(chart(six)) == []


def test_a_tie_breaks_the_trend() -> None:
    # NHSRplotthedots needs each step strictly up; run-chart convention would ignore the tie.
    y = [-1.0, 1.0] * 4 + [-0.75, -0.5, -0.25, -0.25, 0.25, 0.5, 0.75] + [-1.0, 1.0] * 3
    assert flagged(chart(y)) == []


# --- 2 of 3 close to a limit ----------------------------------------------------------------


def test_two_of_three_close_on_the_same_side() -> None:
    # 32 points, sum 0 -> mean 0. MRs: 9 + 9 of 1 and 5 of 1 in the bases, and 3.5, 2.5, 2.5, 3.5
    # around each window: AMR = (9 + 12 + 5 + 12 + 9)/31 = 47/31. Near band 2/3 x 2.66 x 47/31 =
    # 2.689 < 3 < 4.033 = upl: both 3s are close; the middle 0.5 is not and is not marked.
    y = B * 5 + [3.0, 0.5, 3.0] + [-0.5, 0.5] * 3 + [-3.0, -0.5, -3.0] + B * 5
    result = chart(y)
    out = result.to_frame()
    assert out["upl"][0] == pytest.approx(2.66 * 47 / 31)
    assert flagged(result) == [10, 12, 19, 21]
    assert out["special_cause_type"][10] == "2 in 3 Above CL"
    assert [types(result)[i] for i in (10, 19)] == ["special_cause_improvement", "special_cause_concern"]


def test_two_of_three_on_opposite_sides_do_not_count() -> None:
    # The middle point crosses the mean: AMR = 51/31, both 3s still close (near band 2.917), but
    # the three points are not on one side. NHSRplotthedots 0.1.0 flagged this (issue #143).
    y = B * 5 + [3.0, -0.5, 3.0] + [-0.5, 0.5] * 3 + [-3.0, 0.5, -3.0] + B * 5
    result = chart(y)
    assert result.to_frame()["close_to_limits"][[10, 12, 19, 21]].tolist() == [True] * 4
    assert flagged(result) == []


# --- directions, icons and assurance ---------------------------------------------------------


def test_neutral_measure_high_and_low() -> None:
    result = chart(outlier_series(), "neutral")
    assert types(result)[8] == "special_cause_neutral_high"
    low = [-v for v in outlier_series()]
    assert types(chart(low, "neutral"))[8] == "special_cause_neutral_low"
    assert chart([*low, 0.0], "neutral").variation == "common_cause"


@pytest.mark.parametrize(
    ("direction", "target", "expected"),
    [
        # +-1 alternating, 16 points: mean 0, AMR 2, limits +-5.32.
        ("increase", -6.0, "consistent_pass"),
        ("increase", 6.0, "consistent_fail"),
        ("increase", 0.5, "inconsistent"),
        ("decrease", 6.0, "consistent_pass"),
        ("decrease", -6.0, "consistent_fail"),
        ("decrease", 5.0, "inconsistent"),
    ],
)
def test_assurance_from_the_last_limits(direction: str, target: float, expected: str) -> None:
    result = chart([1.0, -1.0] * 8, direction, target=target)
    assert result.assurance == expected
    assert result.to_frame()["target"].unique().tolist() == [target]


def test_no_target_no_assurance() -> None:
    assert chart([1.0, -1.0] * 8).assurance is None


# --- rebase ---------------------------------------------------------------------------------


def test_rebase_gives_before_and_after_limits() -> None:
    # 12 points around 0 then 12 around 10 (+-1 alternating): each group mean 0 / 10, AMR 2.
    y = [1.0, -1.0] * 6 + [11.0, 9.0] * 6
    result = chart(y, rebase=["2021-01"])
    out = result.to_frame()
    assert out["rebase_group"].tolist() == [0] * 12 + [1] * 12
    assert out["mean"].tolist() == [0.0] * 12 + [10.0] * 12
    assert out["upl"][0] == pytest.approx(5.32) and out["upl"][12] == pytest.approx(15.32)
    assert flagged(result) == []
    # Without the rebase: mean 5; 23 MRs, 22 of 2 and the step |-1 - 11| = 12, AMR 56/23 = 2.435;
    # 12 >= 3.267 x 2.435 = 7.95 is screened out, AMR 2, limits 5 +- 5.32: every point is in a
    # run of 12 on one side of the mean (and the 11s lie above upl 10.32).
    whole = chart(y)
    assert whole.to_frame()["upl"][0] == pytest.approx(5 + 2.66 * 2)
    assert flagged(whole) == list(range(24))


def test_rebase_outside_the_series() -> None:
    y = [1.0, -1.0] * 12
    with pytest.raises(ModelInputError, match="rebase date 2030-01 is outside the series"):
        chart(y, rebase=["2030-01"])
    with pytest.raises(ModelInputError, match="rebase date 2020-01 is outside the series"):
        chart(y, rebase=["2020-01"])


# --- bad input ------------------------------------------------------------------------------


def test_short_series_gives_limits_only() -> None:
    result = chart([1.0, -1.0] * 4)
    out = result.to_frame()
    assert out["upl"][0] == pytest.approx(5.32)
    assert out["point_type"].isna().all()
    assert not result.rules_applied and result.variation is None
    assert "8 points, fewer than the 12 the special-cause rules need: limits only" in result.messages[0]


def test_target_on_a_neutral_measure() -> None:
    with pytest.raises(ParameterError, match="a target needs an improvement direction"):
        chart([1.0, -1.0] * 8, "neutral", target=1.0)


def test_missing_value_and_duplicate_month() -> None:
    with pytest.raises(ModelInputError, match="missing or not a number at 2020-02-01"):
        chart([1.0, float("nan")] + [1.0] * 12)
    data = frame([1.0, -1.0] * 7)
    data.loc[3, "month"] = data.loc[2, "month"]
    with pytest.raises(ModelInputError, match="duplicated time"):
        spc(data, value="y", time="month", improvement_direction="increase")
    with pytest.raises(ModelInputError, match="column 'share'"):
        spc(data, value="share", time="month", improvement_direction="increase")
