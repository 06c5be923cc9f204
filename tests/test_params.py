"""Parameter files: every problem reported at once, with file, field, expected and found."""

import textwrap
from pathlib import Path

import pytest

from slp_eval.errors import ParameterError
from slp_eval.params import KINDS, load_params, model_for, params_schema
from slp_eval.params.template import template_for

GOOD = """\
analysis: its
title: Share of the CCP cohort placed in south London
data:
  path: series.csv
outcome: percent
time: period
interruptions: ["2018-04"]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "series.csv").write_text("period,percent\n2018-01,40\n")
    return tmp_path


def write(folder: Path, text: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_good_file_loads_and_resolves_paths_against_its_folder(folder: Path) -> None:
    params = load_params(write(folder, GOOD))
    assert params.analysis == "its"
    assert params.data.path == (folder / "series.csv").resolve()
    assert params.errors == "newey-west" and params.disclosure.apply is True


BAD_CASES = {
    "typo_key": (
        GOOD.replace("outcome:", "outcme:"),
        "{f}: 2 problems\n  - outcome: required field is missing\n"
        "  - outcme: unknown key, not allowed here; did you mean 'outcome'?",
    ),
    "wrong_type": (
        GOOD + "maxlags: two\n",
        "{f}: 1 problem\n  - maxlags: expected a valid integer; found 'two' (str)",
    ),
    "quoted_number_is_not_coerced": (
        GOOD + 'phase_in: "3"\n',
        "{f}: 1 problem\n  - phase_in: expected a valid integer; found '3' (str)",
    ),
    "missing_data_file": (
        GOOD.replace("series.csv", "absent.csv"),
        "{f}: 1 problem\n  - data.path: file not found: {d}/absent.csv",
    ),
    "unknown_analysis": (
        GOOD.replace("analysis: its", "analysis: regression"),
        "{f}: 1 problem\n  - analysis: unknown analysis 'regression'; expected one of: "
        "data_quality, its, power, prepost, scorecard, spc",
    ),
    "no_analysis": (
        GOOD.replace("analysis: its\n", ""),
        "{f}: 1 problem\n  - analysis: required field is missing "
        "(one of: data_quality, its, power, prepost, scorecard, spc)",
    ),
    "empty_file": ("   \n", "{f}: the parameter file is empty"),
    "not_yaml": (
        "analysis: its\ntitle: [unclosed\n",
        "{f}: not valid YAML at line 3, column 1: expected ',' or ']', but got '<stream end>'",
    ),
    "not_a_mapping": (
        "- its\n- prepost\n",
        "{f}: expected a mapping of keys to values at the top level; found list",
    ),
    "bad_literal": (
        GOOD + "errors: robust\n",
        "{f}: 1 problem\n  - errors: expected 'ols', 'newey-west', 'ar' or 'arima'; found 'robust' (str)",
    ),
    "out_of_range": (
        GOOD + "alpha: 1.5\n",
        "{f}: 1 problem\n  - alpha: expected less than 1; found 1.5 (float)",
    ),
    "nested_unknown_key": (
        GOOD + "seasonality:\n  fourier: 2\n  perod: 12\n",
        "{f}: 1 problem\n  - seasonality.perod: unknown key, not allowed here; did you mean 'period'?",
    ),
    "list_item_wrong_type": (
        GOOD.replace('["2018-04"]', '["2018-04", 2019.5]'),
        "{f}: 1 problem\n  - interruptions[1]: expected a valid string or a valid integer; "
        "found 2019.5 (float)",
    ),
    "group_without_treated": (
        GOOD + "group: borough\n",
        "{f}: 1 problem\n  - `group` and `treated` go together: give both or neither",
    ),
    "several_problems_at_once": (
        GOOD.replace("title: Share of the CCP cohort placed in south London\n", "")
        + "family: normal\nalpha: 0\n",
        "{f}: 3 problems\n  - title: required field is missing\n"
        "  - family: expected 'gaussian', 'poisson', 'quasipoisson', 'negbin' or 'binomial'; "
        "found 'normal' (str)\n  - alpha: expected greater than 0; found 0 (int)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_parameter_file_gives_the_exact_message(folder: Path, case: str) -> None:
    text, expected = BAD_CASES[case]
    path = write(folder, text)
    with pytest.raises(ParameterError) as caught:
        load_params(path)
    assert str(caught.value) == expected.format(f=path, d=folder.resolve())


def test_missing_parameter_file(tmp_path: Path) -> None:
    with pytest.raises(ParameterError) as caught:
        load_params(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: parameter file not found"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_model_a_schema_and_a_template(kind: str) -> None:
    model = model_for(kind)
    assert model.model_json_schema()["properties"]["analysis"]["const"] == kind
    template = template_for(kind)
    assert f"analysis: {kind}\n" in template
    assert "FILL IN" in template


def test_params_schema_offers_one_alternative_per_kind() -> None:
    schema = params_schema()
    assert len(schema["oneOf"]) == len(KINDS)
