"""Property: for random small-count data and random disclosure rules, no count in the suppressed
range can be read or derived from what the report and results.json show.

An attacker pools every value shown for a window (the windows table as `Report.table` shows it,
the summary sentence and the results.json block) and tries: the count itself; a percent times the
denominator; a rate times the exposure; a total minus the other parts; a mean times the number
of periods. None of these may give back a count the rule suppresses (to within 0.05, i.e. once
rounded by the reader).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slp_eval.disclosure import DisclosureRule, apply_disclosure
from slp_eval.its import fit_its
from slp_eval.params.its import ITSParams
from slp_eval.params.prepost import PrepostParams
from slp_eval.prepost import compare_proportions, compare_rates
from slp_eval.report import its as its_report
from slp_eval.report import prepost as prepost_report
from slp_eval.report.quality import QualityProfile

SERIES = Path(__file__).parent / "data" / "governance" / "small_counts.csv"
PARAMS = {"analysis": "prepost", "title": "t", "data": {"path": str(SERIES), "dataset": "monthly_series"},
          "unit": "Croydon", "measure": "m", "before": {"start": "2019-01", "end": "2019-12"},
          "after": {"start": "2022-01", "end": "2022-12"}}
TOLERANCE = 0.05

rules = st.builds(
    lambda low, high, base: DisclosureRule(suppress_min=low, suppress_max=high, rounding_base=base),
    st.integers(0, 1), st.integers(3, 10), st.sampled_from([1, 5, 10]))


def number(text: object) -> float | None:
    """A shown value as a number; None when it is suppressed, missing or not a number."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return None if np.isnan(text) else float(text)
    cleaned = str(text).replace(",", "").rstrip("%")
    try:
        return float(cleaned)
    except ValueError:
        return None


def assert_not_derivable(truth: dict[str, float], shown: dict[str, list[float | None]], rule: DisclosureRule,
                         where: str) -> None:
    """`truth` holds a window's x, others, n (or count and exposure); `shown` every value seen for
    each (x, others, n, percent, count, rate, exposure)."""
    seen = {k: [v for v in values if v is not None] for k, values in shown.items()}
    candidates: dict[str, list[float]] = {"x": [], "others": [], "n": [], "count": []}
    candidates["x"] += seen.get("x", [])
    candidates["others"] += seen.get("others", [])
    candidates["n"] += seen.get("n", [])
    candidates["count"] += seen.get("count", [])
    for p in seen.get("percent", []):
        for n in seen.get("n", []):
            candidates["x"].append(p * n / 100)
            candidates["others"].append(n * (1 - p / 100))
        for x in seen.get("x", []):
            if p > 0:
                candidates["n"].append(100 * x / p)
    for n in seen.get("n", []):
        candidates["x"] += [n - o for o in seen.get("others", [])]
        candidates["others"] += [n - x for x in seen.get("x", [])]
    candidates["n"] += [x + o for x in seen.get("x", []) for o in seen.get("others", [])]
    for r in seen.get("rate", []):
        candidates["count"] += [r * e for e in seen.get("exposure", [])]
    for name, value in truth.items():
        if name in candidates and rule.hides(value):
            close = [c for c in candidates[name] if abs(c - value) < TOLERANCE]
            assert not close, f"{where}: suppressed {name} = {value} derivable from {seen}"


SENTENCE_PROPORTIONS = re.compile(r"from (\S+) \((\S+)/(\S+)\) to (\S+) \((\S+)/(\S+)\)")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules, data=st.data())
def test_no_suppressed_count_of_a_proportion_comparison_can_be_derived(rule: DisclosureRule,
                                                                        data: Any) -> None:
    n1, n2 = data.draw(st.integers(1, 30)), data.draw(st.integers(1, 30))
    x1, x2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    result = compare_proportions(x1, n1, x2, n2)
    params = PrepostParams.model_validate({**PARAMS, "disclosure": rule.model_dump()})
    arguments = prepost_report.table_arguments(result)
    table = apply_disclosure(prepost_report.windows(result, params), arguments["counts"], rule=rule,
                             additive_rows=arguments["additive_rows"], derived=arguments["derived"]).frame
    sentence = SENTENCE_PROPORTIONS.search(result.summary(rule=rule))
    assert sentence is not None
    block = prepost_report.results_block(result, params)
    for i, (x, n) in enumerate(((x1, n1), (x2, n2))):
        row = table.iloc[i]
        p_text, x_text, n_text = sentence.groups()[3 * i:3 * i + 3]
        shown = {
            "x": [number(row["people"]), number(x_text), number(block[f"x{i + 1}"])],
            "others": [number(row["others"])],
            "n": [number(row["out of"]), number(n_text), number(block[f"n{i + 1}"])],
            "percent": [number(row["percent"]), number(p_text), None if number(block[f"p{i + 1}"]) is None
                        else 100 * number(block[f"p{i + 1}"])],  # type: ignore[operator]
        }
        assert_not_derivable({"x": x, "others": n - x, "n": n}, shown, rule, f"window {i + 1}")


SENTENCE_RATES = re.compile(r"from (\S+) to (\S+?)(?: per unit exposure \((\S+)/\S+ to (\S+)/\S+\))?:")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules, data=st.data())
def test_no_suppressed_count_of_a_rate_comparison_can_be_derived(rule: DisclosureRule, data: Any) -> None:
    c1, c2 = data.draw(st.integers(0, 25)), data.draw(st.integers(0, 25))
    e1, e2 = data.draw(st.sampled_from([1.0, 2.5, 12.0])), data.draw(st.sampled_from([1.0, 2.5, 12.0]))
    if c1 + c2 == 0:
        return
    result = compare_rates(c1, e1, c2, e2)
    params = PrepostParams.model_validate({**PARAMS, "disclosure": rule.model_dump()})
    arguments = prepost_report.table_arguments(result)
    table = apply_disclosure(prepost_report.windows(result, params), arguments["counts"], rule=rule,
                             additive_rows=arguments["additive_rows"], derived=arguments["derived"]).frame
    sentence = SENTENCE_RATES.search(result.summary(rule=rule))
    assert sentence is not None
    block = prepost_report.results_block(result, params)
    estimates = {row["term"]: row for row in block["estimates"]}
    equal = e1 == e2
    for i, (count, exposure, term) in enumerate(((c1, e1, "rate_before"), (c2, e2, "rate_after"))):
        row = table.iloc[i]
        said = sentence.group(i + 1)
        shown = {
            "count": [number(row["count"]), number(block[f"count{i + 1}"]),
                      number(said) if equal else number(sentence.group(i + 3))],
            "rate": [number(row["rate"]), number(block[f"rate{i + 1}"]), number(estimates[term]["estimate"]),
                     None if equal else number(said)],
            "exposure": [number(row["exposure"]), exposure],
        }
        assert_not_derivable({"count": count}, shown, rule, f"window {i + 1}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules, counts=st.lists(st.sampled_from([0] * 8 + [1, 2, 6]), min_size=24, max_size=30))
def test_no_suppressed_total_follows_from_an_its_segment_mean(rule: DisclosureRule,
                                                               counts: list[int]) -> None:
    periods = pd.period_range("2019-01", periods=len(counts), freq="M")
    series = pd.DataFrame({"period": periods, "value": np.asarray(counts, float), "measure_type": "count"})
    if series["value"].iloc[:12].sum() == 0 or series["value"].iloc[12:].sum() == 0:
        return
    params = ITSParams.model_validate({
        "analysis": "its", "title": "t", "data": {"path": str(SERIES), "dataset": "monthly_series"},
        "outcome": "value", "time": "period", "interruptions": [str(periods[12])], "family": "poisson",
        "errors": "ols", "disclosure": rule.model_dump()})
    result = fit_its(series, **its_report.fit_arguments(params))
    overview = its_report.series_overview(result, params, series)
    effects = its_report.effects(result, [0], params)
    for (_, row), part in zip(overview.iterrows(), (counts[:12], counts[12:]), strict=True):
        mean = number(row["mean observed"])
        shown = {"count": [None if mean is None else mean * row["periods"]]}
        shown["count"] += [number(v) for v in effects.loc[effects["when"] == "cumulative", "fitted"]] \
            if part is counts[12:] else []
        assert_not_derivable({"count": float(sum(part))}, shown, rule, str(row["segment"]))


@settings(max_examples=100, deadline=None)
@given(rule=rules, records=st.lists(st.integers(0, 30), min_size=3, max_size=12))
def test_no_suppressed_coverage_count_can_be_derived(rule: DisclosureRule, records: list[int]) -> None:
    rows = sum(records)
    if rows == 0:
        return
    coverage = pd.DataFrame({"code": [f"c{i}" for i in range(len(records))],
                             "label": [f"l{i}" for i in range(len(records))], "records": records,
                             "percent": [100 * r / rows for r in records]})
    empty = pd.DataFrame(columns=["column", "missing", "invalid", "percent_complete"])
    profile = QualityProfile(Path("f.csv"), "placements", rows, empty, pd.DataFrame(),
                             pd.DataFrame(columns=["column", "rule", "cells", "first_row"]), coverage,
                             "code", None)
    table = apply_disclosure(profile.coverage_table(rule), ["records"], rule=rule,
                             derived={"percent": ["records"]}).frame
    block = profile.to_dict(rule)
    total = [number(block["rows"])]
    shown_records = [number(v) for v in table["records"]]
    for i, count in enumerate(records):
        others = [v for j, v in enumerate(shown_records) if j != i]
        by_difference = [t - sum(others) for t in total if t is not None and None not in others]  # type: ignore[arg-type]
        percents = [number(table["percent"].iloc[i]), number(block["coverage"][i]["percent"])]
        shown = {"x": [shown_records[i], number(block["coverage"][i]["records"]), *by_difference],
                 "percent": percents, "n": total}
        assert_not_derivable({"x": count}, shown, rule, f"code {i}")
