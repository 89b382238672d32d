"""Turn the bytes of one catalog file into plain data and where every value is, or problems.

Built on libyaml's event stream (PyYAML's C parser where installed): the events are turned
into dicts, lists and scalars here, recording the 1-based (line, column) of every value and
mapping key by JSON path. This is stricter than ``yaml.safe_load``: duplicate keys, non-string
keys, tabs, several documents and alias bombs are problems, not silent surprises. libyaml's
own composer recurses in C and crashes on deeply nested input, so it is not used. Pure: bytes
in, data or problems out; never reads a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from controller.catalog.catalog import Positions
from controller.catalog.problems import Problem

MAX_BYTES = 1 << 20
"""Catalog files are small; anything larger is a mistake (or an attack) and is not parsed."""
MAX_ALIAS_NODES = 100_000
"""How many nodes aliases may expand to in one file (guards against 'billion laughs')."""
MAX_DEPTH = 100
"""How deeply mappings and lists may nest."""

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_T = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_T + k for k in ("str", "null", "bool", "int", "float"))
_MERGE, _TIMESTAMP, _MAP, _SEQ = (_T + k for k in ("merge", "timestamp", "map", "seq"))
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = Resolver.yaml_implicit_resolvers
_KIND_OF_TAG = {_NULL: "null", _BOOL: "a boolean", _INT: "an integer", _FLOAT: "a number"}
_CONSTRUCT: dict[str, Callable[[ScalarNode], Any]] = {
    _INT: SafeConstructor().construct_yaml_int,
    _FLOAT: SafeConstructor().construct_yaml_float,
    _BOOL: SafeConstructor().construct_yaml_bool,
}


@dataclass(frozen=True)
class Document:
    """A parsed catalog file: its top-level mapping, and where each value and key starts."""

    data: dict[str, Any]
    positions: Positions
    keys: Positions


def too_big(path: str, size: int) -> Problem:
    """The problem of a file over ``MAX_BYTES`` (checked before reading it)."""
    return Problem(
        path,
        0,
        0,
        f"file is {size:,} bytes, over the limit of {MAX_BYTES:,} bytes (1 MiB)",
        hint="catalog files are small YAML; split it or move data out of the catalog",
    )


def parse_yaml(data: bytes, path: str) -> Document | list[Problem]:
    """Parse one catalog file; ``path`` is only used to name the file in problems."""
    if len(data) > MAX_BYTES:
        return [too_big(path, len(data))]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        return [
            Problem(
                path,
                line,
                column,
                f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
                hint="save the file as UTF-8",
            )
        ]
    reader = _Reader(data, text, path)
    try:
        document = reader.document()
    except _Stop as stop:
        return [*reader.problems, stop.problem]
    except yaml.YAMLError as exc:
        return [*reader.problems, reader.error_problem(exc)]
    finally:
        reader.loader.dispose()
    return reader.problems or document


class _Stop(Exception):
    """Internal: a problem after which the rest of the file cannot be read."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of the byte at ``offset``."""
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _at(event: Event) -> tuple[int, int]:
    """1-based line and column where ``event`` starts."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def describe(value: Any) -> str:
    """A value for a message: 'a mapping', 'a list', "the str 'x'"."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty (null)"
    return f"the {type(value).__name__} {value!r}"


class _Reader:
    """Walks the event stream of one document, building data and positions."""

    def __init__(self, data: bytes, text: str, path: str) -> None:
        self.loader = _Loader(data)
        self.next: Callable[[], Event] = self.loader.get_event
        self.data = data
        self.text = text
        self.path = path
        self.positions: Positions = {}
        self.keys: Positions = {}
        self.problems: list[Problem] = []
        # anchor -> (value, node count); None while the anchored collection is being built
        self.anchors: dict[str, tuple[Any, int] | None] = {}
        self.expanded = 0

    # ----------------------------------------------------------------- events and problems

    def error_problem(self, exc: yaml.YAMLError) -> Problem:
        """The problem of an error libyaml raised."""
        if isinstance(exc, yaml.MarkedYAMLError):
            return self._syntax_problem(exc)
        if isinstance(exc, yaml.reader.ReaderError):
            line, column = _byte_position(self.data, exc.position)
            return Problem(
                self.path,
                line,
                column,
                f"character 0x{exc.character:02x} is not allowed in YAML ({exc.reason})",
                hint="remove it",
            )
        return Problem(self.path, 1, 1, f"cannot read the YAML: {exc}")

    def problem(self, event: Event, message: str, json_path: str = "", hint: str = "") -> None:
        line, column = _at(event)
        self.problems.append(Problem(self.path, line, column, message, json_path, hint))

    def stop(self, event: Event, message: str, hint: str = "") -> _Stop:
        line, column = _at(event)
        return _Stop(Problem(self.path, line, column, message, hint=hint))

    def _syntax_problem(self, exc: yaml.MarkedYAMLError) -> Problem:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        lines = self.text.split("\n")
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        indent = source[: len(source) - len(source.lstrip(" \t"))]
        if "\t" in indent or source[column - 1 : column] == "\t":
            tab = indent.index("\t") + 1 if "\t" in indent else column
            return Problem(
                self.path,
                line,
                tab,
                "tab character in the indentation",
                hint="YAML forbids tabs for indentation; use spaces",
            )
        if (
            exc.problem and "maximum nesting depth" in exc.problem
        ):  # PyYAML 6.0.4 stops at its own limit
            return Problem(
                self.path,
                line,
                column,
                f"nested more than {MAX_DEPTH} levels deep",
                hint="catalog files are shallow; check the brackets and the indentation",
            )
        message = f"YAML syntax error: {exc.problem or exc.context}"
        if exc.context and exc.problem and exc.context_mark:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        hint = ""
        if exc.problem and "mapping values are not allowed" in exc.problem:
            hint = "is a ':' missing a space after it, or should the value be quoted?"
        elif exc.problem and "found character that cannot start any token" in exc.problem:
            hint = "quote the value"
        return Problem(self.path, line, column, message, hint=hint)

    # ----------------------------------------------------------------- document

    def document(self) -> Document:
        self.next()  # StreamStartEvent
        first = self.next()
        if isinstance(first, StreamEndEvent):
            raise _Stop(
                Problem(
                    self.path,
                    1,
                    1,
                    "empty file (nothing but comments or blank lines)",
                    hint="write the fields of the object, or delete the file",
                )
            )
        assert isinstance(first, DocumentStartEvent)
        root_event = self.next()
        root, _ = self.node(root_event, (), 0)
        self.next()  # DocumentEndEvent
        after = self.next()
        if isinstance(after, DocumentStartEvent):
            raise self.stop(
                after,
                "a second YAML document starts here; a catalog file holds one",
                hint="remove the '---' and what follows, or move it to a file of its own",
            )
        if not isinstance(root, dict):
            raise self.stop(
                root_event,
                f"the file must be a mapping of fields ('name: ...' lines), not {describe(root)}",
            )
        return Document(root, self.positions, self.keys)

    # ----------------------------------------------------------------- values

    def node(self, event: Any, path: tuple[str | int, ...], depth: int) -> tuple[Any, int]:
        """Build the value starting with ``event``; return it and how many nodes it has."""
        mark = event.start_mark
        self.positions[path] = (mark.line + 1, mark.column + 1)
        kind = type(event)
        if kind is ScalarEvent:
            if event.tag is None and not event.implicit[0]:
                value: Any = event.value  # quoted or block scalar: a string
            else:
                value = self.scalar(event, path)
            if event.anchor is not None:
                self.anchors[event.anchor] = (value, 1)
            return value, 1
        if kind is AliasEvent:
            return self.alias(event)
        if depth >= MAX_DEPTH:
            raise self.stop(
                event,
                f"nested more than {MAX_DEPTH} levels deep",
                hint="catalog files are shallow; check the brackets and the indentation",
            )
        anchor = event.anchor
        if anchor is not None:
            self.anchors[anchor] = None  # being built: an alias to it now is recursive
        result: tuple[Any, int]
        if kind is MappingStartEvent:
            if event.tag is not None:
                self.check_tag(event, _MAP, "a mapping", path)
            result = self.mapping(path, depth)
        else:
            if event.tag is not None:
                self.check_tag(event, _SEQ, "a list", path)
            result = self.sequence(path, depth)
        if anchor is not None:
            self.anchors[anchor] = result
        return result

    def check_tag(
        self, event: Event, expected: str, what: str, path: tuple[str | int, ...]
    ) -> None:
        tag = getattr(event, "tag", None)
        if tag not in (None, "!", expected):
            self.problem(
                event,
                f"unsupported YAML tag '{tag}' on {what}",
                json_path(path),
                hint="remove the tag; catalog files hold plain mappings, lists and scalars",
            )

    def alias(self, event: Event) -> tuple[Any, int]:
        anchor = getattr(event, "anchor", "")
        if anchor not in self.anchors:
            raise self.stop(event, f"unknown alias '*{anchor}'", hint=f"define '&{anchor}' first")
        target = self.anchors[anchor]
        if target is None:
            raise self.stop(
                event,
                f"alias '*{anchor}' refers to the collection it is in (a recursive structure)",
                hint="write the value out",
            )
        self.expanded += target[1]
        if self.expanded > MAX_ALIAS_NODES:
            raise self.stop(
                event,
                f"too many aliases expand: they stand for more than {MAX_ALIAS_NODES:,} values "
                "(an alias bomb?)",
                hint="write the values out or use fewer aliases",
            )
        return target

    def scalar(self, event: ScalarEvent, path: tuple[str | int, ...]) -> Any:
        text: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return text  # quoted or block scalar: a string
            tag = _resolve(text)
        if tag in (_STR, _TIMESTAMP):
            return text  # dates stay strings, as in JSON and the JSON Schemas
        if tag == _NULL:
            return None
        construct = _CONSTRUCT.get(tag)
        if construct is None:
            if tag in (_MERGE, _T + "value", _T + "yaml"):
                return text
            self.problem(
                event,
                f"unsupported YAML tag '{tag}'",
                json_path(path),
                hint="remove the tag; catalog files hold plain mappings, lists and scalars",
            )
            return text
        if tag == _INT:
            digits = text.lstrip("+-")
            if digits.isdigit() and (digits[0] != "0" or digits == "0"):
                return int(text)  # the usual decimal (YAML 1.1 reads '010' as octal)
        elif tag == _FLOAT and ":" not in text and not text.lstrip("+-").startswith("."):
            return float(text.replace("_", ""))  # not .inf, .nan nor sexagesimal
        try:
            return construct(ScalarNode(tag, text))
        except (ConstructorError, ValueError, KeyError):
            self.problem(event, f"'{text}' is not {_KIND_OF_TAG[tag]}", json_path(path))
            return text

    def sequence(self, path: tuple[str | int, ...], depth: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        count = 1
        while True:
            event = self.next()
            if type(event) is SequenceEndEvent:
                return items, count
            item, n = self.node(event, (*path, len(items)), depth + 1)
            items.append(item)
            count += n

    def mapping(self, path: tuple[str | int, ...], depth: int) -> tuple[dict[str, Any], int]:
        # the hot loop of loading a catalog: locals and an inlined path for scalar values
        next_event, positions, keys = self.next, self.positions, self.keys
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[tuple[Any, tuple[int, int]]] = []
        count = 1
        while True:
            event: Any = next_event()
            if type(event) is MappingEndEvent:
                break
            if (
                type(event) is ScalarEvent
                and event.tag is None
                and (not event.implicit[0] or _resolve(event.value) == _STR)
            ):
                key: Any = event.value  # the usual key: a plain string
            else:
                key = self.key(event, path, depth)
            value_event: Any = next_event()
            if key is _MERGE_KEY:
                value, n = self.node(value_event, (*path, "<<"), depth + 1)
                del positions[(*path, "<<")]
                merges.append((value, _at(value_event)))
                count += n
                continue
            key_path = (*path, key)
            mark = event.start_mark
            line = mark.line + 1
            if key in first_line:
                self.problem(
                    event,
                    f"duplicate key '{key}' (first at line {first_line[key]})",
                    json_path(key_path),
                    hint="YAML keeps only the last one; remove one of them",
                )
            else:
                first_line[key] = line
            keys[key_path] = (line, mark.column + 1)
            if type(value_event) is ScalarEvent and value_event.anchor is None:
                value_mark: Any = value_event.start_mark
                positions[key_path] = (value_mark.line + 1, value_mark.column + 1)
                if value_event.tag is None and not value_event.implicit[0]:
                    result[key] = value_event.value
                else:
                    result[key] = self.scalar(value_event, key_path)
                count += 2
                continue
            value, n = self.node(value_event, key_path, depth + 1)
            result[key] = value
            count += 1 + n
        for value, position in merges:
            self.merge(result, value, path, position)
        return result, count

    def key(self, event: Event, path: tuple[str | int, ...], depth: int) -> Any:
        """The key starting with ``event``: a string, ``_MERGE_KEY``, or a problem and text."""
        if isinstance(event, ScalarEvent):
            text: str = event.value
            tag = event.tag
            if tag is None or tag == "!":
                tag = _resolve(text) if event.implicit[0] else _STR
            if tag == _MERGE:
                return _MERGE_KEY
            if tag not in (_STR, _TIMESTAMP):
                kind = _KIND_OF_TAG.get(tag, f"tagged '{tag}'")
                self.problem(
                    event,
                    f"key '{text}' is read as {kind}, but keys must be strings",
                    json_path(path),
                    hint=f"quote it: '{text}'",
                )
            return text
        if isinstance(event, AliasEvent):
            value, _ = self.alias(event)
            if isinstance(value, str):
                return value
            self.problem(event, "a key must be a string, not an alias to " + describe(value))
            return f"*{getattr(event, 'anchor', '')}"
        value, _ = self.node(event, (*path, "?"), depth + 1)
        self.positions.pop((*path, "?"), None)
        self.problem(
            event,
            f"a key must be a string, not {describe(value)}",
            json_path(path),
            hint="complex keys ('? ...') are not allowed in catalog files",
        )
        return "?"

    def merge(
        self,
        into: dict[str, Any],
        value: Any,
        path: tuple[str | int, ...],
        position: tuple[int, int],
    ) -> None:
        """Apply a merge key ``<<``: keys of the merged mappings not set explicitly."""
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                line, column = position
                self.problems.append(
                    Problem(
                        self.path,
                        line,
                        column,
                        f"'<<' merges mappings, not {describe(source)}",
                        json_path(path),
                    )
                )
                continue
            for key, item in source.items():
                if key not in into:
                    into[key] = item
                    self.positions[(*path, key)] = position


_MERGE_KEY = object()


@lru_cache(maxsize=8192)
def _resolve(text: str) -> str:
    """The tag of a plain scalar: YAML 1.1 as PyYAML, plus YAML 1.2's '1e3' floats."""
    for tag, regexp in _RESOLVERS.get(text[:1], ()):
        if regexp.match(text):
            return tag
    return _FLOAT if _FLOAT_12.match(text) else _STR


# YAML 1.2 floats that YAML 1.1 (PyYAML) reads as strings: '1e3', '1.5e3' (no sign, no dot).
_FLOAT_12 = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$")
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def json_path(path: tuple[str | int, ...]) -> str:
    """``('enabled', 0, 'dataset')`` as ``enabled[0].dataset``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out
