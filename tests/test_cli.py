"""The command line: help everywhere, templates and schema, no overwriting."""

import json
from pathlib import Path

import pytest
import yaml

from slp_eval.cli import build_parser, main
from slp_eval.params import KINDS


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_expected_commands_exist() -> None:
    assert {"run", "run-all", "params-schema", "new-params", "refresh-notebooks"} <= set(subcommands())


@pytest.mark.parametrize("command", [None, *subcommands()])
def test_every_command_has_help(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"] if command is None else [command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: slp-eval" in capsys.readouterr().out


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_new_params_prints_a_yaml_template(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-params", kind]) == 0
    template = yaml.safe_load(capsys.readouterr().out)
    assert template["analysis"] == kind


def test_params_schema_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["params-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    kinds = {alt["properties"]["analysis"]["const"] for alt in schema["oneOf"]}
    assert kinds == set(KINDS)


def test_out_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "mine.yaml"
    target.write_text("my own notes\n")
    assert main(["new-params", "its", "--out", str(target)]) == 2
    assert target.read_text() == "my own notes\n"
    assert capsys.readouterr().err == f"slp-eval: {target} exists; refusing to overwrite it\n"


def test_run_all_on_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run-all", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"slp-eval: no *.yaml parameter files in {tmp_path}\n"
