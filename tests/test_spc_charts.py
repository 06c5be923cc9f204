"""Run charts, p' / u' (Laney) and the chart results' house methods, on hand-computed series;
the structure (no import circle between the statistics and the figures); and Anhoej's crossing
threshold against R's own qbinom (marker `peer`)."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slp_eval.errors import ModelInputError, ParameterError
from slp_eval.spc import attribute_chart, board_summary, run_chart, runs_analysis, spc
from slp_eval.spc.runs import crossings_min, longest_run_max

ROOT = Path(__file__).resolve().parents[1]


def months(n: int, start: str = "2020-01") -> list[str]:
    return pd.period_range(start, periods=n, freq="M").astype(str).tolist()


# -- runs analysis and run charts --------------------------------------------------------------


def test_runs_analysis_by_hand() -> None:
    # y against a centre of 0: + + + 0 - - + - - - (the 0 is not useful): sides + + + - - + - - -
    # runs: +++ / -- / + / --- : 4 runs, 3 crossings, longest 3; n_useful 9:
    # longest_run_max = round(log2 9) + 3 = round(3.17) + 3 = 6; crossings_min = qbinom(0.05, 8, .5) = 2
    y = np.array([1, 2, 1, 0, -1, -2, 1, -1, -2, -1], float)
    runs = runs_analysis(y, np.zeros(10))
    assert (runs.n_obs, runs.n_useful, runs.longest_run, runs.n_crossings) == (10, 9, 3, 3)
    assert (runs.longest_run_max, runs.n_crossings_min) == (6, 2)
    assert not runs.runs_signal and runs.current_run == (-1, 3)


def test_run_chart_shift_at_the_last_point_is_improvement_high() -> None:
    # six 10s and six 12s alternating, then nine 13s: sorted, the 11th of 21 values is a 12
    y = [10.0, 12.0] * 6 + [13.0] * 9
    data = pd.DataFrame({"m": months(len(y)), "y": y})
    result = run_chart(data, value="y", time="m", improvement_direction="increase")
    frame = result.to_frame()
    assert frame["cl"][0] == 12.0
    runs = result.runs[0]
    # sides: 10 below, 12 on the median (skipped), 13 above: useful = 6 below + 9 above = 15
    assert runs.n_useful == 15 and runs.longest_run == 9 and runs.longest_run_max == 7
    assert runs.shift and result.variation == "improvement_high"
    assert result.to_frame()["x"].tolist() == data["m"].tolist()  # times come back as given
    fixed = run_chart(data, value="y", time="m", improvement_direction="decrease", fix_after_n_points=12)
    assert fixed.to_frame()["cl"][0] == 11.0 and fixed.variation == "concern_high"


def test_run_chart_past_shift_is_non_random_and_a_gap_is_skipped() -> None:
    y = [1.0] * 9 + [5.0, 3.0] * 6
    y[10] = float("nan")
    data = pd.DataFrame({"m": months(len(y)), "y": y})
    result = run_chart(data, value="y", time="m", missing="gap")
    assert result.runs[0].shift and result.variation == "non_random"
    assert result.runs[0].n_obs == 20 and "2020-11" in result.messages[0]


# -- Laney p' and u' by hand -----------------------------------------------------------------------


def test_pprime_by_hand() -> None:
    # Four months of 100 people: 10, 20, 10, 20 -> p = .1 .2 .1 .2, cl = 60/400 = .15,
    # sigma_i = sqrt(.15 * .85 / 100) = 0.035707; z = -/+1.4003; moving ranges 2.8006 (three),
    # sigma_z = 2.8006 / 1.128 = 2.4828; limits .15 -/+ 3 * 0.035707 * 2.4828 = .15 -/+ 0.26596
    data = pd.DataFrame({"m": months(4), "x": [10, 20, 10, 20], "n": [100] * 4})
    result = attribute_chart(
        data, chart="pprime", numerator="x", denominator="n", time="m", improvement_direction="increase"
    )
    sd = np.sqrt(0.15 * 0.85 / 100)
    sigma_z = 2 * 0.05 / sd / 1.128
    assert result.sigma_z[0] == pytest.approx(sigma_z, rel=1e-12)
    frame = result.to_frame()
    assert frame["ucl"][0] == pytest.approx(0.15 + 3 * sd * sigma_z, rel=1e-12)
    assert frame["lcl"][0] == 0.0  # .15 - .266 < 0: cut at 0
    plain = attribute_chart(
        data, chart="p", numerator="x", denominator="n", time="m", improvement_direction="increase"
    )
    assert plain.to_frame()["ucl"][0] == pytest.approx(0.15 + 3 * sd, rel=1e-12) and plain.sigma_z == (1.0,)


def test_uprime_scales_the_u_limits_and_limits_at_rounded_denominators() -> None:
    data = pd.DataFrame(
        {
            "m": months(14),
            "x": [30, 50, 35, 60, 40, 45, 55, 38, 42, 58, 33, 47, 52, 44],
            "n": [1000, 1200, 900, 1500, 1100, 1000, 1300, 950, 1000, 1400, 800, 1100, 1250, 1050],
        }
    )
    u = attribute_chart(
        data,
        chart="u",
        numerator="x",
        denominator="n",
        time="m",
        improvement_direction="decrease",
        multiply=1000,
    )
    up = attribute_chart(
        data,
        chart="uprime",
        numerator="x",
        denominator="n",
        time="m",
        improvement_direction="decrease",
        multiply=1000,
    )
    f, g = u.to_frame(), up.to_frame()
    np.testing.assert_allclose(g["sigma"], f["sigma"] * up.sigma_z[0])
    lcl, ucl = up.limits_at(data["n"].to_numpy(float))
    np.testing.assert_allclose(ucl, g["ucl"]) and np.testing.assert_allclose(lcl, g["lcl"])
    assert f["cl"][0] == pytest.approx(1000 * data["x"].sum() / data["n"].sum())


def test_attribute_chart_refuses_bad_counts() -> None:
    data = pd.DataFrame({"m": months(3), "x": [5, 12, 3], "n": [10, 10, 10]})
    with pytest.raises(ModelInputError, match="'x' exceeds 'n'"):
        attribute_chart(
            data, chart="p", numerator="x", denominator="n", time="m", improvement_direction="increase"
        )
    with pytest.raises(ParameterError, match="c chart: charts counts with no denominator"):
        attribute_chart(
            data, chart="c", numerator="x", denominator="n", time="m", improvement_direction="increase"
        )
    with pytest.raises(ParameterError, match="needs a denominator"):
        attribute_chart(data, chart="u", numerator="x", time="m", improvement_direction="increase")


# -- the house methods of a result ----------------------------------------------------------------


def test_spc_result_has_the_house_methods_and_keeps_the_input_times() -> None:
    y = [1.0, -1.0] * 6 + [5.0]
    data = pd.DataFrame({"month": months(len(y)), "y": y})
    result = spc(data, value="y", time="month", improvement_direction="increase", target=0.0)
    assert result.to_frame()["x"].tolist() == data["month"].tolist()  # "YYYY-MM" strings stay strings
    assert isinstance(result.stamps.iloc[0], pd.Timestamp)
    periods = data.assign(month=pd.PeriodIndex(data["month"], freq="M"))
    assert isinstance(
        spc(periods, value="y", time="month", improvement_direction="increase").to_frame()["x"][0], pd.Period
    )
    summary = result.summary_frame()
    assert summary.columns.tolist()[:8] == ["rebase_group", "start", "end", "n", "gaps", "mean", "lpl", "upl"]
    assert summary.loc[0, "n"] == 13 and summary.loc[0, "start"] == "2020-01"
    assert summary.loc[0, "assurance_type"] == "inconsistent" == result.assurance
    text = result.summary()
    assert text.startswith("XmR chart of y: at 2021-01 5 against a centre line of 0.3846 (process limits")
    html = result._repr_html_()
    assert "<table" in html and "XmR chart of y" in html and "SPCResult: XmR chart" in repr(result)


def test_board_summary_over_three_chart_types() -> None:
    data = pd.DataFrame(
        {"m": months(14), "x": [10, 12, 9, 11, 10, 12, 11, 9, 10, 12, 11, 10, 30, 31], "n": [100] * 14}
    )
    charts = {
        "xmr": spc(data, value="x", time="m", improvement_direction="decrease"),
        "p": attribute_chart(
            data,
            chart="p",
            numerator="x",
            denominator="n",
            time="m",
            improvement_direction="decrease",
            target=0.15,
        ),
        "run": run_chart(data, value="x", time="m"),
    }
    frame = board_summary(charts).to_frame()
    assert frame["measure"].tolist() == ["xmr", "p", "run"]
    assert frame["chart"].tolist() == ["XmR", "p", "run chart"]
    assert frame.loc[1, "variation"] == "concern_high" and frame.loc[1, "assurance"] == charts["p"].assurance
    assert frame.loc[0, "last_value"] == 31 and frame.loc[1, "last_value"] == pytest.approx(0.31)


# -- structure ------------------------------------------------------------------------------------


def test_no_import_circle_between_the_charts_and_their_figures() -> None:
    code = ("import sys, slp_eval.spc; "
            "print(any(m.startswith(('slp_eval.plots', 'matplotlib')) for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"
    for name in ("spc.py", "funnel.py"):
        tree = ast.parse((ROOT / "slp_eval" / "plots" / name).read_text(encoding="utf-8"))
        for node in tree.body:  # at module level, slp_eval.spc is imported only under TYPE_CHECKING
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("slp_eval.spc"), (name, node.module)


# -- Anhoej's threshold against R ------------------------------------------------------------------


@pytest.mark.peer
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_crossings_and_longest_run_thresholds_match_r() -> None:
    script = (
        "cat(sapply(1:300, function(n) qbinom(0.05, n - 1, 0.5)), sep=' '); cat('\\n');"
        "cat(sapply(1:300, function(n) round(log2(n)) + 3), sep=' ')"
    )
    done = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True, timeout=60)
    crossings, longest = (list(map(int, line.split())) for line in done.stdout.splitlines())
    assert [crossings_min(n) for n in range(1, 301)] == crossings
    assert [longest_run_max(n) for n in range(1, 301)] == longest
