"""The reference page of every scenario key, generated from the models themselves
(``docs/scenario_keys.md``, ``wzmodel scenario-keys``): what the strict models accept is what the
page says, and a test keeps the committed page equal to this output."""

from __future__ import annotations

import inspect
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from wzmodel.scenario.scenario import Scenario

__all__ = ["render_keys"]


def render_keys() -> str:
    """Markdown: one table per section of a scenario file, one row per key."""
    lines = ["# Scenario keys", "",
             "Generated from the scenario models (`wzmodel scenario-keys`); do not edit by hand.",
             "Unknown keys are errors. Paths are relative to the scenario file. "
             "`extends = \"other.toml\"` starts from another scenario file and overrides the keys "
             "named here (tables merge key by key).", ""]
    for title, model in _sections(Scenario, ""):
        doc = inspect.cleandoc(model.__doc__ or "").split("\n\n")[0].replace("\n", " ")
        lines += [f"## `{title}`" if title else "## top level", ""]
        lines += [doc, ""] if doc and model is not Scenario else []
        lines += ["| key | type | default | meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            if field.exclude or _model(field.annotation):
                continue
            default = ("required" if field.is_required() else
                       _shown(field.get_default(call_default_factory=True)))
            meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{name}` | {_type(field.annotation)} | {default} | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _sections(model: type[BaseModel], prefix: str) -> list[tuple[str, type[BaseModel]]]:
    """The model's own table, then every nested table (``[funding]``, ``[targets.NAME]``...)."""
    out = [(prefix, model)]
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        nested = _model(field.annotation)
        if nested is not None:
            key = f"{prefix}.{name}" if prefix else name
            many = typing.get_origin(field.annotation) in (dict, tuple)
            out += _sections(nested, f"{key}.NAME" if many else key)
    return out


def _model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (itself, or as the values of a table keyed by name)."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (dict, tuple):  # tables keyed by name in the file
        value = typing.get_args(annotation)[-1 if typing.get_origin(annotation) is dict else 0]
        if inspect.isclass(value) and issubclass(value, BaseModel):
            return value
    return None


def _type(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0])
    if origin is typing.Literal:
        return " or ".join(f"`{a!r}`".replace("'", '"') for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in args if a is not type(None)) + (
            " (or blank)" if type(None) in args else "")
    if origin is dict:
        return f"table ({_type(args[0])} = {_type(args[1])})"
    if origin in (tuple, list):
        return f"list of {_type(args[0])}"
    names = {float: "number", int: "whole number", str: "text", bool: "true/false",
             Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _shown(value: Any) -> str:
    if value is None or value is PydanticUndefined or value == "":
        return "blank"
    if isinstance(value, BaseModel):
        return "see its table"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple | list | dict) and not value:
        return "none"
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value))
    return f"`{value}`"
