"""Map pydantic validation errors to catalog problems at the right line, column and field.

A pydantic error knows the JSON path of the value it rejects; this module turns it into a
``Problem`` at that value's position (or its key's, for unknown fields), with a message a
person can act on and a did-you-mean hint. Pure: no file I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from controller.catalog.catalog import Positions
from controller.catalog.checks import did_you_mean
from controller.catalog.models import NAME_PATTERN, RULE_ERROR, WAGON_REF_PATTERN
from controller.catalog.problems import Problem
from controller.catalog.yamlsource import describe, json_path

_NAME_RULE = "lower-case letters, digits, '-' and '_', starting with a letter or digit"
_NAME_PATTERN_TEXT = NAME_PATTERN.strip("^$")
_QUOTED = re.compile(r"'([^']*)'")


def model_problems(
    errors: Sequence[ErrorDetails],
    model: type[BaseModel],
    data: Any,
    path: str,
    positions: Positions,
    keys: Positions,
    prefix: tuple[str | int, ...] = (),
) -> list[Problem]:
    """Each pydantic error of validating ``data`` (found at ``prefix`` in the file) as a
    problem at the line of the value it is about, with a readable message and a hint."""
    located = [_Located.of(error, model, data) for error in errors]
    located = _best_union_members(located)
    return [item.problem(path, positions, keys, prefix) for item in located]


@dataclass(frozen=True)
class _Located:
    """A pydantic error with its loc split into the data path and the union members chosen."""

    error: Any
    data_path: tuple[str | int, ...]
    members: tuple[tuple[tuple[str | int, ...], str], ...]
    allowed: tuple[str, ...]
    suggestions: tuple[str, ...]
    on_key: bool

    @classmethod
    def of(cls, error: Any, model: type[BaseModel], data: Any) -> _Located:
        walked: list[str | int] = []
        members: list[tuple[tuple[str | int, ...], str]] = []
        allowed: set[str] = set()
        suggestions: set[str] = set()
        union_fields: set[str] = set()
        tp: Any = model
        node = data
        on_key = False
        loc = error["loc"]
        for i, part in enumerate(loc):
            if part == "[key]":
                on_key = True
                continue
            tp = _unwrap(tp)
            options = _union_members(tp)
            if options is not None and isinstance(part, str):
                # pydantic names the union member it tried: its class or discriminator value
                member = _member_named(options, part)
                last = i == len(loc) - 1
                if (member is not None and not last) or not _has_key(node, part):
                    members.append((tuple(walked), part))
                    union_fields = {n for m in options for n in _field_names(m)}
                    tp = member if member is not None else Any
                    continue
            walked.append(part)
            node = _child(node, part)
            allowed = set(_field_names(tp))
            suggestions = allowed | union_fields
            union_fields = set()
            tp = _field_type(tp, part)
        return cls(
            error,
            tuple(walked),
            tuple(members),
            tuple(sorted(allowed)),
            tuple(sorted(suggestions)),
            on_key,
        )

    def problem(
        self, path: str, positions: Positions, keys: Positions, prefix: tuple[str | int, ...]
    ) -> Problem:
        error = self.error
        kind: str = error["type"]
        full = (*prefix, *self.data_path)
        where = _nearest(positions, full)
        message, hint = _message(error), ""
        if kind == "missing":
            where = _nearest(positions, full[:-1])
            message = f"missing required field '{full[-1]}'" if full else "missing field"
        elif kind == "extra_forbidden":
            where = keys.get(full, where)
            key = str(full[-1]) if full else "?"
            message = f"unknown field '{key}'"
            hint = did_you_mean(key, self.suggestions) or (
                f"allowed: {', '.join(self.allowed)}" if self.allowed else ""
            )
        elif self.on_key:
            where = keys.get(full, where)
            if kind == "string_pattern_mismatch":
                message, hint = _pattern_message(error["input"], error["ctx"]["pattern"])
            else:
                message = f"key '{full[-1]}': {message}"
        elif kind == RULE_ERROR:
            message, hint = error["msg"], error["ctx"]["hint"]
            at = error["ctx"]["at"]
            if full not in positions and at:
                where = _nearest(positions, (*full[:-1], at))
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            field = error["ctx"]["discriminator"].strip("'")
            if kind == "union_tag_not_found":
                message = f"missing required field '{field}'"
            else:
                tags = _QUOTED.findall(error["ctx"]["expected_tags"])
                message = f"unknown {field} '{error['ctx']['tag']}': use one of {', '.join(tags)}"
                hint = did_you_mean(str(error["ctx"]["tag"]), tags)
                where = _nearest(positions, (*full, field))
            full = (*full, field)
        elif kind in ("literal_error", "enum"):
            expected = _QUOTED.findall(error["ctx"].get("expected", ""))
            hint = did_you_mean(str(error["input"]), expected)
        elif kind == "string_pattern_mismatch":
            message, hint = _pattern_message(error["input"], error["ctx"]["pattern"])
        return Problem(path, where[0], where[1], message, json_path(full), hint)


def _message(error: Any) -> str:
    kind: str = error["type"]
    value = error.get("input")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"should be a mapping of fields, not {describe(value)}"
    if kind == "list_type":
        return f"should be a list, not {describe(value)}"
    message: str = error["msg"]
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 60:
        return f"{message}, got {value!r}"
    return message


def _pattern_message(value: Any, pattern: str) -> tuple[str, str]:
    suggestion = re.sub(r"[^a-z0-9_-]+", "-", str(value).lower()).strip("-_")
    hint = f"for example '{suggestion}'" if suggestion and suggestion != value else ""
    if pattern == NAME_PATTERN:
        return (
            f"'{value}' is not a valid name: it must match {_NAME_PATTERN_TEXT}, that is "
            f"{_NAME_RULE}",
            hint,
        )
    if pattern == WAGON_REF_PATTERN:
        return (
            f"'{value}' is not a wagon reference: write 'wagon' (same analysis) or "
            f"'analysis/wagon', each name matching {_NAME_PATTERN_TEXT}",
            "",
        )
    return f"'{value}' does not match the pattern {pattern}", ""


def _nearest(positions: Positions, path: tuple[str | int, ...]) -> tuple[int, int]:
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return positions.get((), (1, 1))


def _best_union_members(located: list[_Located]) -> list[_Located]:
    """Of the errors against each member of a union, keep those of the member with the fewest
    (the one the author most likely meant)."""
    counts: dict[tuple[str | int, ...], dict[str, int]] = {}
    for item in located:
        for at, member in item.members:
            tally = counts.setdefault(at, {})
            tally[member] = tally.get(member, 0) + 1
    best = {at: min(tally, key=lambda m: tally[m]) for at, tally in counts.items()}
    return [item for item in located if all(best.get(at, m) == m for at, m in item.members)]


# --- walking the model types along pydantic's loc


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _union_members(tp: Any) -> list[Any] | None:
    if get_origin(tp) in (Union, UnionType):
        return [_unwrap(a) for a in get_args(tp) if a is not type(None)]
    return None


def _member_named(options: list[Any], tag: str) -> Any:
    """The union member pydantic calls ``tag``: its class name or its discriminator value."""
    for option in options:
        if getattr(option, "__name__", None) == tag:
            return option
        if isinstance(option, type) and issubclass(option, BaseModel):
            for info in option.model_fields.values():
                if get_origin(info.annotation) is Literal and tag in get_args(info.annotation):
                    return option
    return None


def _field_names(tp: Any) -> list[str]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [info.alias or name for name, info in tp.model_fields.items()]
    return []


def _field_type(tp: Any, part: str | int) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return Any
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (list, tuple, set, frozenset) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return Any


def _has_key(node: Any, part: str | int) -> bool:
    return isinstance(node, dict) and part in node


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None
