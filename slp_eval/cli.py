"""`slp-eval`: a thin command line over the runner, the parameter models and the data tools.

Exit codes: 0 success; 1 a run failed and its partial output was kept (or a data validation
found problems); 2 a problem found before running (bad parameters or arguments, a parameter file
that is not UTF-8, an unusable --out, an unreadable data file, a missing notebook): nothing written.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from slp_eval import __version__
from slp_eval.data.cli import add_commands
from slp_eval.errors import ParameterError, SlpEvalError
from slp_eval.params import KINDS, params_schema
from slp_eval.params.template import template_for

if TYPE_CHECKING:  # the runner loads papermill: imported only by the commands that run notebooks
    from slp_eval.runner import Progress, RunResult


def _write_or_print(text: str, out: Path | None) -> int:
    if out is None:
        sys.stdout.write(text)
        return 0
    try:
        with out.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        print(f"slp-eval: {out} exists; refusing to overwrite it", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from slp_eval.runner import run

    try:
        result = run(args.params, out_root=args.out, notebooks_dir=args.notebooks, progress=not args.quiet)
    except SlpEvalError as error:  # raised only before the notebook runs: nothing was written
        print(f"slp-eval: {error}", file=sys.stderr)
        return 2
    for stale in result.removed_stale:
        print(f"removed {stale}: the partial output of a run that was killed before it finished",
              file=sys.stderr)
    if result.status == "failed":
        print(f"slp-eval: run failed: {result.reason}", file=sys.stderr)
        print(f"partial run kept in {result.run_dir}", file=sys.stderr)
        return 1
    for note in result.notes:
        print(f"slp-eval: {note}", file=sys.stderr)
    print(f"report: {result.report}")
    return 0


def _show_progress(total: int) -> "Progress":
    """Print one line to stderr as each file starts and as it ends, with its elapsed time."""
    width = len(str(total))

    def show(index: int, path: Path, outcome: "RunResult | SlpEvalError | None", seconds: float) -> None:
        where = f"[{index:>{width}}/{total}] {path} ..."
        if outcome is None:
            print(where, file=sys.stderr, flush=True)
            return
        if isinstance(outcome, SlpEvalError):
            status = "bad parameters"
        else:
            status = "ok" if outcome.status == "succeeded" else "FAILED"
        print(f"{where} {status} in {seconds:.1f} s", file=sys.stderr, flush=True)

    return show


def _cmd_run_all(args: argparse.Namespace) -> int:
    from slp_eval.runner import run_all

    files = sorted(Path(args.dir).glob("*.yaml"))
    if not files:
        print(f"slp-eval: no *.yaml parameter files in {args.dir}", file=sys.stderr)
        return 2
    print(f"running {len(files)} parameter file(s) from {args.dir} with {args.jobs} job(s)")
    code = 0
    progress = None if args.quiet else _show_progress(len(files))
    outcomes = run_all(args.dir, out_root=args.out, jobs=args.jobs, notebooks_dir=args.notebooks,
                       progress=progress)
    for path, outcome in outcomes:
        if isinstance(outcome, SlpEvalError):
            print(f"  BAD PARAMS {path}: {outcome}", file=sys.stderr)
            code = 2
        elif outcome.status == "failed":
            print(f"  FAILED     {path}: {outcome.reason} (kept in {outcome.run_dir})", file=sys.stderr)
            code = max(code, 1)
        else:
            print(f"  ok         {path} -> {outcome.report}")
    return code


def _cmd_params_schema(args: argparse.Namespace) -> int:
    return _write_or_print(json.dumps(params_schema(), indent=2) + "\n", args.out)


def _cmd_new_params(args: argparse.Namespace) -> int:
    return _write_or_print(template_for(args.kind), args.out)


def _cmd_refresh(args: argparse.Namespace) -> int:
    from slp_eval.runner import refresh_notebooks

    for notebook in refresh_notebooks(args.dir):
        print(f"re-executed and saved {notebook}")
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from slp_eval.data import nhs

    if args.source == "eip":
        if len(args.files) != 1:
            raise ParameterError("ingest eip: give exactly one EIP time-series file")
        if args.providers and args.units:
            raise ParameterError("ingest eip: give --providers or --units, not both")
        eip = nhs.read_eip(args.files[0])
        series = (nhs.eip_provider_panel(eip) if args.providers
                  else nhs.eip_monthly_series(eip, units=args.units or nhs.EIP_UNITS))
    elif args.units:
        raise ParameterError("ingest oaps: --units is for eip only (oaps writes England and the SLP trusts)")
    elif args.providers:
        raise ParameterError("ingest oaps: --providers is for eip only")
    else:
        series = nhs.oaps_monthly_series(nhs.read_oaps(args.files))
    missing = int(series["value"].isna().sum())
    code = _write_or_print(series.to_csv(index=False, lineterminator="\n"), args.out)
    if code == 0:
        dataset = "provider_panel" if getattr(args, "providers", False) else "monthly_series"
        print(f"{len(series)} {dataset} rows; {missing} missing (suppressed or unreported), not imputed")
        print(nhs.OGL_ATTRIBUTION)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slp-eval",
        description="Evaluate health-service programmes: interrupted time series, pre/post "
        "comparisons and scorecards, run as parameterised notebooks.",
    )
    parser.add_argument("--version", action="version", version=f"slp-eval {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one parameter file into a new run directory")
    run.add_argument("params", type=Path, help="parameter file (YAML)")
    run.add_argument("--out", type=Path, default=Path("outputs"), help="output root (default: outputs)")
    run.add_argument("--notebooks", type=Path, default=None, help="notebooks folder (default: the project's)")
    run.add_argument("--quiet", action="store_true", help="no per-cell progress bar")
    run.set_defaults(func=_cmd_run)

    run_all = commands.add_parser("run-all", help="run every parameter file in a folder")
    run_all.add_argument("dir", nargs="?", type=Path, default=Path("params"), help="folder (default: params)")
    run_all.add_argument("--jobs", type=int, default=1,
                         help="parallel runs, longest expected first, each with cores/jobs threads per "
                              "numerical library (default: 1)")
    run_all.add_argument("--out", type=Path, default=Path("outputs"), help="output root (default: outputs)")
    run_all.add_argument("--notebooks", type=Path, default=None, help="notebooks folder")
    run_all.add_argument("--quiet", action="store_true",
                         help="no progress lines (one to stderr as each file starts and ends, with its time)")
    run_all.set_defaults(func=_cmd_run_all)

    schema = commands.add_parser("params-schema", help="print the JSON Schema of parameter files")
    schema.add_argument("--out", type=Path, default=None, help="write to a new file instead")
    schema.set_defaults(func=_cmd_params_schema)

    new = commands.add_parser("new-params", help="print a commented parameter-file template")
    new.add_argument("kind", choices=sorted(KINDS), help="analysis kind")
    new.add_argument("--out", type=Path, default=None, help="write to a new file instead")
    new.set_defaults(func=_cmd_new_params)

    refresh = commands.add_parser(
        "refresh-notebooks", help="re-execute the notebooks with default parameters and save them"
    )
    refresh.add_argument("dir", nargs="?", type=Path, default=None, help="notebooks folder")
    refresh.set_defaults(func=_cmd_refresh)

    ingest = commands.add_parser(
        "ingest", help="convert NHS open data (out-of-area placements, EIP waiting times) to monthly_series"
    )
    ingest.add_argument("source", choices=["oaps", "eip"], help="which publication the files are")
    ingest.add_argument("files", nargs="+", type=Path, help="published CSV file(s)")
    ingest.add_argument(
        "--units", nargs="+", default=None, help="eip: units (provider codes, SLP, England, Rest of England)"
    )
    ingest.add_argument("--providers", action="store_true",
                        help="eip: every provider, one row per month (the provider_panel dataset)")
    ingest.add_argument("--out", type=Path, required=True, help="new CSV (never overwritten)")
    ingest.set_defaults(func=_cmd_ingest)

    add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ParameterError as error:
        print(f"slp-eval: {error}", file=sys.stderr)
        return 2
    except SlpEvalError as error:
        print(f"slp-eval: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
