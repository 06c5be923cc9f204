"""environment.yml pins the same top-level versions as requirements.lock."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge names that differ from PyPI's


def _lock_versions() -> dict[str, str]:
    versions = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^ ;]+)(?:\s*;\s*(.*))?$", line.strip())
        if match and (match.group(3) is None or "< '3.12'" in match.group(3)):
            versions[match.group(1).lower()] = match.group(2)
    return versions


def test_environment_pins_equal_the_lock() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep:
            name, pinned = dep.split("=", 1)
            pins[CONDA_NAMES.get(name, name).lower()] = pinned
    python = pins.pop("python")
    assert python == "3.11"
    lock = _lock_versions()
    mismatched = {name: (pinned, lock.get(name)) for name, pinned in pins.items() if lock.get(name) != pinned}
    assert mismatched == {}


def test_every_runtime_dependency_is_pinned_in_both() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~ \[]", dep)[0].lower() for dep in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pinned = {
        CONDA_NAMES.get(d.split("=")[0], d.split("=")[0]).lower()
        for d in env["dependencies"]
        if isinstance(d, str)
    }
    assert names - pinned == set()
    assert names - set(_lock_versions()) == set()
    required = {
        "jupyterlab",
        "pandas",
        "statsmodels",
        "matplotlib",
        "papermill",
        "nbval",
        "pydantic",
        "pandera",
        "pyyaml",
        "duckdb",
    }
    assert required <= names


def test_make_docs_documents_every_public_module(tmp_path: Path) -> None:
    # pdoc hides submodules a package's __all__ does not list, so `make docs` names each one; the
    # Makefile takes them from slp_eval.registry, so a new module needs no edit there or here.
    import pdoc

    from slp_eval.registry import documented_modules

    package = ROOT / "slp_eval"
    public = {"slp_eval"} | {
        f"slp_eval.{p.stem}" for p in package.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file()) and not p.name.startswith("_")
    }
    assert set(documented_modules()) == public - {"slp_eval.cli"}
    # a dry run of `make docs` (outside any calling make, whose flags would add directory lines)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    dry_run = subprocess.run(["make", "-n", "--no-print-directory", "docs", "DOCS_OUT=api",
                              f"BIN={Path(sys.executable).parent}"],
                             cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    (pdoc_line,) = [line.split() for line in dry_run.stdout.splitlines() if " -o api " in line]
    assert pdoc_line[:3] == [str(Path(sys.executable).parent / "pdoc"), "-o", "api"]
    assert pdoc_line[3:] == documented_modules()
    pdoc.pdoc("slp_eval.its", output_directory=tmp_path)
    page = (tmp_path / "slp_eval" / "its.html").read_text()
    assert "fit_its" in page and "b3k*(t - T_k)*D_k(t)" in page and "Wagner et al. 2002" in page
