"""Data subcommands of `slp-eval`: validate, dictionary, synth, aggregate.

`slp_eval.cli` calls `add_commands(subparsers)`; each subcommand's `func(args)` returns the
exit code (0 success, 1 the data failed validation).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from slp_eval.data.aggregate import aggregate_monthly
from slp_eval.data.load import validate_file
from slp_eval.data.render import render_dictionary_markdown
from slp_eval.synthetic import DEFAULT_SEED, write_synthetic


def _validate(args: argparse.Namespace) -> int:
    report = validate_file(args.data, args.dataset)
    print(report.summary())
    return 0 if report.ok else 1


def _dictionary(args: argparse.Namespace) -> int:
    text = render_dictionary_markdown()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


def _synth(args: argparse.Namespace) -> int:
    for path in write_synthetic(args.seed, args.out):
        print(f"wrote {path} (SYNTHETIC)")
    return 0


def _aggregate(args: argparse.Namespace) -> int:
    frame = aggregate_monthly(
        args.placements,
        extract_date=args.extract_date,
        readmission_window_days=args.readmission_window_days,
        start=args.start,
        end=args.end,
    )
    frame = frame.assign(period=frame["period"].astype(str))
    if "synthetic" in frame.columns:
        frame["synthetic"] = frame["synthetic"].map({True: "true", False: "false"})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False, lineterminator="\n")
    note = " (SYNTHETIC)" if frame.attrs.get("synthetic") else ""
    print(f"wrote {args.out}: {len(frame)} monthly_series rows{note}")
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `validate`, `dictionary`, `synth` and `aggregate` on the `slp-eval` parser."""
    validate = subparsers.add_parser(
        "validate", help="check a data file against the data dictionary; exit 1 on failure"
    )
    validate.add_argument("data", type=Path, help="CSV, Parquet or Excel (.xlsx) file")
    validate.add_argument("--dataset", required=True, help="dataset of the data dictionary, e.g. placements")
    validate.set_defaults(func=_validate)

    dictionary = subparsers.add_parser("dictionary", help="render the data dictionary as Markdown")
    dictionary.add_argument("--out", type=Path, default=None, help="write to FILE (default: print)")
    dictionary.set_defaults(func=_dictionary)

    synth = subparsers.add_parser("synth", help="write the SYNTHETIC demo datasets and their truth")
    synth.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default: {DEFAULT_SEED})")
    synth.add_argument("--out", type=Path, required=True, help="output folder")
    synth.set_defaults(func=_synth)

    aggregate = subparsers.add_parser(
        "aggregate", help="aggregate a placements extract into monthly_series with DuckDB"
    )
    aggregate.add_argument("placements", type=Path, help="placements extract (.csv or .parquet)")
    aggregate.add_argument("--extract-date", required=True, help="date of the extract (YYYY-MM-DD)")
    aggregate.add_argument("--readmission-window-days", type=int, default=30, help="default: 30")
    aggregate.add_argument("--start", default=None, help="first month YYYY-MM (default: earliest start)")
    aggregate.add_argument("--end", default=None, help="last month YYYY-MM (default: last complete month)")
    aggregate.add_argument("--out", type=Path, required=True, help="monthly_series CSV to write")
    aggregate.set_defaults(func=_aggregate)
