"""The XmR chart replays NHSRplotthedots' own test expectations (nhs-r-community/NHSRplotthedots,
commit 050b07d, tests/testthat): screening (test-ptd_spc_standard.R and its snapshot
_snaps/ptd_spc_standard.md), facets (test-ptd_spc.R's summary snapshots, _snaps/ptd_spc.md),
assurance (test-ptd_calculate_assurance_type.R) and the rule helpers
(test-ptd_calculate_point_type.R). The data are theirs: `set.seed(123); rnorm(20)` in R 4.2
(the values below, printed by R), dates 2020-01-02 onwards."""

import numpy as np
import pandas as pd
import pytest

from slp_eval.spc import spc
from slp_eval.spc.common import _seven_one_side, _trend, assurance_of

#: R: set.seed(123); y <- rnorm(20)
RNORM_123 = [
    -0.5604756465522126, -0.23017748948327996, 1.558708314149124, 0.070508391424576003, 0.12928773516094624,
    1.715064986883281, 0.4609162059892023, -1.265061234606534, -0.68685285189352607, -0.44566197009995806,
    1.2240817974394615, 0.35981382705736381, 0.40077145059405217, 0.11068271594511971, -0.55584113475407493,
    1.7869131368030782, 0.49785047822923939, -1.9666171566296382, 0.70135590156368555, -0.47279140772793404,
]  # fmt: skip


def data(y: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"x": pd.date_range("2020-01-02", periods=len(y), freq="D"), "y": y})


def chart(y: list[float], **options):  # type: ignore[no-untyped-def]
    return spc(data(y), value="y", time="x", improvement_direction="increase", **options)


def test_screening_snapshot_values() -> None:
    # _snaps/ptd_spc_standard.md, r1: mean_col 0.1416238, lpl -3.01138, upl 3.294627
    r1 = chart(RNORM_123).to_frame()
    assert r1["mean"][0] == pytest.approx(0.1416238, abs=5e-8)
    assert r1["lpl"][0] == pytest.approx(-3.01138, abs=5e-6)
    assert r1["upl"][0] == pytest.approx(3.294627, abs=5e-7)
    assert r1["relative_to_mean"].tolist()[:13] == [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1]
    assert not any(r1["outside_limits"]) and not any(r1["close_to_limits"][:8])
    # r2: y[15] <- 10 with screen_outliers = TRUE: mean 0.6694159, lpl -2.383666, upl 3.722497
    y = list(RNORM_123)
    y[14] = 10.0
    r2 = chart(y).to_frame()
    assert r2["mean"][0] == pytest.approx(0.6694159, abs=5e-8)
    assert r2["lpl"][0] == pytest.approx(-2.383666, abs=5e-7)
    assert r2["upl"][0] == pytest.approx(3.722497, abs=5e-7)
    assert r2["relative_to_mean"].tolist()[:13] == [-1, -1, 1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1]
    # r3: the same without screening: lpl -4.596625, upl 5.935457 (a wider range than r2)
    r3 = chart(y, screen_outliers=False).to_frame()
    assert r3["lpl"][0] == pytest.approx(-4.596625, abs=5e-7)
    assert r3["upl"][0] == pytest.approx(5.935457, abs=5e-7)
    assert r3["upl"][0] - r3["lpl"][0] > r2["upl"][0] - r2["lpl"][0]


def test_rebase_and_fix_after_n_points_change_the_limits() -> None:
    s0 = chart(RNORM_123).to_frame()
    s1 = chart(RNORM_123, fix_after_n_points=12).to_frame()
    assert s1["lpl"][0] != s0["lpl"][0] and s1["upl"][0] != s0["upl"][0]
    rebased = chart(RNORM_123, rebase=[data(RNORM_123)["x"][10]]).to_frame()
    assert rebased["rebase_group"].tolist() == [0] * 10 + [1] * 10


def test_facets_summary_snapshot() -> None:
    # _snaps/ptd_spc.md, facet_field = "facet" (10 points each): facet 0 mean 0.0746, lpl -2.60,
    # upl 2.75; facet 1 mean 0.209, lpl -3.28, upl 3.70; 10 common-cause points each. (A facet of
    # 10 points is below the 12 this package needs for the rules, so it gives limits only.)
    expected = {0: (0.0746, -2.60, 2.75), 1: (0.209, -3.28, 3.70)}
    for facet, (mean, lpl, upl) in expected.items():
        part = RNORM_123[10 * facet : 10 * facet + 10]
        row = chart(part).summary_frame().iloc[0]
        assert round(row["mean"], 4 if facet == 0 else 3) == mean
        assert round(row["lpl"], 2) == lpl and round(row["upl"], 2) == upl
        assert row["n"] == 10
    # unfaceted: mean_col 0.142, lpl -3.01, upl 3.29, n 20, 20 common cause, 0 improvement
    row = chart(RNORM_123).summary_frame().iloc[0]
    assert (round(row["mean"], 3), round(row["lpl"], 2), round(row["upl"], 2)) == (0.142, -3.01, 3.29)
    assert (row["n"], row["common_cause"], row["special_cause_improvement"]) == (20, 20, 0)
    assert row["variation_type"] == "common_cause"


def test_two_of_three_on_opposite_sides_is_common_cause() -> None:
    y = [1.0, -1.0] * 8
    y[14], y[15] = 5.5, -5.5
    assert chart(y).to_frame()["point_type"].tolist()[-2:] == ["common_cause", "common_cause"]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("increase", ["consistent_fail", "consistent_pass", "inconsistent"]),
        ("decrease", ["consistent_pass", "consistent_fail", "inconsistent"]),
        ("neutral", [None, None, None]),
    ],
)
def test_assurance_cases(direction: str, expected: list[str | None]) -> None:
    # test-ptd_calculate_assurance_type.R: lpl (1, 5, 1), upl (3, 7, 5), target 4
    lpl, upl = [1, 5, 1], [3, 7, 5]
    assert [assurance_of(4.0, lo, hi, direction) for lo, hi in zip(lpl, upl, strict=True)] == expected  # type: ignore[arg-type]


def test_assurance_uses_the_last_group() -> None:
    # test-ptd_calculate_assurance_type.R "when rebase": the last rebase group's limits decide.
    y = [0.0, 2.0] * 7 + [10.0, 12.0] * 7
    months = pd.period_range("2020-01", periods=len(y), freq="M").astype(str)
    frame = pd.DataFrame({"m": months, "y": y})
    result = spc(
        frame, value="y", time="m", improvement_direction="decrease", target=4.0, rebase=[months[14]]
    )
    assert result.assurance == "consistent_fail"  # last group's lpl > 4 for a decreasing measure
    assert result.summary_frame()["assurance_type"].tolist() == ["inconsistent", "consistent_fail"]


def test_rule_helpers() -> None:
    # ptd_seven_point_one_side_mean flags the points that end a run of 7 (c(rep(1, 8), -1) gives
    # 0 0 0 0 0 0 1 1 0); this package marks every point of such a run (ptd_part_of_seven_trend's
    # step), so the same input marks the first eight points. ptd_seven_point_trend as written.
    assert _seven_one_side(np.array([1] * 6)).tolist() == [False] * 6
    assert _seven_one_side(np.array([1] * 8 + [-1])).astype(int).tolist() == [1] * 8 + [0]
    assert _trend(np.arange(1, 7)).tolist() == [0] * 6
    assert _trend(np.array([1, 2, 3, 3, 4, 5, 6])).tolist() == [0] * 7
    assert _trend(np.arange(1, 8)).tolist() == [0] * 6 + [1]
    assert _trend(np.array([2, *range(1, 8), 3])).tolist() == [0] * 7 + [1, 0]
    assert _trend(np.arange(7, 0, -1)).tolist() == [0] * 6 + [-1]
