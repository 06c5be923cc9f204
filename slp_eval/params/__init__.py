"""Parameter files: YAML validated by one pydantic model per analysis kind.

`load_params(path)` reads a file and reports every problem in it at once (file, field path, what
was expected, what was found) as a single `ParameterError`; nothing is run or written. Once the
file itself is valid, every column it names (`slp_eval.params.columns.COLUMN_PARAMETERS`) is
checked against the header of its data file, read without the rows.
"""

import codecs
import difflib
import importlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from slp_eval.errors import ParameterError
from slp_eval.params.base import AnalysisParams, DataSource
from slp_eval.params.columns import column_problems, column_references
from slp_eval.params.strict_yaml import read_yaml

#: Analysis kind -> (model "module:Class", notebook file in notebooks/).
KINDS: dict[str, tuple[str, str]] = {
    "its": ("slp_eval.params.its:ITSParams", "its_analysis.ipynb"),
    "prepost": ("slp_eval.params.prepost:PrepostParams", "prepost_comparison.ipynb"),
    "scorecard": ("slp_eval.params.scorecard:ScorecardParams", "programme_scorecard.ipynb"),
    "data_quality": ("slp_eval.params.data_quality:DataQualityParams", "data_quality.ipynb"),
    "power": ("slp_eval.params.power:PowerParams", "power_analysis.ipynb"),
    "spc": ("slp_eval.params.spc:SPCParams", "spc.ipynb"),
    "comparative": ("slp_eval.params.comparative:ComparativeParams", "comparative.ipynb"),
}


def model_for(kind: str) -> type[AnalysisParams]:
    """The pydantic model of an analysis kind; ParameterError for an unknown kind."""
    if kind not in KINDS:
        raise ParameterError(f"unknown analysis {kind!r}; expected one of: {', '.join(sorted(KINDS))}")
    module, name = KINDS[kind][0].split(":")
    model: type[AnalysisParams] = getattr(importlib.import_module(module), name)
    return model


def notebook_for(kind: str) -> str:
    """File name of the notebook that runs an analysis kind."""
    model_for(kind)
    return KINDS[kind][1]


#: (kind, field) -> notebook that runs a parameter file of that kind when the field is set,
#: instead of the kind's own notebook: an ITS file with `by:` fits every unit and pools them.
VARIANTS: dict[tuple[str, str], str] = {("its", "by"): "its_units.ipynb"}


def notebook_of(params: AnalysisParams) -> str:
    """File name of the notebook that runs a validated parameter file: a `VARIANTS` notebook when
    its field is set, else `notebook_for(params.analysis)`."""
    for (kind, name), notebook in VARIANTS.items():
        if params.analysis == kind and getattr(params, name, None) is not None:
            return notebook
    return notebook_for(params.analysis)


#: Longest value an error message quotes.
SHOWN = 60


def _head(chunks: Iterator[str], limit: int = SHOWN) -> str:
    """At most `limit` characters of a lazily serialised value (the rest is never produced)."""
    text = ""
    for chunk in chunks:
        text += chunk
        if len(text) > limit:
            return text[: limit - 3] + "..."
    return text


def _shown(value: Any) -> str:
    """A value as an error message quotes it, serialised only as far as it is printed.

    `JSONEncoder.iterencode` yields the text piece by piece, so a huge (or self-sharing) value
    costs no more than the 60 characters shown.
    """
    if isinstance(value, str):
        return _head(iter([repr(value[: SHOWN + 1])]))
    return _head(json.JSONEncoder(default=str, check_circular=False).iterencode(value))


def _describe(value: Any) -> str:
    return f"{_shown(value)} ({type(value).__name__})"


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _known_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at `loc` (for 'did you mean' hints on unknown keys)."""
    current: Any = model
    for item in loc[:-1]:
        if isinstance(item, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(str(item))
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        for c in candidates:
            for inner in getattr(c, "__args__", ()):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    current = inner
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _strip_union_tags(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[Any, ...]:
    """Drop pydantic's union-member tags (``literal['month']``, ``str``) from an error location.

    A location element is a real key only if the input has it there; anything else is a tag.
    """
    path: list[Any] = []
    current = data
    for i, item in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(current, Mapping) and (
            item in current or (last and kind in ("missing", "extra_forbidden"))
        ):
            path.append(item)
            current = current.get(item)
        elif isinstance(current, list | tuple) and isinstance(item, int) and item < len(current):
            path.append(item)
            current = current[item]
    return tuple(path)


def _problems(model: type[BaseModel], error: ValidationError, data: Any) -> list[str]:
    entries: list[tuple[tuple[Any, ...], bool, str, str, Any]] = []
    for item in error.errors():
        loc = _strip_union_tags(tuple(item["loc"]), data, item["type"])
        tagged = len(loc) != len(item["loc"])
        message = item["msg"].removeprefix("Input should be ").removeprefix("Value error, ")
        entries.append((loc, tagged, item["type"], message, item.get("input")))
    # Inside a union, the member that got furthest explains the problem best: drop the others.
    deepest = [
        e
        for e in entries
        if not any(e[1] and o[1] and len(o[0]) > len(e[0]) and o[0][: len(e[0])] == e[0] for o in entries)
    ]
    merged: dict[tuple[Any, ...], tuple[str, list[str], Any]] = {}
    for loc, _, kind, message, value in deepest:
        if loc in merged and merged[loc][0] == "other" and kind not in ("extra_forbidden", "missing"):
            merged[loc][1].append(message)
        else:
            merged.setdefault(
                loc, (kind if kind in ("extra_forbidden", "missing") else "other", [message], value)
            )
    problems = []
    for loc, (kind, messages, value) in merged.items():
        where = _field_path(loc)
        if kind == "extra_forbidden":
            hint = difflib.get_close_matches(str(loc[-1]), _known_fields(model, loc), n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.append(f"{where}: unknown key, not allowed here{suggestion}")
        elif kind == "missing":
            problems.append(f"{where}: required field is missing")
        elif not loc:
            problems.append(" or ".join(messages))
        else:
            problems.append(f"{where}: expected {' or '.join(messages)}; found {_describe(value)}")
    return problems


def _data_files(params: BaseModel) -> list[tuple[str, Path]]:
    """Every DataSource in a parameter model, with its field path."""
    found: list[tuple[str, Path]] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, DataSource):
            found.append((f"{where}.path", value.path))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), f"{where}.{name}" if where else name)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                walk(item, f"{where}[{i}]")

    walk(params, "")
    return found


def _unreadable(path: Path) -> str | None:
    """Why a data file cannot be read, or None (it is opened here, so permissions are tested)."""
    rule = "rule: data files must be readable files"
    if not path.exists():
        return f"file not found: {path}"
    if not path.is_file():
        return f"not a regular file: {path}; {rule}"
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        return f"cannot be read ([Errno {error.errno}] {error.strerror}): {path}; {rule}"
    return None


def _decode(path: Path, raw: bytes) -> str:
    """The text of a parameter file: UTF-8 (a byte-order mark is allowed), or one clear error."""
    rule = "rule: save parameter files as UTF-8"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ParameterError(f"{path}: not UTF-8 text (it starts with a UTF-16 byte-order mark); {rule}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ParameterError(
            f"{path}: not UTF-8 text (byte 0x{raw[error.start]:02x} at line {line}); {rule}"
        ) from None


def input_files(params: BaseModel) -> list[Path]:
    """The data files a parameter model reads (for hashing into the manifest)."""
    return [path for _, path in _data_files(params)]


def _refuse(source: str, problems: Sequence[str]) -> ParameterError:
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    return ParameterError(f"{source}: {count}\n" + "\n".join(f"  - {p}" for p in problems))


#: Parameter fields that name a column of the data file as a grouping, coverage, time or filter column.
COLUMN_FIELDS = ("time", "group", "offset", "trials", "date_column", "coverage_column")


def _identifier_problems(params: BaseModel) -> list[str]:
    """A column the data dictionary marks `identifies_person` used as a grouping, coverage, time or
    filter column: one problem per use, naming the parameter and the field, never a value."""
    source = getattr(params, "data", None)
    if not isinstance(source, DataSource) or source.dataset is None:
        return []
    from slp_eval.data import read_dictionary  # the data layer loads pandas: import only when needed

    try:
        identifying = set(read_dictionary().dataset(source.dataset).identifying_columns)
    except ParameterError:
        return []  # an unknown dataset is reported when the data file is loaded
    named = [(name, getattr(params, name, None)) for name in COLUMN_FIELDS]
    named += [(f"filters.{column}", column) for column in getattr(params, "filters", None) or {}]
    parts = getattr(params, "time_parts", None)
    if parts is not None:
        named += [("time_parts.year", parts.year), ("time_parts.month", parts.month)]
    named += [(f"covariates[{i}]", c) for i, c in enumerate(getattr(params, "covariates", None) or [])]
    by = getattr(params, "by", None)
    named += [("by", by)] if isinstance(by, str) else [(f"by[{i}]", c) for i, c in enumerate(by or [])]
    named += [(where, column) for where, column in column_references(params)
              if where.startswith(("panels[", "funnel."))]  # SPC panels and funnel: filters and columns
    return [
        f"{where}: field {column!r} of dataset {source.dataset!r} identifies a person (data dictionary: "
        "identifies_person: true); it cannot be a grouping, coverage, time or filter column"
        for where, column in named if column in identifying
    ]


def _header_problems(params: BaseModel) -> list[str]:
    """Columns named by the parameters that the data file's header lacks (the header only is read;
    a header that cannot be read is left to the loader, which names the rule)."""
    source = getattr(params, "data", None)
    if not isinstance(source, DataSource):
        return []
    from slp_eval.data.read import read_header

    header = read_header(source.path)
    return [] if header is None else column_problems(params, source.path, header)


def validate_params(
    data: Mapping[str, Any],
    *,
    source: str = "parameters",
    base_dir: Path | None = None,
    problems: Sequence[str] = (),
) -> AnalysisParams:
    """Validate a mapping of parameters; every problem is reported in one ParameterError.

    `problems` are those already found in the file's YAML (duplicate keys, aliases, non-finite
    numbers); they are listed first, with the schema's.
    """
    found = list(problems)
    if not isinstance(data, Mapping):
        if found:
            raise _refuse(source, found)
        raise ParameterError(
            f"{source}: expected a mapping of keys to values at the top level; found {type(data).__name__}"
        )
    kind = data.get("analysis")
    if kind is None:
        raise _refuse(source, [*found, "analysis: required field is missing "
                                       f"(one of: {', '.join(sorted(KINDS))})"])
    if not isinstance(kind, str) or kind not in KINDS:
        raise _refuse(source, [*found, f"analysis: unknown analysis {_shown(kind)}; "
                                       f"expected one of: {', '.join(sorted(KINDS))}"])
    model = model_for(kind)
    try:
        params = model.model_validate(dict(data), context={"base_dir": base_dir})
    except ValidationError as error:
        found += _problems(model, error, data)
    else:
        found += [f"{where}: {problem}" for where, path in _data_files(params)
                  if (problem := _unreadable(path))]
        found += _identifier_problems(params)
        if not found:
            found += _header_problems(params)
        if not found:
            return params
    raise _refuse(source, found)


def load_params(path: str | Path) -> AnalysisParams:
    """Read and validate a YAML parameter file (relative paths resolve against its folder)."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: parameter file not found")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ParameterError(
            f"{path}: cannot be read ([Errno {error.errno}] {error.strerror}); "
            "rule: a parameter file must be a readable file"
        ) from None
    text = _decode(path, raw)
    if not text.strip():
        raise ParameterError(f"{path}: the parameter file is empty")
    try:
        data, problems = read_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ParameterError(f"{path}: not valid YAML{where}: {problem}") from None
    return validate_params(data, source=str(path), base_dir=path.parent.resolve(), problems=problems)


def params_schema() -> dict[str, Any]:
    """JSON Schema of parameter files: one alternative per analysis kind, chosen by `analysis`."""
    schemas = {kind: model_for(kind).model_json_schema() for kind in KINDS}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "slp-eval parameter file",
        "oneOf": list(schemas.values()),
    }


__all__ = [
    "KINDS",
    "VARIANTS",
    "input_files",
    "load_params",
    "model_for",
    "notebook_for",
    "notebook_of",
    "params_schema",
    "validate_params",
]
