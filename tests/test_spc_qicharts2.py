"""The p, u, c and XmR charts and Anhoej's runs analysis replay qicharts2's own test references:
the worked examples of Montgomery's *Introduction to Statistical Quality Control* (qicharts2
`tests/testthat/test_montgomery.R`) and its hospital-infections u charts (`test_hai.R`). Every
expected number is read from qicharts2's reference files (tests/data/qicharts2/SOURCE.md), never
from this package."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slp_eval.spc import attribute_chart, spc

DATA = Path(__file__).parent / "data" / "qicharts2"


def table(name: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / f"{name}.csv")
    frame["month"] = pd.period_range("2000-01", periods=len(frame), freq="M").astype(str)
    return frame


def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"ref_{name}.csv")


def assert_chart(result, ref: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    out = result.to_frame()
    for ours, theirs in (("y", "y"), ("cl", "cl"), ("lcl", "lcl"), ("ucl", "ucl")):
        np.testing.assert_allclose(
            out[ours].to_numpy(float), ref[theirs].to_numpy(float), rtol=1e-12, atol=1e-14
        )
    assert out["sigma_signal"].tolist() == ref["sigma.signal"].tolist()
    assert out["include"].tolist() == ref["include"].tolist()
    per_part = ref.groupby("part").first()
    summary = result.summary_frame()
    for ours, theirs in (
        ("n_useful", "n.useful"),
        ("longest_run", "longest.run"),
        ("longest_run_max", "longest.run.max"),
        ("n_crossings", "n.crossings"),
        ("n_crossings_min", "n.crossings.min"),
        ("runs_signal", "runs.signal"),
    ):
        assert summary[ours].tolist() == per_part[theirs].tolist(), ours


CASES = {
    # Example 7.1: p chart, samples 15 and 23 excluded, new limits from sample 31
    "ex_7.1_5": (
        "tbl_07.03",
        dict(chart="p", numerator="count", denominator="size"),
        dict(exclude=[14, 22], rebase=30),
    ),
    # Table 7.4: p chart with varying sample sizes
    "tbl_7.4_1": ("tbl_07.04", dict(chart="p", numerator="count", denominator="size"), {}),
    # Example 7.3: c chart, samples 6 and 20 excluded, limits frozen after 26 samples
    "ex_7.3_3": ("tbl_07.08", dict(chart="c", numerator="count"), dict(exclude=[5, 19], freeze=26)),
    # Example 7.4: u chart
    "ex_7.4_1": ("tbl_07.10", dict(chart="u", numerator="count", denominator="size"), {}),
    # Example 7.5: u chart per 50 m of cloth (multiply = 50), varying roll length
    "ex_7.5_1": ("tbl_07.11", dict(chart="u", numerator="count", denominator="meters", multiply=50), {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_montgomery_examples_match_qicharts2(case: str) -> None:
    name, options, extra = CASES[case]
    data = table(name)
    months = data["month"].tolist()
    result = attribute_chart(
        data,
        time="month",
        improvement_direction="decrease",
        **options,  # type: ignore[arg-type]
        exclude=[months[i] for i in extra.get("exclude", [])],
        rebase=[months[extra["rebase"]]] if "rebase" in extra else None,
        fix_after_n_points=extra.get("freeze"),
    )
    assert_chart(result, reference(case))


def test_example_7_3_flags_a_shift_by_the_longest_run() -> None:
    # qicharts2's runs analysis of Example 7.3: a run of 8 is no signal (max 8), but 14 crossings
    # of 44 useful points is fewer than the 16 expected: non-random variation.
    data = table("tbl_07.08")
    months = data["month"].tolist()
    result = attribute_chart(
        data,
        chart="c",
        numerator="count",
        time="month",
        improvement_direction="decrease",
        exclude=[months[5], months[19]],
        fix_after_n_points=26,
    )
    runs = result.runs[0]
    assert (runs.longest_run, runs.longest_run_max, runs.n_crossings, runs.n_crossings_min) == (8, 8, 14, 16)
    assert runs.too_few_crossings and not runs.shift and runs.runs_signal


def test_example_6_5_individuals_chart_mean_and_moving_range() -> None:
    # qicharts2's I chart: cl -/+ 3 AMR / 1.128; NHSRplotthedots' XmR: mean -/+ 2.66 AMR (2.66 is
    # 3 / 1.128 rounded). The mean and the average moving range are the same, so the limits are
    # the reference's AMR times 2.66 exactly. Limits frozen after 20 weeks (freeze = 20).
    ref = reference("ex_6.5_3")
    amr = (ref["ucl"][0] - ref["cl"][0]) * 1.128 / 3
    result = spc(
        table("tbl_06.07"),
        value="cost",
        time="month",
        improvement_direction="decrease",
        fix_after_n_points=20,
    )
    out = result.to_frame()
    assert out["mean"][0] == pytest.approx(ref["cl"][0], rel=1e-12)
    assert out["upl"][0] == pytest.approx(ref["cl"][0] + 2.66 * amr, rel=1e-12)
    assert out["lpl"][0] == pytest.approx(ref["cl"][0] - 2.66 * amr, rel=1e-12)
    assert abs(out["upl"][0] - ref["ucl"][0]) < 0.01  # 2.66 against 2.6596


def hospital(infection: str | None = None) -> pd.DataFrame:
    frame = pd.read_csv(DATA / "hospital_infections.csv")
    if infection is not None:
        frame = frame[frame["infection"] == infection]
    return frame.groupby("month", as_index=False)[["n", "days"]].sum()


@pytest.mark.parametrize("infection", [None, "BAC", "CDI", "UTI"])
def test_hospital_infection_u_charts_match_qicharts2_summaries(infection: str | None) -> None:
    refs = (
        reference("hai_1") if infection is None else reference("hai_2").set_index("facet1").loc[[infection]]
    )
    ref = refs.iloc[0]
    result = attribute_chart(
        hospital(infection),
        chart="u",
        numerator="n",
        denominator="days",
        time="month",
        improvement_direction="decrease",
    )
    out = result.to_frame()
    assert out["cl"][0] == pytest.approx(ref["CL"], rel=1e-10)
    assert out["lcl"].mean() == pytest.approx(ref["aLCL"], rel=1e-10)
    assert out["ucl"].mean() == pytest.approx(ref["aUCL"], rel=1e-10)
    runs = result.runs[0]
    assert (
        runs.n_obs,
        runs.n_useful,
        runs.longest_run,
        runs.longest_run_max,
        runs.n_crossings,
        runs.n_crossings_min,
        runs.runs_signal,
    ) == (
        ref["n.obs"],
        ref["n.useful"],
        ref["longest.run"],
        ref["longest.run.max"],
        ref["n.crossings"],
        ref["n.crossings.min"],
        bool(ref["runs.signal"]),
    )
    assert int(out["sigma_signal"].sum() > 0) == ref["sigma.signal"]
