"""SPC parameter files: the template validates as printed (panels a list), chart types per panel,
numerator/denominator columns, the funnel section, and every problem named by panel and parameter."""

from pathlib import Path

import pytest
import yaml

from slp_eval.cli import main
from slp_eval.errors import ParameterError
from slp_eval.params import validate_params
from slp_eval.params.spc import SPCParams

ROOT = Path(__file__).resolve().parents[1]
BASE = {
    "analysis": "spc", "title": "t", "data": {"path": "../data/synthetic/monthly_series.csv",
                                            "dataset": "monthly_series"},
    "filters": {"measure": "ccp_in_south_london"}, "improvement_direction": "increase",
}  # fmt: skip


def check(**changes):  # type: ignore[no-untyped-def]
    return validate_params({**BASE, **changes}, base_dir=ROOT / "params")


def test_new_params_spc_prints_panels_as_a_list_and_validates_as_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["new-params", "spc"]) == 0
    text = capsys.readouterr().out
    template = yaml.safe_load(text)
    assert isinstance(template["panels"], list) and template["panels"][0]["label"]
    assert "FILL IN" in text
    # saved where README says (`slp-eval new-params spc > params/my_question.yaml`)
    params = validate_params(template, source="template", base_dir=ROOT / "params")
    assert (
        isinstance(params, SPCParams)
        and params.chart == "xmr"
        and params.panels[0].filters == {"unit": "SLP"}
    )


def test_chart_type_per_panel_with_numerator_and_denominator() -> None:
    params = check(
        chart="p",
        multiply=100,
        panels=[
            {"label": "SLP share", "filters": {"unit": "SLP"}},
            {"label": "SLP XmR", "filters": {"unit": "SLP"}, "chart": "xmr", "value": "percent"},
            {
                "label": "Forensic",
                "filters": {"unit": "SLP", "measure": "forensic_out_of_area_placements"},
                "chart": "c",
                "improvement_direction": "decrease",
            },
        ],
    )
    assert isinstance(params, SPCParams)
    assert params.numerator == "numerator" and params.denominator == "denominator"
    assert [p.chart or params.chart for p in params.panels] == ["p", "xmr", "c"]


def test_problems_name_the_panel_and_the_parameter() -> None:
    with pytest.raises(ParameterError) as caught:
        check(panels=[{"label": "Oxleas", "filters": {"unit": "SLP"}}])  # xmr with no value
    assert "panels[0] (Oxleas): chart 'xmr' needs `value`" in str(caught.value)
    with pytest.raises(ParameterError) as caught:
        check(chart="p", denominator="denominatr", panels=[{"label": "a", "filters": {"unit": "SLP"}}])
    assert "denominator:" in str(caught.value) and "did you mean 'denominator'?" in str(caught.value)
    with pytest.raises(ParameterError) as caught:
        check(panels=[{"label": "a", "filters": {"unit": "SLP"}, "value": "percnt"}])
    assert "panels[0].value:" in str(caught.value) and "did you mean 'percent'?" in str(caught.value)
    with pytest.raises(ParameterError, match="panels\\[0\\] \\(a\\): target: a target needs"):
        check(
            panels=[
                {
                    "label": "a",
                    "filters": {"unit": "SLP"},
                    "value": "percent",
                    "improvement_direction": "neutral",
                    "target": 50.0,
                }
            ]
        )


def test_funnel_section_columns_are_checked() -> None:
    with pytest.raises(ParameterError) as caught:
        check(funnel={"unit": "unt"})
    assert "funnel.unit:" in str(caught.value) and "did you mean 'unit'?" in str(caught.value)
    params = check(funnel={"highlight": ["SLP"]})
    assert isinstance(params, SPCParams) and params.funnel is not None and params.funnel.kind == "proportion"
