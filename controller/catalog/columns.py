"""Check, without data, that the wagons of every train read what their train can give them.

A wagon reads each of its columns from the file, or from a wagon it depends on that declares
the column in ``produces``. So: a wagon reading a column that a wagon of one of its trains
produces must depend on that producer; a product may not shadow a branch another wagon of the
train reads, nor a column another service wagon produces where one wagon depends on both; a service wagon has no
variants (the wagons depending on it could not tell whose columns they read); and where a
dataset's branches are known, every column read from the file must be one of them. Pure: the
tasks' declarations and the branches are given; nothing is imported or read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from controller.catalog.catalog import Catalog, Entry
from controller.catalog.checks import did_you_mean
from controller.catalog.models import Wagon
from controller.catalog.problems import Problem
from controller.catalog.yamlsource import json_path


@dataclass(frozen=True)
class Declared:
    """What a wagon's task declares: the columns it reads and those it produces."""

    columns: tuple[str, ...]
    produces: tuple[str, ...]


def check_columns(
    catalog: Catalog,
    declared: Mapping[str, Declared],
    branches: Mapping[str, frozenset[str]],
) -> list[Problem]:
    """Problems of the wagons in ``declared`` (by 'analysis/wagon'); ``branches`` by dataset."""
    trains = _Trains(catalog, declared)
    problems: list[Problem] = []
    for ref in sorted(declared):
        entry, task = catalog.wagons[ref], declared[ref]
        if task.produces and entry.model.variants:
            variant = sorted(entry.model.variants)[0]
            problems.append(
                _at(
                    entry,
                    ("variants", variant),
                    f"a service wagon (it produces {', '.join(task.produces)}) cannot have "
                    "variants: the wagons depending on it could not tell whose columns they read",
                    "make each variant a wagon of its own with its own 'produces' names",
                )
            )
        problems.extend(_reads(trains, ref, entry, task, branches))
        problems.extend(_products(trains, ref, entry, task, branches))
    return problems


class _Trains:
    """Which wagons run together: each dataset's enabled wagons and their dependencies.

    Indexed once (closures, dependents, producers and readers by dataset and column), so that
    the checks stay linear in the number of wagons: catalogs hold tens of thousands.
    """

    def __init__(self, catalog: Catalog, declared: Mapping[str, Declared]) -> None:
        self.catalog, self.declared = catalog, declared
        self.deps: dict[str, list[str]] = {}
        for ref, entry in catalog.wagons.items():
            analysis = ref.split("/", 1)[0]
            self.deps[ref] = [catalog.resolve_ref(analysis, d) for d in entry.model.depends_on]
        self._closures: dict[str, list[str]] = {}
        self.dependents: dict[str, set[str]] = {}  # ref -> the wagons depending on it, at all
        for ref in catalog.wagons:
            for dep in self.closure(ref):
                self.dependents.setdefault(dep, set()).add(ref)
        self.members: dict[str, set[str]] = {}
        self._datasets: dict[str, list[str]] = {}
        self._producers: dict[tuple[str, str], list[str]] = {}
        self._readers: dict[tuple[str, str], list[str]] = {}
        for dataset in sorted(catalog.datasets):
            members: set[str] = set()
            for ref in catalog.enabled_on(dataset):
                members |= {ref, *self.closure(ref)}
            self.members[dataset] = members
            for ref in sorted(members):
                self._datasets.setdefault(ref, []).append(dataset)
                for column in self._produces(ref):
                    self._producers.setdefault((dataset, column), []).append(ref)
                task = declared.get(ref)
                for column in task.columns if task is not None else ():
                    self._readers.setdefault((dataset, column), []).append(ref)

    def closure(self, ref: str) -> list[str]:
        """Every wagon ``ref`` depends on, directly or not."""
        if ref not in self._closures:
            seen: list[str] = []
            todo = list(self.deps.get(ref, []))
            while todo:
                dep = todo.pop()
                if dep not in seen and dep != ref:
                    seen.append(dep)
                    todo.extend(self.deps.get(dep, []))
            self._closures[ref] = seen
        return self._closures[ref]

    def all_known(self, refs: Iterable[str]) -> bool:
        """Whether every one of ``refs`` is a wagon whose task imported (so its products are
        known); a broken one is reported in its own file, not again in its dependents'."""
        return all(r in self.declared for r in refs)

    def datasets_of(self, ref: str) -> list[str]:
        return self._datasets.get(ref, [])

    def offered(self, ref: str) -> dict[str, str]:
        """The columns ``ref`` gets from its dependencies, by producer."""
        return {column: dep for dep in sorted(self.closure(ref)) for column in self._produces(dep)}

    def producers(self, column: str, dataset: str) -> list[str]:
        return self._producers.get((dataset, column), [])

    def readers(self, column: str, dataset: str) -> list[str]:
        return self._readers.get((dataset, column), [])

    def _produces(self, ref: str) -> tuple[str, ...]:
        task = self.declared.get(ref)
        return task.produces if task is not None else ()


def _reads(
    trains: _Trains,
    ref: str,
    entry: Entry[Wagon],
    task: Declared,
    branches: Mapping[str, frozenset[str]],
) -> Iterable[Problem]:
    offered = trains.offered(ref)
    analysis = ref.split("/", 1)[0]
    datasets = trains.datasets_of(ref)
    for column in task.columns:
        if column in offered:
            continue
        producers = sorted({p for d in datasets for p in trains.producers(column, d)} - {ref})
        if producers and any(column in branches.get(d, ()) for d in datasets):
            continue  # a branch of that name: the producer is told it shadows the branch
        if producers:
            names = [p.split("/", 1)[1] if p.startswith(analysis + "/") else p for p in producers]
            yield _at(
                entry,
                ("depends_on",) if entry.model.depends_on else ("task",),
                f"task {entry.model.task} reads '{column}', which wagon {' and '.join(producers)} "
                "produces in its train, but the wagon does not depend on it",
                f"add '{names[0]}' to depends_on",
            )
            continue
        if not trains.all_known(trains.closure(ref)):
            continue
        for dataset in datasets:
            known = branches.get(dataset)
            if known is None or column in known:
                continue
            tree = trains.catalog.datasets[dataset].model.tree
            hint = did_you_mean(column, [*known, *offered]) or "check the column's name"
            yield _at(
                entry,
                ("task",),
                f"task {entry.model.task} reads '{column}', which is neither a branch of dataset "
                f"'{dataset}' (tree '{tree}') nor produced by a wagon it depends on",
                hint,
            )
            break


def _products(
    trains: _Trains,
    ref: str,
    entry: Entry[Wagon],
    task: Declared,
    branches: Mapping[str, frozenset[str]],
) -> Iterable[Problem]:
    for column in task.produces:
        for dataset in trains.datasets_of(ref):
            # two producers of one name are ambiguous only for a wagon depending on both;
            # independent analyses may name their products alike (each sees its own)
            mine = trains.dependents.get(ref, set()) & trains.members[dataset]
            both = [
                (min(common), p)
                for p in trains.producers(column, dataset)
                if p != ref and (common := mine & trains.dependents.get(p, set()))
            ]
            if both:
                reader, other = both[0]
                yield _at(
                    entry,
                    ("task",),
                    f"task {entry.model.task} produces '{column}', which wagon {other} also "
                    f"produces, and wagon {reader} depends on both in the train of dataset "
                    f"'{dataset}'",
                    "rename one of the two columns",
                )
                break
            if column not in branches.get(dataset, frozenset()):
                continue
            shadowed = [
                r
                for r in trains.readers(column, dataset)
                if r != ref and r not in trains.dependents.get(ref, set())
            ]
            if shadowed:
                yield _at(
                    entry,
                    ("task",),
                    f"task {entry.model.task} produces '{column}', the name of a branch of "
                    f"dataset '{dataset}' that wagon {shadowed[0]} reads: the product would "
                    "shadow the branch",
                    "give the product a name of its own",
                )
                break


def _at(entry: Entry[Wagon], path: tuple[str | int, ...], message: str, hint: str) -> Problem:
    line, column = entry.where(*path)
    return Problem(entry.path, line, column, message, json_path(path), hint)
