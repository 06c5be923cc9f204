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


def _lines(model: type[BaseModel], indent: str, kind: str | None) -> list[str]:
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
        if name == "analysis" and kind is not None:
            lines.append(f"{indent}analysis: {kind}")
        elif nested is not None and (required or isinstance(default, BaseModel)):
            lines.append(f"{indent}{name}:")
            lines.extend(_lines(nested, indent + "  ", None))
        elif required:
            lines.append(f"{indent}{name}:  # FILL IN")
        else:
            value = default.model_dump(mode="json") if isinstance(default, BaseModel) else default
            lines.append(f"{indent}{name}: {json.dumps(value, default=str)}")
    return lines


def template_for(kind: str) -> str:
    """A parameter-file template for `kind`, every field commented with its type and default."""
    model = model_for(kind)
    head = [
        f"# slp-eval parameter file: analysis kind {kind!r}.",
        "# Fill in the fields marked FILL IN; relative paths resolve against this file's folder.",
        "# Check it with: slp-eval run THIS_FILE (problems are listed before anything runs).",
    ]
    return "\n".join([*head, *_lines(model, "", kind)]) + "\n"
