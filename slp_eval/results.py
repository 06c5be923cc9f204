"""results.json: the machine-readable outcome of one run (schema documented in docs/results.md).

    {"schema_version": 1, "analysis": "its", "parameters": {...},
     "estimates": [{"term": ..., "estimate": ..., "std_err": ..., "ci_low": ..., "ci_high": ...,
                    "p_value": ...}, ...],
     "<analysis>": {...kind-specific block...}, "disclosure": {...}, "synthetic": bool}

Numbers are written with Python's shortest round-trip float repr, so the same fit on the same data
gives byte-identical files; NaN and infinities become null (JSON has neither).
"""

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from slp_eval import ESTIMATE_COLUMNS
from slp_eval.errors import SlpEvalError
from slp_eval.markup import html_safe_json

__all__ = ["RESULTS_FILE", "SCHEMA_VERSION", "build_results", "check_results", "dumps",
           "estimate_rows", "to_jsonable", "write_results"]

SCHEMA_VERSION = 1
RESULTS_FILE = "results.json"


def to_jsonable(value: Any) -> Any:
    """Plain JSON types from numpy/pandas values; non-finite floats become None."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, pd.Series | np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, pd.Timestamp | pd.Period | Path):
        return str(value)
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"cannot write {type(value).__name__} to results.json: {value!r}")


def estimate_rows(estimates: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a tidy estimates frame; every row must carry the six standard columns."""
    frame = estimates if isinstance(estimates, pd.DataFrame) else pd.DataFrame(list(estimates))
    if "term" not in frame.columns and frame.index.name == "term":
        frame = frame.reset_index()
    missing = [c for c in ESTIMATE_COLUMNS if c not in frame.columns]
    if missing:
        raise SlpEvalError(f"estimates for results.json lack the column(s): {', '.join(missing)}")
    return to_jsonable(frame)


def build_results(
    *,
    analysis: str,
    parameters: Mapping[str, Any],
    estimates: pd.DataFrame | Sequence[Mapping[str, Any]],
    synthetic: bool = False,
    **blocks: Any,
) -> dict[str, Any]:
    """Assemble a results document; `blocks` are kind-specific sections (e.g. its={...})."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "analysis": analysis,
        "synthetic": synthetic,
        "parameters": to_jsonable(parameters),
        "estimates": estimate_rows(estimates),
    }
    for name, block in blocks.items():
        document[name] = to_jsonable(block)
    return document


def dumps(document: Mapping[str, Any]) -> str:
    """The exact text written to results.json (stable key order, no NaN, no raw < > &)."""
    return html_safe_json(document, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def write_results(output_dir: str | Path, document: Mapping[str, Any]) -> Path:
    """Write results.json into a run's output directory; an existing file is never replaced."""
    path = Path(output_dir) / RESULTS_FILE
    with path.open("x", encoding="utf-8") as handle:
        handle.write(dumps(document))
    return path


def check_results(document: Any) -> list[str]:
    """Problems with a results document (empty when it follows the schema)."""
    if not isinstance(document, dict):
        return ["results.json must hold a JSON object"]
    problems = [
        f"results.json lacks the key {key!r}"
        for key in ("schema_version", "analysis", "parameters", "estimates")
        if key not in document
    ]
    for i, row in enumerate(document.get("estimates") or []):
        absent = [c for c in ESTIMATE_COLUMNS if c not in row]
        if absent:
            problems.append(f"results.json estimates[{i}] lacks {', '.join(absent)}")
    return problems
