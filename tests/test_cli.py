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


# -- anticipated failures: one line naming the file and the rule, exit 2 (issue 10) ---------------

PARAMS = (
    "analysis: its\ntitle: Café trend\ndata:\n  path: series.csv\noutcome: y\ntime: t\ninterruptions: [12]\n"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "series.csv").write_text("t,y\n" + "".join(f"{t},{t}\n" for t in range(24)))
    return tmp_path


@pytest.mark.parametrize(
    ("encoding", "described"),
    [("latin-1", "byte 0xe9 at line 2"), ("utf-16", "it starts with a UTF-16 byte-order mark")],
)
def test_a_parameter_file_not_in_utf8_is_one_line_and_exit_2(
    folder: Path, encoding: str, described: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = folder / "p.yaml"
    path.write_bytes(PARAMS.encode(encoding))
    assert main(["run", str(path), "--out", str(folder / "outputs")]) == 2
    assert capsys.readouterr().err == (
        f"slp-eval: {path}: not UTF-8 text ({described}); rule: save parameter files as UTF-8\n"
    )
    assert not (folder / "outputs").exists()


def test_a_utf8_file_with_a_byte_order_mark_is_read(folder: Path) -> None:
    from slp_eval.params import load_params

    path = folder / "p.yaml"
    path.write_bytes(PARAMS.encode("utf-8-sig"))
    assert load_params(path).title == "Café trend"


def test_out_pointing_at_a_regular_file_is_one_line_and_exit_2(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "p.yaml").write_text(PARAMS)
    blocker = folder / "outputs"
    blocker.write_text("not a folder\n")
    assert main(["run", str(folder / "p.yaml"), "--out", str(blocker)]) == 2
    assert capsys.readouterr().err == (
        f"slp-eval: {blocker}: cannot hold run folders (a file is in the way: {blocker}); "
        "rule: the output root (--out) must be a folder that can be written\n"
    )
    assert blocker.read_text() == "not a folder\n"


def test_out_in_a_read_only_place_is_one_line_and_exit_2(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    (folder / "p.yaml").write_text(PARAMS)
    if os.geteuid() == 0:  # root writes through permission bits: use a read-only file system
        out = Path("/sys/slp-eval-outputs")
        if not _mkdir_fails(out):
            pytest.skip("no read-only place to test with")
    else:
        locked = folder / "locked"
        locked.mkdir(mode=0o555)
        out = locked / "outputs"
    assert main(["run", str(folder / "p.yaml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"slp-eval: {out}: cannot create the run folder (")
    assert err.endswith("); rule: the output root (--out) must be a folder that can be written\n")
    assert err.count("\n") == 1


def _mkdir_fails(path: Path) -> bool:
    try:
        path.mkdir()
    except OSError:
        return True
    path.rmdir()
    return False


def test_a_data_path_that_is_a_folder_is_refused_at_validation(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "p.yaml").write_text(PARAMS.replace("series.csv", "folder.csv"))
    (folder / "folder.csv").mkdir()
    assert main(["run", str(folder / "p.yaml"), "--out", str(folder / "outputs")]) == 2
    assert capsys.readouterr().err == (
        f"slp-eval: {folder / 'p.yaml'}: 1 problem\n"
        f"  - data.path: not a regular file: {folder / 'folder.csv'}; "
        "rule: data files must be readable files\n"
    )


def test_an_unreadable_data_file_is_refused_at_validation(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permission bits")
    (folder / "p.yaml").write_text(PARAMS)
    (folder / "series.csv").chmod(0)
    assert main(["run", str(folder / "p.yaml"), "--out", str(folder / "outputs")]) == 2
    assert capsys.readouterr().err == (
        f"slp-eval: {folder / 'p.yaml'}: 1 problem\n"
        f"  - data.path: cannot be read ([Errno 13] Permission denied): {folder / 'series.csv'}; "
        "rule: data files must be readable files\n"
    )


def test_a_missing_notebook_is_exit_2(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "p.yaml").write_text(PARAMS)
    (folder / "notebooks").mkdir()
    assert main(["run", str(folder / "p.yaml"), "--out", str(folder / "o"), "--notebooks",
                 str(folder / "notebooks")]) == 2
    assert capsys.readouterr().err == (
        f"slp-eval: {folder / 'p.yaml'}: the notebook for analysis 'its' is missing: "
        f"{folder / 'notebooks' / 'its_analysis.ipynb'}\n"
    )
