"""Commented YAML templates of parameter files, generated from the pydantic models."""

import json
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from slp_eval.params import model_for


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (list, tuple):
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"mapping of {_type_name(key)} to {_type_name(value)}"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation)).replace("Path", "path")


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return PydanticUndefined


def _list_of_models(annotation: Any) -> type[BaseModel] | None:
    """The model of a `list[Model]` field, else None."""
    if typing.get_origin(annotation) in (list, tuple):
        return _nested_model(typing.get_args(annotation)[0])
    return None


def _keys(model: type[BaseModel]) -> str:
    """The keys of a model with their types and defaults, for a one-line comment."""
    parts = []
    for name, info in model.model_fields.items():
        default = _default(info)
        shown = "required" if default is PydanticUndefined else f"default {json.dumps(default, default=str)}"
        parts.append(f"{name} ({_type_name(info.annotation)}; {shown})")
    return "; ".join(parts)


def _item_lines(model: type[BaseModel], indent: str) -> list[str]:
    """One item of a list of models, as a YAML block sequence entry ("- " before its first key)."""
    lines = _lines(model, indent + "  ", None, {}, "")
    first = next(i for i, line in enumerate(lines) if not line.lstrip().startswith("#"))
    lines[first] = f"{indent}- {lines[first][len(indent) + 2:]}"
    return lines


def _lines(model: type[BaseModel], indent: str, kind: str | None, examples: dict[str, Any],
           prefix: str = "") -> list[str]:
    lines: list[str] = []
    for name, info in model.model_fields.items():
        default = _default(info)
        required = default is PydanticUndefined
        about = info.description or ""
        lines.append(
            f"{indent}# {about}{' ' if about else ''}({_type_name(info.annotation)}"
            f"{'; required' if required else ''})"
        )
        nested = _nested_model(info.annotation)
        items = _list_of_models(info.annotation)
        path = f"{prefix}{name}"
        if name == "analysis" and kind is not None:
            lines.append(f"{indent}analysis: {kind}")
        elif path in examples:
            value = examples[path]
            if isinstance(value, list) and value and isinstance(value[0], dict):
                if items is not None:
                    lines.append(f"{indent}# Each item: {_keys(items)}.")
                lines.append(f"{indent}{name}:  # FILL IN (an example)")
                lines.extend(f"{indent}  - {json.dumps(item)}" for item in value)
            else:
                lines.append(f"{indent}{name}: {json.dumps(value)}  # FILL IN (an example)")
        elif items is not None and required:
            lines.append(f"{indent}{name}:")
            lines.extend(_item_lines(items, indent + "  "))
        elif nested is not None and (required or isinstance(default, BaseModel)):
            lines.append(f"{indent}{name}:")
            lines.extend(_lines(nested, indent + "  ", None, examples, f"{path}."))
        elif nested is not None and default is None:
            lines.append(f"{indent}# Give a mapping to use it: {_keys(nested)}.")
            lines.append(f"{indent}{name}: null")
        elif required:
            lines.append(f"{indent}{name}:  # FILL IN")
        else:
            value = default.model_dump(mode="json") if isinstance(default, BaseModel) else default
            lines.append(f"{indent}{name}: {json.dumps(value, default=str)}")
    return lines


def template_for(kind: str) -> str:
    """A parameter-file template for `kind`, every field commented with its type and default.

    A required list of models (e.g. `panels`) is printed as a YAML list with one item. A kind's
    model may give `TEMPLATE_EXAMPLES` (field path -> value, e.g. "data.path"): those fields are
    printed with the example and a FILL IN comment, so the template validates as printed (saved
    where README suggests, in params/)."""
    model = model_for(kind)
    head = [
        f"# slp-eval parameter file: analysis kind {kind!r}.",
        "# Fill in the fields marked FILL IN; relative paths resolve against this file's folder.",
        "# Check it with: slp-eval run THIS_FILE (problems are listed before anything runs).",
    ]
    examples = dict(getattr(model, "TEMPLATE_EXAMPLES", {}))
    return "\n".join([*head, *_lines(model, "", kind, examples)]) + "\n"
