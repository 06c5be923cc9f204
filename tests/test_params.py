"""Parameter files: every problem reported at once, with file, field, expected and found."""

import itertools
import textwrap
import time
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
    assert params.errors == "ar" and params.small_sample == "kenward-roger"
    assert params.disclosure.apply is True


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
        + ", ".join(sorted(KINDS)),
    ),
    "no_analysis": (
        GOOD.replace("analysis: its\n", ""),
        "{f}: 1 problem\n  - analysis: required field is missing "
        f"(one of: {', '.join(sorted(KINDS))})",
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


def test_its_error_model_defaults_follow_the_family(folder: Path) -> None:
    """Unset errors: 'ar' with Kenward-Roger for gaussian series; 'newey-west' (and no
    small_sample) for count families, which cannot take 'ar'; small_sample with another error
    model is refused."""
    counts = load_params(write(folder, GOOD + "family: poisson\n"))
    assert counts.errors == "newey-west" and counts.small_sample is None
    ols = load_params(write(folder, GOOD + "errors: ols\n"))
    assert ols.small_sample is None
    with pytest.raises(ParameterError, match="small_sample 'satterthwaite' applies only to "
                                             "errors 'ar'; got errors 'ols'"):
        load_params(write(folder, GOOD + "errors: ols\nsmall_sample: satterthwaite\n"))


# -- strict YAML: duplicate keys, aliases, non-finite numbers, data file types (issue 10) -----------


def test_duplicate_keys_are_refused_with_their_lines(folder: Path) -> None:
    text = GOOD + "disclosure: {apply: true}\ntitle: Again\ndisclosure: {apply: false}\n"
    with pytest.raises(ParameterError) as caught:
        load_params(write(folder, text))
    assert str(caught.value) == (
        f"{folder / 'p.yaml'}: 2 problems\n"
        "  - line 9: duplicate key 'title' (first at line 2); rule: every key once per mapping\n"
        "  - line 10: duplicate key 'disclosure' (first at line 8); rule: every key once per mapping"
    )


def test_a_duplicate_nested_key_is_refused_too(folder: Path) -> None:
    text = GOOD.replace("  path: series.csv\n", "  path: series.csv\n  path: other.csv\n")
    with pytest.raises(ParameterError, match=r"line 5: duplicate key 'path' \(first at line 4\)"):
        load_params(write(folder, text))


def test_a_yaml_alias_bomb_fails_fast_and_cheaply(folder: Path) -> None:
    # Nine levels of ten aliases each: 10**9 strings if expanded, in about 500 bytes.
    names = "abcdefghi"
    levels = ["a: &a [" + ",".join("x" * 10) + "]"] + [
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 10) + "]" for p, n in itertools.pairwise(names)
    ]
    bomb = "analysis: its\n" + "\n".join(levels) + "\ntitle: *i\n"
    path = write(folder, bomb)
    assert path.stat().st_size <= 511
    started = time.perf_counter()
    with pytest.raises(ParameterError) as caught:
        load_params(path)
    assert time.perf_counter() - started < 5.0  # unguarded: 12 s and 1.6 GB (issue 10); <0.1 s here
    message = str(caught.value)
    assert message.splitlines()[1] == (
        "  - line 3: YAML alias *a is not allowed; rule: write each value out in full"
    )
    assert len(message) < 2000


def test_non_finite_numbers_are_refused(folder: Path) -> None:
    text = GOOD + "alpha: .nan\nsensitivity: {break_date_window: .inf}\n"
    with pytest.raises(ParameterError) as caught:
        load_params(write(folder, text))
    message = str(caught.value)
    assert "  - line 8: .nan is not a finite number; rule: numbers must be finite" in message
    assert "  - line 9: .inf is not a finite number; rule: numbers must be finite" in message


def test_non_finite_numbers_in_a_mapping_are_refused() -> None:
    from slp_eval.params import validate_params

    with pytest.raises(ParameterError, match=r"alpha: expected a finite number; found NaN \(float\)"):
        validate_params({"analysis": "its", "title": "t", "data": {"path": "x.csv"}, "outcome": "y",
                         "time": "t", "interruptions": [3], "alpha": float("nan")})


def test_data_file_type_is_checked_at_validation(folder: Path) -> None:
    (folder / "series").write_text("period,percent\n2018-01,40\n")
    (folder / "series.txt").write_text("period,percent\n2018-01,40\n")
    for name in ("series", "series.txt"):
        with pytest.raises(ParameterError) as caught:
            load_params(write(folder, GOOD.replace("series.csv", name)))
        assert (
            "  - data.path: expected a .csv, .parquet or .xlsx file (file type "
            f"{Path(name).suffix or '(none)'!r} is not a data file; rule: the type is read from the "
            "extension); found " in str(caught.value)
        )


def test_every_problem_of_a_file_is_reported_at_once(folder: Path) -> None:
    text = GOOD + "title: Again\nalpha: .inf\nmaxlags: \"2\"\n"
    with pytest.raises(ParameterError) as caught:
        load_params(write(folder, text))
    lines = str(caught.value).splitlines()
    assert lines[1:] == [
        "  - line 8: duplicate key 'title' (first at line 2); rule: every key once per mapping",
        "  - line 9: .inf is not a finite number; rule: numbers must be finite",
        "  - maxlags: expected a valid integer; found '2' (str)",
        "  - alpha: expected a finite number; found Infinity (float)",
    ]


def test_error_messages_never_serialise_more_than_they_print() -> None:
    from slp_eval.params import validate_params

    shared: list = ["x"] * 10
    for _ in range(8):  # 10**8 leaves if serialised in full
        shared = [shared] * 10
    started = time.perf_counter()
    with pytest.raises(ParameterError) as caught:
        validate_params({"analysis": "its", "title": shared, "data": {"path": "x.csv"}, "outcome": "y",
                         "time": "t", "interruptions": [3]})
    assert time.perf_counter() - started < 5.0  # unguarded: 12 s and 1.6 GB (issue 10); <0.1 s here
    shown = '[[[[[[[[["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"...'
    assert f"  - title: expected a valid string; found {shown} (list)" in str(caught.value).splitlines()
