"""Load a train's wagon instances and run every chunk of events through all of them.

The event loop at the heart of every job: each chunk is read once and handed to every wagon in
dependency order. Each wagon sees its own read-only view of the chunk (``views``): the columns
it declared, from the file or from the declared products of the wagons it depends on. CPU time
is accounted per wagon. A wagon that raises, writes into its input, or returns what it did not
declare stops the job with a ``TaskError`` naming the wagon, the file and the entry range.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import hist
from pydantic import ValidationError

from controller.catalog.tasks import import_task
from controller.engine.blame import blame, where
from controller.engine.chunk import Chunk
from controller.engine.merge import Histograms
from controller.engine.plan import WagonInstance
from controller.engine.task import Hist, Task
from controller.engine.views import Columns, as_column, view
from controller.errors import DataError, TaskError, WagonyardError
from controller.records import WagonInTrain


def config_hash(task: str, config: dict[str, Any]) -> str:
    """A short, stable hash of a task and its fully resolved configuration."""
    blob = json.dumps({"task": task, "config": config}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass
class LoadedWagon:
    instance: WagonInstance
    task: Task
    config: dict[str, Any]
    hists: dict[str, Hist] = field(default_factory=dict)
    cpu_s: float = 0.0
    events: int = 0
    from_file: tuple[str, ...] = ()  # columns read from the file
    from_products: dict[str, str] = field(default_factory=dict)  # column -> producer's ref
    booked: frozenset[str] = frozenset()  # the names book() returned

    def __post_init__(self) -> None:
        self.booked = frozenset(self.hists)

    @property
    def directory(self) -> str:
        return self.instance.directory

    @property
    def produces(self) -> tuple[str, ...]:
        return tuple(type(self.task).produces)

    def describe(self) -> WagonInTrain:
        i = self.instance
        return WagonInTrain(
            ref=i.ref,
            variant=i.variant,
            directory=i.directory,
            task=i.task,
            config=self.config,
            config_hash=config_hash(i.task, self.config),
            enabled=i.enabled,
            depends_on=list(i.depends_on),
            code_dir=i.code_dir,
        )


def load_wagons(catalog_dir: Path, instances: list[WagonInstance]) -> list[LoadedWagon]:
    """Import each instance's task, validate its config, book its histograms, wire its view."""
    loaded: list[LoadedWagon] = []
    for inst in instances:
        wagon_file = f"{catalog_dir.name}/analyses/{inst.analysis}/wagons/{inst.wagon}.yaml"
        code = Path(inst.code_dir) if inst.code_dir else catalog_dir
        cls = import_task(code / "analyses" / inst.analysis, inst.task)
        if inst.variant is not None and cls.produces:
            raise TaskError(
                f"{wagon_file}: variants.{inst.variant}: a service wagon (it produces "
                f"{', '.join(cls.produces)}) cannot have variants: the wagons depending on it "
                "could not tell whose columns they read; make the variant a wagon of its own "
                "with its own 'produces' names"
            )
        try:
            config = cls.Config.model_validate(inst.config)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            variant = f" (variant '{inst.variant}')" if inst.variant else ""
            raise TaskError(f"{wagon_file}: config.{where}: {first['msg']}{variant}") from exc
        task = cls(config)
        booked = _book(task, inst.directory, wagon_file)
        loaded.append(LoadedWagon(inst, task, config.model_dump(mode="json"), booked))
    _wire(loaded)
    return loaded


def _book(task: Task, directory: str, wagon_file: str) -> dict[str, Hist]:
    try:
        booked = task.book()
    except Exception as exc:
        raise TaskError(
            f"wagon {directory} ({wagon_file}) failed to book its outputs: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(booked, dict):
        raise TaskError(
            f"wagon {directory} ({wagon_file}): book() returned {type(booked).__name__}, "
            "not a dict of histograms by name"
        )
    wrong = {k: type(v).__name__ for k, v in booked.items() if not isinstance(v, hist.Hist)}
    if wrong or not all(isinstance(k, str) for k in booked):
        what = ", ".join(f"'{k}' is a {t}" for k, t in wrong.items()) or "a name is not a string"
        raise TaskError(
            f"wagon {directory} ({wagon_file}): book() must return hist.Hist objects by name: "
            f"{what}"
        )
    return booked


def _wire(wagons: list[LoadedWagon]) -> None:
    """Decide each wagon's columns: from a (transitive) dependency's products, else the file."""
    producers = {w.instance.ref: w for w in wagons if w.instance.variant is None and w.produces}
    deps = {w.instance.ref: w.instance.depends_on for w in wagons if w.instance.variant is None}
    for w in wagons:
        closure: list[str] = []
        todo = list(w.instance.depends_on)
        while todo:
            ref = todo.pop()
            if ref not in closure:
                closure.append(ref)
                todo.extend(deps.get(ref, ()))
        offered: dict[str, str] = {}
        for ref in sorted(closure):
            for column in producers[ref].produces if ref in producers else ():
                if column in offered:
                    raise TaskError(
                        f"wagon {w.directory} depends on two wagons producing '{column}': "
                        f"{offered[column]} and {ref}; rename one of the columns"
                    )
                offered[column] = ref
        columns = tuple(type(w.task).columns)
        w.from_products = {c: offered[c] for c in columns if c in offered}
        w.from_file = tuple(c for c in columns if c not in offered)


def columns_to_read(wagons: list[LoadedWagon]) -> list[str]:
    """The union of the columns the wagons read from the file (not from a dependency)."""
    return sorted({c for w in wagons for c in w.from_file})


def missing_columns(wagons: list[LoadedWagon]) -> Callable[[str, list[str]], WagonyardError]:
    """The error for branches a file lacks, naming the wagons that read them.

    A column that another wagon of the train produces, read by a wagon that does not depend on
    that producer, is the reader's fault (a ``TaskError``); any other missing branch the file's.
    """
    producers = {
        c: w.instance.ref for w in wagons if w.instance.variant is None for c in w.produces
    }

    def error(where: str, names: list[str]) -> WagonyardError:
        parts, hidden = [], False
        for name in names:
            readers = sorted({w.instance.ref for w in wagons if name in w.from_file})
            part = f"'{name}' (read by {', '.join(readers)}"
            if name in producers:
                hidden = True
                part += (
                    f"; wagon {producers[name]} produces it: add '{producers[name]}' to the "
                    f"depends_on of {', '.join(readers)}"
                )
            parts.append(part + ")")
        message = f"{where} has no branch {', '.join(parts)}"
        return TaskError(message) if hidden else DataError(message)

    return error


def run_chunks(
    wagons: list[LoadedWagon],
    chunks: Iterable[Chunk],
    on_chunk: Callable[[Chunk], None] | None = None,
    on_wagon: Callable[[int, Chunk], None] | None = None,
) -> int:
    """Hand every chunk to every wagon in order; return the number of events processed.

    ``on_wagon(index, chunk)`` is told which wagon is about to run (so that a job ended from
    inside a wagon can still be blamed on it). A wagon's CPU is its own thread's time in its
    ``process``: threads it starts are the job's other-thread CPU.
    """
    events_total = 0
    for chunk in chunks:
        columns = Columns.of(chunk.events)
        products: dict[str, dict[str, ak.contents.Content]] = {}
        for index, w in enumerate(wagons):
            if on_wagon is not None:
                on_wagon(index, chunk)
            t0 = time.thread_time()
            mine = {c: products[ref][c] for c, ref in w.from_products.items()}
            events = view(columns, w.from_file, mine)
            try:
                derived = w.task.process(events, w.hists)
            except BaseException as exc:  # analysts' code: sys.exit and the like are theirs too
                raise TaskError(blame(w.directory, chunk, exc)) from exc
            if w.hists.keys() != w.booked:
                raise TaskError(_vanished(w, chunk))
            if w.produces:
                products[w.instance.ref] = _products(w, chunk, derived)
            elif derived:
                _products(w, chunk, derived)  # raises: it returned columns it does not declare
            w.cpu_s += time.thread_time() - t0
            w.events += len(chunk)
        events_total += len(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return events_total


def _vanished(w: LoadedWagon, chunk: Chunk) -> str:
    gone = sorted(w.booked - w.hists.keys())
    new = sorted(str(k) for k in w.hists.keys() - w.booked)
    what = f"its booked histogram(s) {', '.join(gone)} vanished" if gone else ""
    if new:
        what += ("; " if what else "") + f"it added {', '.join(new)}, which it did not book"
    return (
        f"wagon {w.directory}: {what} {where(chunk)}; process() fills the histograms book() "
        "returned, in place"
    )


def _products(w: LoadedWagon, chunk: Chunk, derived: object) -> dict[str, ak.contents.Content]:
    """A service wagon's returned columns, checked against its ``produces``."""
    declared = w.produces
    if not isinstance(derived, Mapping):
        if derived is None and not declared:
            return {}
        raise TaskError(
            f"wagon {w.directory}: process() returned {type(derived).__name__}, not a mapping "
            f"of its declared columns ({', '.join(declared) or 'it declares none'}) "
            f"{where(chunk)}"
        )
    undeclared = sorted(str(k) for k in derived if k not in declared)
    if undeclared:
        raise TaskError(
            f"wagon {w.directory}: process() returned columns it does not declare in "
            f"'produces': {', '.join(undeclared)} {where(chunk)}; declare them "
            "(produces = (...)) or stop returning them"
        )
    missing = [c for c in declared if c not in derived]
    if missing:
        raise TaskError(
            f"wagon {w.directory}: process() did not return its declared column(s) "
            f"{', '.join(missing)} {where(chunk)}"
        )
    out: dict[str, ak.contents.Content] = {}
    for name in declared:
        column = as_column(derived[name], len(chunk))
        if isinstance(column, str):
            raise TaskError(f"wagon {w.directory}: its column '{name}' {column} {where(chunk)}")
        out[name] = column
    return out


def histograms_of(wagons: list[LoadedWagon]) -> Histograms:
    """The filled histograms by wagon directory (wagons that book nothing have none)."""
    for w in wagons:
        wrong = {k: type(v).__name__ for k, v in w.hists.items() if not isinstance(v, hist.Hist)}
        if wrong:
            what = ", ".join(f"'{k}' is now a {t}" for k, t in sorted(wrong.items()))
            raise TaskError(
                f"wagon {w.directory}: its outputs are not histograms any more ({what}); "
                "process() fills the histograms book() returned, in place"
            )
    return {w.directory: w.hists for w in wagons if w.hists}
