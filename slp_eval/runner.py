"""Run one parameter file through its notebook into a new, complete-or-failed run directory.

    outputs/<params-stem>/<UTC-timestamp>-<short-hash>/
        notebook.ipynb  report.html  report.pdf  tables.xlsx  results.json  figures/*.png  manifest.json

report.pdf (A4, from the sanitised report.html by WeasyPrint, `slp_eval.report.pdf`) and
tables.xlsx (every table the report shows, `slp_eval.report.excel`) are the board pack of a run
that succeeded. Where WeasyPrint cannot run (no Pango), the run still succeeds without the PDF;
the manifest's `board_pack.pdf_missing` and RunResult.notes say why.

The run is executed in a hidden temporary directory beside its final place and renamed at the end,
so a reader never sees a half-written run; an existing run or input is never overwritten. A failed
cell still produces a run directory, with manifest status "failed", the error and the partly
executed notebook. A run killed outright leaves its hidden directory behind; the next run in the
same folder removes it (see `_remove_stale`). The runner knows nothing about statistics: it
validates parameters, executes the notebook with papermill, renders the report with nbconvert and
records provenance.
"""

import errno
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import yaml

import slp_eval
from slp_eval.errors import ParameterError, SlpEvalError
from slp_eval.markup import html_safe_json
from slp_eval.params import input_files, load_params, notebook_of
from slp_eval.provenance import sha256_file
from slp_eval.results import RESULTS_FILE, check_results

# jsonschema, which nbformat imports to validate notebooks, compiles the grammar of the optional
# package rfc3987_syntax as it is imported (1.3 s, the largest single cost of starting a run) only
# to check the "iri" string formats of JSON Schema draft 7 and later; the notebook schema is
# draft 4 and has none. Hidden while nbformat is first imported, the package stays importable.
_HIDE_IRI_GRAMMAR = "rfc3987_syntax" not in sys.modules
if _HIDE_IRI_GRAMMAR:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes `import` raise ImportError
try:
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError
finally:
    if _HIDE_IRI_GRAMMAR:
        del sys.modules["rfc3987_syntax"]

MANIFEST_SCHEMA_VERSION = 1
KEY_PACKAGES = (
    "numpy", "scipy", "pandas", "statsmodels", "matplotlib", "pydantic", "pandera",
    "duckdb", "papermill", "nbconvert", "nbformat", "ipykernel",
)  # fmt: skip

# The kernel's own start-up warnings (e.g. about local TCP) and its "KeyboardInterrupt caught in
# kernel" when papermill stops it after a failed cell (logged at ERROR, seen first on stderr under
# load) are not the user's business: the runner reports the failing cell itself.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]

PROJECT_ROOT = Path(slp_eval.__file__).resolve().parent.parent


def default_notebooks_dir() -> Path:
    """notebooks/ of the source tree (override with SLP_EVAL_NOTEBOOKS or `notebooks_dir=`)."""
    return Path(os.environ.get("SLP_EVAL_NOTEBOOKS", PROJECT_ROOT / "notebooks"))


@dataclass(frozen=True)
class RunResult:
    """Where a run went and how it ended."""

    run_dir: Path
    status: Literal["succeeded", "failed"]
    reason: str | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    #: Hidden directories of killed runs that this run removed from the same folder.
    removed_stale: tuple[Path, ...] = ()
    #: What the caller should tell the user once (e.g. why report.pdf was not written).
    notes: tuple[str, ...] = ()

    @property
    def report(self) -> Path:
        return self.run_dir / "report.html"


def _git_state(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _reserve_final_dir(parent: Path, stem: str) -> Path:
    """The first of parent/stem, parent/stem-2, ... that does not exist yet."""
    candidate, n = parent / stem, 1
    while candidate.exists():
        n += 1
        candidate = parent / f"{stem}-{n}"
    return candidate


_OUT_RULE = "rule: the output root (--out) must be a folder that can be written"


def _make_parent(out_root: Path, parent: Path) -> None:
    """Create out_root/<stem>; an unusable output root is a ParameterError in one line."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), parent)
        raise ParameterError(f"{out_root}: cannot hold run folders (a file is in the way: {blocker}); "
                             f"{_OUT_RULE}") from None
    except OSError as error:
        raise ParameterError(f"{out_root}: cannot create the run folder ([Errno {error.errno}] "
                             f"{error.strerror}); {_OUT_RULE}") from None


def _lock(work: Path) -> int:
    """Create and hold an exclusive lock beside the hidden run directory `work`, for the run's life.

    The kernel releases a `flock` when its process ends, however it ends (even SIGKILL), so a
    lock file that can be locked again belongs to a dead run; a process id alone could have been
    reused by an unrelated process. Where locks are not supported (some network drives) the run
    goes on unlocked, and its directory is never taken for stale (see `_try_lock`).
    """
    fd = os.open(work.with_name(work.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while another run's scan holds it for a moment
    except OSError as error:
        if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
            os.close(fd)
            raise
    return fd


def _try_lock(lock: Path) -> int | None:
    """A descriptor holding `lock`, or None when it is held, gone, not ours, or cannot be locked."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _remove_stale(parent: Path) -> tuple[Path, ...]:
    """Remove the hidden directories of runs that were killed before they finished.

    Only stale ones: a directory whose lock file another process still holds is a run in progress
    (perhaps started in another terminal at the same moment) and is left alone, as is one whose
    lock cannot be tested. A directory with no lock file comes from a version without locks: it is
    stale when the process id in its name is no longer running.
    """
    removed = []
    for work in sorted(parent.glob(".incomplete-*")):
        if not work.is_dir():
            continue
        lock = work.with_name(work.name + ".lock")
        if lock.exists():
            fd = _try_lock(lock)
            if fd is None:
                continue
            shutil.rmtree(work, ignore_errors=True)
            lock.unlink(missing_ok=True)
            os.close(fd)
        elif _pid_alive(work.name.rsplit("-", 1)[-1]):
            continue
        else:
            shutil.rmtree(work, ignore_errors=True)
        removed.append(work)
    for lock in parent.glob(".incomplete-*.lock"):  # locks left without their directory
        if not lock.with_suffix("").exists() and (fd := _try_lock(lock)) is not None:
            lock.unlink(missing_ok=True)
            os.close(fd)
    return tuple(removed)


def _pid_alive(text: str) -> bool:
    if not text.isdigit():
        return True  # not a name this runner made: keep it
    try:
        os.kill(int(text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _one_line(error: PapermillExecutionError) -> str:
    source = next((line.strip() for line in error.source.splitlines() if line.strip()), "")
    evalue = "; ".join(part.strip() for part in str(error.evalue).splitlines() if part.strip())
    return f"cell {error.exec_count} `{source[:60]}` raised {error.ename}: {evalue}"


def render_report(notebook_path: Path, html_path: Path, title: str | None = None) -> None:
    """report.html: the executed notebook with code hidden, figures embedded, sanitised and offline.

    `title` is the page's <title> (the report's title). See `slp_eval.report.export`.
    """
    from slp_eval.report.export import export_html

    html = export_html(nbformat.read(notebook_path, as_version=4), title=title)
    html_path.write_text(html, encoding="utf-8")


def render_pdf(html_path: Path, pdf_path: Path) -> str | None:
    """report.pdf from report.html; None when written, else why not (one line, nothing raised)."""
    from slp_eval.report.pdf import html_to_pdf, pdf_unavailable

    reason = pdf_unavailable()
    if reason is not None:
        return f"report.pdf not written: {reason}"
    refused = html_to_pdf(html_path.read_text(encoding="utf-8"), pdf_path)
    if refused:  # the sanitised HTML has no external URL; if one appears, the PDF did not fetch it
        return f"report.pdf written without {len(refused)} external resource(s) it refused to fetch"
    return None


def _relative(path: Path) -> str:
    """A path as the board pack prints it: relative to the project, else its name alone."""
    try:
        return path.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.name


def write_tables(work: Path, manifest: dict[str, Any], results: dict[str, Any]) -> None:
    """tables.xlsx: results.json's `report_tables` and a README sheet naming the run id, source
    data, parameters, disclosure rule and SYNTHETIC flag (from the manifest and results)."""
    from slp_eval.report.excel import write_tables_xlsx

    rule = manifest["disclosure"].get("rule", {})
    if rule.get("apply", True) and rule.get("suppress_max", 1) >= rule.get("suppress_min", 1):
        rule_text = (f"counts {rule.get('suppress_min')}-{rule.get('suppress_max')} suppressed (shown as *), "
                     f"others rounded to the nearest {rule.get('rounding_base')}")
    else:
        rule_text = "OFF: no count was suppressed or rounded"
    synthetic = manifest.get("synthetic")
    readme = [
        ("Title", manifest["title"]),
        ("Run id", manifest["run_id"]),
        ("Analysis", manifest["analysis"]),
        ("SYNTHETIC", "YES: synthetic data, not records of real people; do not quote as findings"
         if synthetic else "no" if synthetic is False else "not recorded"),
        ("Disclosure rule", rule_text),
        ("Parameter file", _relative(Path(manifest["parameter_file"]["path"]))),
        ("Parameter file SHA-256", manifest["parameter_file"]["sha256"]),
        *[row for i, item in enumerate(manifest["inputs"])
          for row in ((f"Source data [{i}]", _relative(Path(item["path"]))),
                      (f"Source data [{i}] SHA-256", item["sha256"]))],
        *[(f"Parameter: {name}", value) for name, value in _flat_parameters(results.get("parameters", {}))],
        ("Values", "exactly as the report shows them: formatted and disclosure-controlled"),
    ]
    write_tables_xlsx(work / "tables.xlsx", results["report_tables"], readme=readme)


def _flat_parameters(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict) and value:
        return [row for key, item in value.items()
                for row in _flat_parameters(item, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(value, str) and (prefix == "path" or prefix.endswith(".path")):
        return [(prefix, _relative(Path(value)))]
    if isinstance(value, list | dict):
        return [(prefix, json.dumps(value, ensure_ascii=False))]
    return [(prefix, "" if value is None else str(value))]


def _rewrite_html_safe(notebook_path: Path) -> None:
    """Rewrite an executed notebook with no raw < > & in its JSON (the same notebook when read).

    Its parameters cell and papermill metadata quote the parameter file's text; written this way,
    a title such as ``<script>`` is inert even where the file is opened as HTML.
    """
    as_written = json.loads(nbformat.writes(nbformat.read(notebook_path, as_version=4)))
    text = html_safe_json(as_written, indent=1, sort_keys=True, ensure_ascii=False)
    notebook_path.write_text(text + "\n", encoding="utf-8")


def run(
    params_path: str | Path,
    *,
    out_root: str | Path = "outputs",
    notebooks_dir: str | Path | None = None,
    progress: bool = False,
    kernel_name: str = "python3",
) -> RunResult:
    """Validate `params_path`, execute its notebook and leave one new run directory.

    Raises ParameterError (nothing written) when the parameter file is invalid; a failing notebook
    returns a RunResult with status "failed" and a one-line reason naming the cell.
    """
    params_path = Path(params_path)
    params = load_params(params_path)
    notebook = Path(notebooks_dir or default_notebooks_dir()) / notebook_of(params)
    if not notebook.is_file():
        raise SlpEvalError(
            f"{params_path}: the notebook for analysis {params.analysis!r} is missing: {notebook}"
        )

    started = _utc_now()
    params_bytes = params_path.read_bytes()
    inputs = [
        {"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}
        for path in input_files(params)
    ]
    run_hash = hashlib.sha256(
        params_bytes + json.dumps(inputs, sort_keys=True).encode() + notebook.read_bytes()
    ).hexdigest()[:8]
    parent = Path(out_root) / params_path.stem
    _make_parent(Path(out_root), parent)
    removed = _remove_stale(parent)
    stem = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{run_hash}"
    work = parent / f".incomplete-{stem}-{os.getpid()}"
    try:
        lock = _lock(work)
        work.mkdir()
    except OSError as error:
        raise ParameterError(f"{out_root}: cannot create the run folder ([Errno {error.errno}] "
                             f"{error.strerror}); {_OUT_RULE}") from None
    (work / "figures").mkdir()

    status: Literal["succeeded", "failed"] = "succeeded"
    reason: str | None = None
    error_record: dict[str, Any] | None = None
    executed = work / "notebook.ipynb"
    try:
        papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters={"params": params.model_dump(mode="json"), "output_dir": str(work.resolve())},
            kernel_name=kernel_name,
            progress_bar=progress,
            cwd=str(work),
            extra_arguments=KERNEL_ARGUMENTS,
        )
    except PapermillExecutionError as error:
        status, reason = "failed", _one_line(error)
        error_record = {
            "cell_execution_count": error.exec_count,
            "cell_source": error.source,
            "ename": error.ename,
            "evalue": error.evalue,
        }
    if status == "succeeded":
        results_path = work / RESULTS_FILE
        if not results_path.is_file():
            status, reason = "failed", f"the notebook {notebook.name} wrote no {RESULTS_FILE}"
        else:
            problems = check_results(json.loads(results_path.read_text(encoding="utf-8")))
            if problems:
                status, reason = "failed", "; ".join(problems)
        if status == "failed":
            error_record = {"ename": "ResultsError", "evalue": reason}
    if executed.is_file():
        _rewrite_html_safe(executed)
        render_report(executed, work / "report.html", title=params.title)
    notes: list[str] = []
    board_pack: dict[str, Any] = {"pdf": None, "pdf_missing": None, "tables_xlsx": None}
    if status == "succeeded":
        board_pack["pdf_missing"] = render_pdf(work / "report.html", work / "report.pdf")
        if board_pack["pdf_missing"]:
            notes.append(board_pack["pdf_missing"])
        board_pack["pdf"] = "report.pdf" if (work / "report.pdf").is_file() else None

    results = {}
    if (work / RESULTS_FILE).is_file():
        results = json.loads((work / RESULTS_FILE).read_text(encoding="utf-8"))
    finished = _utc_now()
    manifest = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "run_id": stem,
        "status": status,
        "error": error_record,
        "analysis": params.analysis,
        "title": params.title,
        "parameter_file": {
            "path": str(params_path.resolve()),
            "sha256": hashlib.sha256(params_bytes).hexdigest(),
            "content": params_bytes.decode("utf-8"),
        },
        "inputs": inputs,
        "notebook": {"path": str(notebook.resolve()), "sha256": sha256_file(notebook)},
        "disclosure": results.get("disclosure", {"rule": params.disclosure.model_dump()}),
        "synthetic": results.get("synthetic"),
        "started_utc": started.isoformat(),
        "finished_utc": finished.isoformat(),
        "duration_seconds": round((finished - started).total_seconds(), 3),
        "slp_eval_version": slp_eval.__version__,
        "git": _git_state(PROJECT_ROOT),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": _package_versions(),
        "board_pack": board_pack,
        "outputs": {},
    }
    with_tables = status == "succeeded" and "report_tables" in results
    if with_tables:
        board_pack["tables_xlsx"] = "tables.xlsx"
    final = _finish(work, parent, stem, manifest, results if with_tables else None)
    os.close(lock)
    work.with_name(work.name + ".lock").unlink(missing_ok=True)
    return RunResult(run_dir=final, status=status, reason=reason, manifest=manifest, removed_stale=removed,
                     notes=tuple(notes))


def _finish(
    work: Path, parent: Path, stem: str, manifest: dict[str, Any], results: dict[str, Any] | None
) -> Path:
    """Write tables.xlsx (which names the run id) and the manifest with every output's SHA-256,
    and rename `work` to the first free run directory; `run_id` is its name.

    A run started in the same second with the same inputs takes `<stem>-2` (and so on); if another
    process takes the name between the choice and the rename, the next free name is tried.
    """
    while True:
        final = _reserve_final_dir(parent, stem)
        manifest["run_id"] = final.name
        if results is not None:
            write_tables(work, manifest, results)
        manifest["outputs"] = {
            str(p.relative_to(work)): sha256_file(p)
            for p in sorted(work.rglob("*")) if p.is_file() and p.name != "manifest.json"
        }
        (work / "manifest.json").write_text(html_safe_json(manifest, indent=2) + "\n", encoding="utf-8")
        try:
            os.rename(work, final)
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            continue
        return final


#: `run_all`'s progress hook: (1-based position in name order, file, outcome, seconds). Called with
#: outcome None and 0 seconds as a file starts, and with its outcome and elapsed time as it ends.
Progress = Callable[[int, Path, "RunResult | SlpEvalError | None", float], None]


def run_all(
    params_dir: str | Path,
    *,
    out_root: str | Path = "outputs",
    jobs: int = 1,
    notebooks_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> list[tuple[Path, RunResult | SlpEvalError]]:
    """Run every *.yaml in a folder; a bad file is reported, not fatal. Results come in name order.

    With one job the files run in name order. With `jobs` > 1 at most `jobs` files run at once,
    each in its own process, longest expected first (`longest_first`), so that no long file is
    left to run alone at the end; a file is handed to a process only when one is free, so
    `progress` sees it start when it really starts. Each process, and so each kernel, gets the
    thread limits of `job_environment` (one thread per numerical library on 2 cores, 2 jobs).
    """
    files = sorted(Path(params_dir).glob("*.yaml"))
    tell: Progress = progress or (lambda *_: None)
    outcomes: dict[int, RunResult | SlpEvalError] = {}
    if jobs <= 1:
        for i, path in enumerate(files, start=1):
            tell(i, path, None, 0.0)
            started = time.monotonic()
            outcomes[i] = _run_all_worker((path, out_root, notebooks_dir))[1]
            tell(i, path, outcomes[i], time.monotonic() - started)
        return [(path, outcomes[i]) for i, path in enumerate(files, start=1)]
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    position = {path: i for i, path in enumerate(files, start=1)}
    waiting = [(position[path], path) for path in longest_first(files, out_root)]
    running: dict[Future[tuple[Path, RunResult | SlpEvalError]], tuple[int, Path, float]] = {}
    with ProcessPoolExecutor(max_workers=jobs, initializer=_set_environment,
                             initargs=(job_environment(jobs),)) as pool:
        while waiting or running:
            while waiting and len(running) < jobs:
                i, path = waiting.pop(0)
                tell(i, path, None, 0.0)
                running[pool.submit(_run_all_worker, (path, out_root, notebooks_dir))] = (
                    i, path, time.monotonic())
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i, path, started = running.pop(future)
                outcomes[i] = future.result()[1]
                tell(i, path, outcomes[i], time.monotonic() - started)
    return [(path, outcomes[i]) for i, path in enumerate(files, start=1)]


#: Variables that size the thread pools of the numerical libraries a kernel may load: OpenMP,
#: OpenBLAS (numpy's and scipy's), MKL, Apple Accelerate and numexpr.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)  # fmt: skip
#: Threads for the package's own thread pools (DuckDB in `slp_eval.data.aggregate_monthly`).
THREADS_VARIABLE = "SLP_EVAL_THREADS"


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system reports it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def job_environment(jobs: int, *, cores: int | None = None,
                    environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables each of `jobs` parallel runs sets for itself and its kernel.

    Each of THREAD_VARIABLES and THREADS_VARIABLE gets `cores // jobs` threads (at least 1),
    unless `environ` (default os.environ) already sets it: the user's choice stands. Empty for
    one job, which keeps the libraries' own defaults.

    Why: numpy's OpenBLAS starts a thread per core, and its threads wait for work by spinning. In
    a run of the shipped ITS parameter file camhs_out_of_area_bed_days, the kernel's second
    OpenBLAS thread used 1.9 s of CPU and the kernel 10.6 s in all, against 7.0 s with one
    thread (2 cores, 2026-12-01); with one job that spinning only occupies an idle core, with two
    jobs on two cores it takes the other job's core.
    """
    if jobs <= 1:
        return {}
    environ = os.environ if environ is None else environ
    threads = str(max(1, (cores or available_cores()) // jobs))
    return {name: threads for name in (*THREAD_VARIABLES, THREADS_VARIABLE) if name not in environ}


#: Typical seconds of one run of each analysis kind: the shipped parameter files on 2 cores
#: (2026-12-01; power with 200 simulations of 6 designs). Used only to order the files of
#: `run_all` when a file has not run before.
TYPICAL_SECONDS = {"power": 24.0, "its": 10.0, "scorecard": 9.0, "prepost": 6.0, "data_quality": 5.0,
                   "spc": 4.0, "comparative": 40.0}


def expected_seconds(params_path: Path, out_root: str | Path) -> float:
    """How long a run of `params_path` is expected to take, to schedule it (see `longest_first`).

    The `duration_seconds` of the newest run of it under `out_root` (failed runs included), else
    TYPICAL_SECONDS of its analysis kind, else 0 (a file that cannot be read fails at once).
    """
    runs = [p for p in (Path(out_root) / params_path.stem).glob("[!.]*/manifest.json")]
    for manifest in sorted(runs, key=lambda p: p.parent.name, reverse=True):
        try:
            return float(json.loads(manifest.read_text(encoding="utf-8"))["duration_seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    try:
        data = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return 0.0
    kind = data.get("analysis") if isinstance(data, dict) else None
    return TYPICAL_SECONDS.get(kind, 0.0) if isinstance(kind, str) else 0.0


def longest_first(files: Sequence[Path], out_root: str | Path) -> list[Path]:
    """`files` in the order `run_all` starts them with several jobs: longest expected first
    (`expected_seconds`), ties in the given order.

    Longest-processing-time-first list scheduling (Graham 1969, "Bounds on multiprocessing timing
    anomalies", SIAM J. Appl. Math. 17:416-429) ends within 4/3 of the shortest possible total
    time; in name order a long file that starts last runs alone while the other cores idle.
    """
    expected = {path: expected_seconds(path, out_root) for path in files}
    return sorted(files, key=lambda path: -expected[path])


def _set_environment(variables: dict[str, str]) -> None:
    os.environ.update(variables)


def _run_all_worker(
    args: tuple[Path, str | Path, str | Path | None],
) -> tuple[Path, RunResult | SlpEvalError]:
    path, out_root, notebooks_dir = args
    try:
        return path, run(path, out_root=out_root, notebooks_dir=notebooks_dir)
    except SlpEvalError as error:
        return path, error


def refresh_notebooks(notebooks_dir: str | Path | None = None, *, kernel_name: str = "python3") -> list[Path]:
    """Re-execute every notebook with its default parameters and save it with its outputs.

    For `make notebooks`: this deliberately rewrites notebooks/*.ipynb (the stored outputs nbval
    compares against). Each is executed to a temporary file first, so a failure leaves it as it was.
    """
    folder = Path(notebooks_dir or default_notebooks_dir())
    refreshed = []
    for notebook in sorted(folder.glob("*.ipynb")):
        scratch = notebook.with_name(f".refresh-{notebook.name}")
        try:
            papermill.execute_notebook(
                str(notebook),
                str(scratch),
                kernel_name=kernel_name,
                cwd=str(folder),
                progress_bar=False,
                extra_arguments=KERNEL_ARGUMENTS,
            )
            executed = nbformat.read(scratch, as_version=4)
            executed.metadata.pop("papermill", None)
            for cell in executed.cells:
                cell.metadata.pop("papermill", None)
                cell.metadata.get("execution", {}).clear()
                cell.metadata.pop("execution", None)
            nbformat.write(executed, notebook)
        finally:
            scratch.unlink(missing_ok=True)
        refreshed.append(notebook)
    return refreshed


__all__ = [
    "RunResult", "available_cores", "default_notebooks_dir", "expected_seconds", "job_environment",
    "longest_first", "refresh_notebooks", "render_pdf", "render_report", "run", "run_all", "write_tables",
]
