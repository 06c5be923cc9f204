"""The programme scorecard: the shipped claims file, verdicts, adjustment, sensitivity, errors."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from statsmodels.stats.multitest import multipletests

from slp_eval.errors import ParameterError
from slp_eval.params.scorecard import ScorecardParams
from slp_eval.prepost import compare_proportions, compare_rates
from slp_eval.report.scorecard import build

CLAIMS_FILE = Path(__file__).parents[1] / "params" / "slp_headline_claims.yaml"


@pytest.fixture(scope="module")
def params() -> ScorecardParams:
    return ScorecardParams.model_validate(yaml.safe_load(CLAIMS_FILE.read_text()))


@pytest.fixture(scope="module")
def card(params):
    return build(params)


def test_shipped_file_holds_every_headline_claim_with_its_source(params):
    ids = {c.id for c in params.claims}
    assert ids == {
        "ccp_in_south_london", "ccp_in_home_borough", "ccp_independent_or_out_of_area",
        "forensic_out_of_area_placements", "camhs_out_of_area_bed_days",
        "forensic_inpatient_beds", "adult_eating_disorder_beds", "camhs_placement_distance",
        "forensic_readmissions", "rehab_ward_utilisation", "nurse_retention",
        "patients_care_supported_recovery",
    }
    for claim in params.claims:
        assert claim.source.startswith("SLP ")
        assert "primary source needed" in claim.source
        assert claim.primary_source_checked is False


def test_effects_equal_the_prepost_functions(card):
    frame = card.to_frame().set_index("claim_id")
    south = compare_proportions(189, 450, 378, 450)  # 42% and 84% of an assumed 450
    row = frame.loc["ccp_in_south_london"]
    assert (row.estimate, row.ci_low, row.ci_high, row.p_value) == pytest.approx(
        (south.difference, south.ci_low, south.ci_high, south.p_value)
    )
    forensic = compare_rates(201, 1, 152, 1)
    row = frame.loc["forensic_out_of_area_placements"]
    assert row.term == "rate_ratio"
    assert (row.estimate, row.ci_low, row.ci_high) == pytest.approx(
        (152 / 201, forensic.ci_low, forensic.ci_high)
    )
    bed_days = compare_rates(1102, 31, 680, 31, dispersion=20)
    assert frame.loc["camhs_out_of_area_bed_days", "p_value"] == pytest.approx(bed_days.p_value)


def test_holm_adjustment_across_the_testable_claims_only(card):
    frame = card.to_frame()
    tested = frame[frame["term"] != "not tested"]
    assert len(tested) == 4
    expected = multipletests(tested["p_value"], method="holm")[1]
    np.testing.assert_allclose(tested["p_adjusted"], expected)
    assert frame.loc[frame["term"] == "not tested", "p_adjusted"].isna().all()


def test_verdicts(card):
    verdicts = card.to_frame().set_index("claim_id")["verdict"].to_dict()
    assert verdicts["ccp_in_south_london"] == "supported"
    assert verdicts["forensic_out_of_area_placements"] == "supported"
    assert verdicts["forensic_inpatient_beds"] == (
        "cannot be tested: needs the number of forensic inpatient beds before and after (only a "
        "relative change, -24%, is published)"
    )
    assert verdicts["camhs_placement_distance"] == (
        "cannot be tested: needs the standard deviation and number of values behind each mean "
        "(or the individual miles)"
    )
    assert verdicts["rehab_ward_utilisation"] == (
        "cannot be tested: needs the number of available bed days behind each percentage (the "
        "denominators)"
    )
    assert verdicts["patients_care_supported_recovery"] == (
        "cannot be tested: needs a before figure or a comparator (only one period is published) "
        "and the number of patients surveyed"
    )


def test_sensitivity_across_assumed_denominators_and_dispersion(card):
    table = card.sensitivity()
    south = table[table["claim_id"] == "ccp_in_south_london"]
    assert list(south["value"]) == [100, 200, 300, 400, 500, 600]
    widths = (south["ci_high"] - south["ci_low"]).to_numpy()
    assert (np.diff(widths) < 0).all()  # more people, narrower interval
    # at n = 100 the counts are 42/100 and 84/100
    at_100 = compare_proportions(42, 100, 84, 100)
    assert south.iloc[0]["ci_low"] == pytest.approx(at_100.ci_low)
    beds = table[table["claim_id"] == "camhs_out_of_area_bed_days"]
    assert list(beds["assumption"].unique()) == ["dispersion"]
    # the verdict flips once the assumed dispersion is large enough: the report must say so
    assert beds["verdict"].iloc[0] == "supported"
    assert beds["verdict"].iloc[-1] == "not distinguishable from no change"
    explanation = next(r.explanation for r in card.results
                       if r.claim.id == "camhs_out_of_area_bed_days")
    assert "The verdict depends on the assumed dispersion" in explanation


def test_summary_and_json(card):
    text = card.summary()
    assert text.startswith("12 claims: 4 supported, 0 not distinguishable from no change, "
                           "8 cannot be tested (alpha = 0.05, Holm adjustment")
    assert ("The share of the Complex Care Programme cohort placed in south London rose from "
            "42.0% (189/450) to 84.0% (378/450): +42.0 percentage points (95% CI") in text
    data = json.loads(json.dumps(card.to_dict()))
    assert data["kind"] == "scorecard"
    assert len(data["claims"]) == 12
    assert data["claims"][2]["estimate"] is None
    assert data["claims"][5]["notes"].startswith("Beds are commissioned capacity")
    assert {"term", "estimate", "std_err", "ci_low", "ci_high", "p_value"} <= set(
        data["estimates"][0]
    )


def test_plain_claims_and_a_paired_table():
    claim = {
        "id": "cohort_at_home", "claim": "More of the cohort at home", "metric": "share at home",
        "unit": "people", "kind": "proportion", "direction": "increase",
        "before": {"period": "2017", "count": 38, "denominator": 50},
        "after": {"period": "2018", "count": 48, "denominator": 50},
        "same_people": True, "paired_table": [[36, 2], [12, 0]], "source": "test",
    }
    card = build([claim])
    row = card.to_frame().iloc[0]
    # Newcombe (1998b) Table II example: 0.0569 to 0.3404
    assert row.term == "paired_difference"
    assert (row.ci_low, row.ci_high) == pytest.approx((0.0569, 0.3404), abs=5e-5)
    assert row.verdict == "supported"


def test_counts_without_exposure_need_equal_periods():
    claim = {
        "id": "admissions", "claim": "Admissions fell", "metric": "admissions", "unit":
        "admissions", "kind": "count", "direction": "decrease",
        "before": {"period": "2017", "count": 40}, "after": {"period": "2019", "count": 30},
        "source": "test",
    }
    verdict = build([claim]).to_frame().iloc[0].verdict
    assert verdict == ("cannot be tested: needs the exposure of each period (population or time "
                       "at risk), or confirmation that the periods are of equal length")
    assert build([{**claim, "equal_periods": True}]).to_frame().iloc[0].verdict == (
        "not distinguishable from no change"
    )


def test_mean_claim_with_summaries_is_welch():
    claim = {
        "id": "distance", "claim": "Placements nearer home", "metric": "distance", "unit":
        "miles", "kind": "mean", "direction": "decrease",
        "before": {"period": "2017", "mean": 73, "sd": 60, "n": 40},
        "after": {"period": "2019", "mean": 7, "sd": 5, "n": 38}, "source": "test",
    }
    row = build([claim]).to_frame().iloc[0]
    se = math.sqrt(60**2 / 40 + 5**2 / 38)
    assert row.term == "mean_difference"
    assert row.estimate == pytest.approx(-66)
    assert row.std_err == pytest.approx(se)
    assert row.verdict == "supported"


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ([{"id": "x", "claim": "c", "metric": "m", "unit": "u", "kind": "count",
           "direction": "decrease", "source": "s", "before": {"period": "2017", "count": 3}}],
         "claim 'x' (claims[0]): a count claim needs both `before` and `after`"),
        ([{"id": "x", "metric": "m", "unit": "u", "kind": "count", "direction": "decrease",
           "source": "s"}],
         "claim 'x' (claims[0]): claim: Field required"),
        ([{"id": "y", "claim": "c", "metric": "m", "unit": "u", "kind": "proportion",
           "direction": "up", "source": "s", "before": {"period": "a", "count": 3},
           "after": {"period": "b", "count": 4}}],
         "claim 'y' (claims[0]): direction: Input should be 'increase' or 'decrease'"),
        ([{"id": "z", "claim": "c", "metric": "m", "unit": "u", "kind": "proportion",
           "direction": "increase", "source": "s",
           "before": {"period": "a", "count": 30, "denominator": 20},
           "after": {"period": "b", "count": 4, "denominator": 20}}],
         "claim 'z' (claims[0]): before: count (30) is larger than denominator (20)"),
        ([{"id": "w", "claim": "c", "metric": "m", "unit": "u", "kind": "count",
           "direction": "increase", "source": "s",
           "before": {"period": "a", "count": -3}, "after": {"period": "b", "count": 4}}],
         "claim 'w' (claims[0]): before.count: Input should be greater than or equal to 0"),
        ([{"id": "v", "claim": "c", "metric": "m", "unit": "u", "kind": "proportion",
           "direction": "increase", "source": "s", "assumed": ["denominator"],
           "before": {"period": "a", "percent": 30}, "after": {"period": "b", "percent": 40}}],
         "claim 'v' (claims[0]): an assumed denominator needs `denominator_range` for the "
         "sensitivity"),
        ([], "build: no claims given; a scorecard needs at least one claim"),
    ],
)
def test_bad_claims_name_the_claim_and_the_rule(claims, message):
    with pytest.raises(ParameterError, match=re.escape(message) + "$"):
        build(claims)


def test_params_model_rejects_duplicate_ids_and_unknown_keys(params):
    data = yaml.safe_load(CLAIMS_FILE.read_text())
    data["claims"].append(dict(data["claims"][0]))
    with pytest.raises(ValidationError, match="claim ids must be unique; repeated: "
                                              "ccp_in_south_london"):
        ScorecardParams.model_validate(data)
    data = yaml.safe_load(CLAIMS_FILE.read_text())
    data["claims"][0]["denominator"] = 450
    with pytest.raises(ValidationError, match=r"claims\.0\.denominator\n  Extra inputs"):
        ScorecardParams.model_validate(data)


def test_the_project_loader_reads_the_shipped_file():
    from slp_eval.params import load_params

    loaded = load_params(CLAIMS_FILE)
    assert isinstance(loaded, ScorecardParams)
    assert len(loaded.claims) == 12


def test_methods_and_limitations_for_the_report(card):
    methods = card.methods()
    assert "Newcombe's hybrid score interval" in methods
    assert "adjusted across the 4 testable claims by Holm's step-down method" in methods
    limitations = card.limitations()
    assert limitations[0].startswith("8 of 12 claims cannot be tested from what is published. ")
    assert ("Forensic inpatient beds" not in limitations[0])  # metrics are as written, capitalised
    assert "Number of forensic inpatient beds: needs the number of forensic inpatient beds" in (
        limitations[0]
    )
    assert ("The verdict on the number of CAMHS out-of-area bed days depends on an assumed "
            "dispersion (see the sensitivity table).") in limitations
    assert "12 of 12 figures have not been checked against their primary source document." in (
        limitations
    )
    assert limitations[-1].startswith("A before/after difference is not an effect of the programme")


def test_level_with_a_denominator_shows_its_interval_but_is_not_tested():
    claim = {"id": "survey", "claim": "80% said yes", "metric": "share saying yes", "unit":
             "respondents", "kind": "level", "direction": "increase", "source": "test",
             "after": {"period": "2024", "percent": 80, "denominator": 200}}
    row = build([claim]).to_frame().iloc[0]
    assert row.term == "proportion"
    assert row.estimate == pytest.approx(0.8)
    assert row.verdict == ("cannot be tested: needs a before figure or a comparator (only one "
                           "period is published)")
    assert np.isnan(row.p_adjusted)


def test_contradicted_and_adjustment_that_removes_significance():
    base = {"claim": "c", "unit": "events", "kind": "count", "source": "test",
            "equal_periods": True}
    claims = [
        {**base, "id": "went_up", "metric": "falls", "direction": "decrease",
         "before": {"period": "a", "count": 100}, "after": {"period": "b", "count": 160}},
        {**base, "id": "borderline", "metric": "admissions", "direction": "decrease",
         "before": {"period": "a", "count": 134}, "after": {"period": "b", "count": 100}},
        {**base, "id": "flat", "metric": "visits", "direction": "decrease",
         "before": {"period": "a", "count": 100}, "after": {"period": "b", "count": 99}},
    ]
    card = build(claims)
    verdicts = card.to_frame().set_index("claim_id")["verdict"]
    assert verdicts["went_up"] == "contradicted: the change went the other way"
    borderline = next(r for r in card.results if r.claim.id == "borderline")
    assert borderline.test.p_value < 0.05 <= borderline.p_adjusted
    assert verdicts["borderline"] == "not distinguishable from no change"
    assert "Significant on its own, but not after allowing for the number of claims tested." in (
        borderline.explanation
    )
    assert card.summary().startswith("3 claims: 0 supported, 2 not distinguishable from no "
                                     "change, 0 cannot be tested, 1 contradicted")


def test_smallest_denominator_that_still_supports_the_claim(card):
    frame = card.to_frame().set_index("claim_id")
    smallest = int(frame.loc["ccp_in_home_borough", "smallest_supporting_denominator"])
    others = frame.loc[frame.index != "ccp_in_home_borough", "p_value"].dropna().to_list()

    def holm_p(n: int) -> float:
        # 38% and 55% of n, the other claims' p-values as they are; Holm by statsmodels
        own = compare_proportions(math.floor(0.38 * n + 0.5), n, math.floor(0.55 * n + 0.5), n)
        return multipletests([own.p_value, *others], method="holm")[1][0]

    assert holm_p(smallest) < 0.05 <= holm_p(smallest - 1)
    assert pd.isna(frame.loc["forensic_out_of_area_placements", "smallest_supporting_denominator"])
    assert "supported with as few as about" in next(
        r.explanation for r in card.results if r.claim.id == "ccp_in_home_borough"
    )
    assert json.loads(json.dumps(card.to_dict()))["claims"][3][
        "smallest_supporting_denominator"] is None


def test_small_change_is_not_supported_at_any_plausible_denominator():
    claim = {"id": "tiny", "claim": "Up from 50% to 52%", "metric": "share at home", "unit":
             "people", "kind": "proportion", "direction": "increase", "source": "test",
             "before": {"period": "a", "percent": 50, "denominator": 100},
             "after": {"period": "b", "percent": 52, "denominator": 100},
             "assumed": ["denominator"], "denominator_range": [50, 400]}
    result = build([claim]).results[0]
    assert result.verdict == "not distinguishable from no change"
    assert result.smallest_supporting_denominator is None
    assert result.explanation.endswith(" It would not be supported even with 400 people in each "
                                       "period.")


def test_statistics_take_plain_claims_and_the_report_layer_converts(params):
    """`slp_eval.scorecard.build` takes the plain `Claim` dataclasses; the report layer's `build`
    validates a parameter file (or dicts) and converts, to the same scorecard."""
    from slp_eval import scorecard as statistics
    from slp_eval.report.scorecard import claim_values

    claims = [claim_values(c) for c in params.claims]
    assert all(isinstance(c, statistics.Claim) for c in claims)
    plain = statistics.build(claims, alpha=params.alpha, adjust=params.adjust,
                             sensitivity_points=params.sensitivity_points)
    assert json.dumps(plain.to_dict()) == json.dumps(build(params).to_dict())
    assumed = next(c for c in claims if c.assumed and c.before is not None)
    assert isinstance(assumed.assumed, tuple) and isinstance(assumed.before, statistics.Measurement)


def test_statistics_build_refuses_what_it_cannot_validate(params):
    from slp_eval import scorecard as statistics

    with pytest.raises(ParameterError, match=re.escape(
            "build: claims[0] is a dict, not a slp_eval.scorecard.Claim; "
            "slp_eval.report.scorecard.build validates and converts claims")):
        statistics.build([{"id": "x"}])
    with pytest.raises(ParameterError, match=re.escape(
            "build: claims must be a list of slp_eval.scorecard.Claim, got ScorecardParams")):
        statistics.build(params)
    with pytest.raises(ParameterError, match=re.escape(
            "claim 'x': a count claim needs `after`")):
        statistics.Claim(id="x", claim="c", metric="m", unit="u", kind="count",
                         direction="increase", source="s",
                         before=statistics.Measurement(period="2017", count=3))
