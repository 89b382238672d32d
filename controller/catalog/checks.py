"""Checks across catalog files: names that must exist, be unique, and not depend in a circle.

Each check turns a ``Catalog`` of valid entries into problems at the line of the offending
value, with a did-you-mean hint where a name is unknown. Pure: no I/O, no imports of
analysts' code (``taskcheck`` does that).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from controller.catalog.catalog import Catalog, Entry
from controller.catalog.models import FileList
from controller.catalog.problems import Problem
from controller.catalog.yamlsource import json_path

_LABEL = {
    "analysis": "analysis",
    "wagon": "wagon",
    "dataset": "dataset",
    "runlist": "run list",
    "train-request": "train request",
}


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """ "did you mean 'x'?" for the closest candidate, or ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def check_catalog(
    catalog: Catalog, broken: Mapping[str, Collection[str]] | None = None
) -> list[Problem]:
    """Every cross-file problem of the catalog (duplicates are found while filling it).

    ``broken`` names, by kind, the objects whose files exist but are invalid (their own
    problems are reported): references to them are not reported as unknown as well.
    """
    broken = broken or {}
    present = _Present(catalog, {kind: set(names) for kind, names in broken.items()})
    return [
        *_wagon_references(catalog, present),
        *_variants(catalog),
        *dependency_cycles(catalog),
        *_dataset_runlists(catalog, present),
        *_duplicate_runs(catalog),
        *_empty_analyses(catalog, present),
        *_train_requests(catalog, present),
    ]


class _Present:
    """Whether an object exists as a file, valid or not."""

    def __init__(self, catalog: Catalog, broken: dict[str, set[str]]) -> None:
        self.catalog = catalog
        self.broken = broken

    def dataset(self, name: str) -> bool:
        return name in self.catalog.datasets or name in self.broken.get("dataset", ())

    def runlist(self, name: str) -> bool:
        return name in self.catalog.runlists or name in self.broken.get("runlist", ())

    def wagon(self, ref: str) -> bool:
        return ref in self.catalog.wagons or ref in self.broken.get("wagon", ())


def duplicate_names(kind: str, entries: Sequence[Entry[Any]]) -> list[Problem]:
    """Entries of one kind declaring a name an earlier one (by path) has already declared."""
    first: dict[str, Entry[Any]] = {}
    problems = []
    for entry in sorted(entries, key=lambda e: e.path):
        name = entry.model.name
        if name not in first:
            first[name] = entry
            continue
        line, column = entry.where("name")
        other = first[name]
        problems.append(
            Problem(
                entry.path,
                line,
                column,
                f"{_LABEL[kind]} '{name}' is also defined in {other.path}:{other.where('name')[0]}",
                "name",
                "names are unique across subfolders; rename or delete one of them",
            )
        )
    return problems


def _problem(
    entry: Entry[Any], path: tuple[str | int, ...], message: str, hint: str = ""
) -> Problem:
    line, column = entry.where(*path)
    return Problem(entry.path, line, column, message, json_path(path), hint)


# --------------------------------------------------------------------------- wagons


def _wagon_references(catalog: Catalog, present: _Present) -> list[Problem]:
    """Datasets a wagon is enabled on, and wagons it depends on, must exist, once each."""
    problems = []
    for ref, entry in catalog.wagons.items():
        analysis = ref.split("/", 1)[0]
        seen: dict[str, int] = {}
        for i, enabled in enumerate(entry.model.enabled):
            name = enabled.dataset
            at = ("enabled", i, "dataset")
            if name in seen:
                problems.append(
                    _problem(
                        entry,
                        at,
                        f"dataset '{name}' is enabled twice (first at line {seen[name]})",
                        "remove one of them; a wagon runs once on each dataset",
                    )
                )
                continue
            seen[name] = entry.where(*at)[0]
            if not present.dataset(name):
                hint = did_you_mean(name, catalog.datasets) or "no dataset file has this name"
                problems.append(_problem(entry, at, f"unknown dataset '{name}'", hint))
        for i, dep in enumerate(entry.model.depends_on):
            if present.wagon(catalog.resolve_ref(analysis, dep)):
                continue
            local = [k.split("/", 1)[1] for k in catalog.wagons_of(analysis)]
            hint = did_you_mean(dep, [*local, *catalog.wagons]) or (
                "name a wagon of the same analysis, or another's as 'analysis/wagon'"
            )
            problems.append(_problem(entry, ("depends_on", i), f"unknown wagon '{dep}'", hint))
    return problems


def _variants(catalog: Catalog) -> list[Problem]:
    """A variant may only override keys that ``config`` sets."""
    problems = []
    for entry in catalog.wagons.values():
        config = entry.model.config
        for variant, overrides in entry.model.variants.items():
            for key in overrides:
                if key in config:
                    continue
                hint = did_you_mean(key, config) or f"add '{key}' to config first"
                problems.append(
                    _problem(
                        entry,
                        ("variants", variant, key),
                        f"variant '{variant}' overrides '{key}', which is not in config",
                        hint,
                    )
                )
    return problems


def dependency_cycles(catalog: Catalog) -> list[Problem]:
    """Each circle of ``depends_on`` once, as 'a -> b -> a', at the first wagon's entry."""
    edges: dict[str, list[str]] = {}
    for ref, entry in catalog.wagons.items():
        analysis = ref.split("/", 1)[0]
        deps = (catalog.resolve_ref(analysis, d) for d in entry.model.depends_on)
        edges[ref] = [d for d in deps if d in catalog.wagons]
    problems = []
    for component in _strongly_connected(edges):
        start = min(component)
        if len(component) == 1 and start not in edges[start]:
            continue
        cycle = _cycle_through(start, edges, component)
        entry = catalog.wagons[start]
        analysis = start.split("/", 1)[0]
        index = next(
            i
            for i, d in enumerate(entry.model.depends_on)
            if catalog.resolve_ref(analysis, d) == cycle[1]
        )
        problems.append(
            _problem(
                entry,
                ("depends_on", index),
                f"dependency cycle: {' -> '.join(cycle)}",
                "wagons of a cycle can never run; remove one of these depends_on entries",
            )
        )
    return problems


def _strongly_connected(edges: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (catalogs may hold long chains of dependencies)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _cycle_through(start: str, edges: dict[str, list[str]], within: set[str]) -> list[str]:
    """The shortest cycle from ``start`` back to it, inside one strongly connected set."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(edges[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start] * 2
                if child in within and child not in parent:
                    parent[child] = node
                    following.append(child)
        frontier = following
    return [start, start]  # pragma: no cover - a strongly connected set always has a cycle


# --------------------------------------------------------------------------- datasets


def storage_elements(catalog: Catalog, known: Collection[str]) -> list[Problem]:
    """Files with replicas name storage elements; each must be one of wagonyard.yaml's."""
    problems = []
    for entry in catalog.datasets.values():
        for index, spec in enumerate(entry.model.files):
            if not isinstance(spec, FileList) or not spec.replicas:
                continue
            named = [
                ("storage_element", spec.storage_element or ""),
                *((("replicas", i), n) for i, n in enumerate(spec.replicas)),
            ]
            for where, name in named:
                if name in known:
                    continue
                path = ("files", index, *((where,) if isinstance(where, str) else where))
                hint = did_you_mean(name, known) or (
                    "add it to storage.elements in wagonyard.yaml"
                    if known
                    else "wagonyard.yaml configures no storage.elements"
                )
                problems.append(_problem(entry, path, f"unknown storage element '{name}'", hint))
    return problems


def _dataset_runlists(catalog: Catalog, present: _Present) -> list[Problem]:
    problems = []
    for entry in catalog.datasets.values():
        name = entry.model.runlist
        if name is None:
            continue
        runlist = catalog.runlists.get(name)
        if runlist is None and not present.runlist(name):
            hint = did_you_mean(name, catalog.runlists) or "no run list file has this name"
            problems.append(_problem(entry, ("runlist",), f"unknown run list '{name}'", hint))
        elif runlist is not None and runlist.model.period != entry.model.period:
            line, column = entry.where("period")
            problems.append(
                Problem(
                    entry.path,
                    line,
                    column,
                    f"period '{entry.model.period}' differs from the period "
                    f"'{runlist.model.period}' of its run list '{name}' ({runlist.path})",
                    "period",
                    "is it the right run list?",
                    severity="warning",
                )
            )
    return problems


def _duplicate_runs(catalog: Catalog) -> list[Problem]:
    problems = []
    for entry in catalog.runlists.values():
        seen: dict[int, int] = {}
        for i, run in enumerate(entry.model.runs):
            at = ("runs", i, "run")
            if run.run in seen:
                problems.append(
                    _problem(
                        entry,
                        at,
                        f"run {run.run} is listed twice (first at line {seen[run.run]})",
                        "remove one of them",
                    )
                )
            else:
                seen[run.run] = entry.where(*at)[0]
    return problems


def _empty_analyses(catalog: Catalog, present: _Present) -> list[Problem]:
    refs = [*catalog.wagons, *present.broken.get("wagon", ())]
    with_wagons = {ref.split("/", 1)[0] for ref in refs}
    problems = []
    for name, entry in catalog.analyses.items():
        if name in with_wagons:
            continue
        line, column = entry.where("name")
        folder = entry.path.rsplit("/", 1)[0]
        problems.append(
            Problem(
                entry.path,
                line,
                column,
                f"analysis '{name}' has no wagons",
                hint=f"add one as {folder}/wagons/<wagon>.yaml",
                severity="warning",
            )
        )
    return problems


# --------------------------------------------------------------------------- train requests


def _train_requests(catalog: Catalog, present: _Present) -> list[Problem]:
    """A 'run' request's dataset must exist, and its wagons exist and be enabled on it, once."""
    problems = []
    for entry in catalog.trains.values():
        dataset = entry.model.dataset
        if dataset is None:
            continue
        if not present.dataset(dataset):
            hint = did_you_mean(dataset, catalog.datasets) or "no dataset file has this name"
            problems.append(_problem(entry, ("dataset",), f"unknown dataset '{dataset}'", hint))
        enabled = catalog.enabled_on(dataset) if dataset in catalog.datasets else None
        seen: dict[str, int] = {}
        for i, ref in enumerate(entry.model.wagons):
            at = ("wagons", i)
            key, problem = _requested_wagon(catalog, present, ref, dataset, enabled)
            if problem is not None:
                problems.append(_problem(entry, at, *problem))
            elif key in seen:
                message = f"wagon '{key}' is named twice (first at line {seen[key]})"
                problems.append(_problem(entry, at, message, "remove one of them"))
            else:
                seen[key] = entry.where(*at)[0]
    return problems


def _requested_wagon(
    catalog: Catalog, present: _Present, ref: str, dataset: str, enabled: list[str] | None
) -> tuple[str, tuple[str, str] | None]:
    """The wagon ``ref`` of a request to run a train on ``dataset`` means, and what is wrong
    with it (a message and a hint), if anything. ``enabled``: the wagons enabled on the
    dataset, None if the dataset is not valid."""
    found = catalog.wagons_named(ref)
    if len(found) > 1:
        return ref, (
            f"wagon '{ref}' is ambiguous: {', '.join(found)} have this name",
            f"write {' or '.join(repr(k) for k in found)}",
        )
    if not found:
        if any(k == ref or k.endswith("/" + ref) for k in present.broken.get("wagon", ())):
            return ref, None  # its file is invalid: reported there
        hint = did_you_mean(ref, _both_forms(enabled or [])) or did_you_mean(
            ref, _both_forms(catalog.wagons)
        )
        return ref, (f"unknown wagon '{ref}'", hint or "name a wagon as 'analysis/wagon'")
    key = found[0]
    if enabled is None or key in enabled:
        return key, None
    hint = did_you_mean(ref, _both_forms(enabled)) or (
        f"enable it in {catalog.wagons[key].path}, or leave it out of the request"
    )
    return key, (f"wagon '{key}' is not enabled on dataset '{dataset}'", hint)


def _both_forms(refs: Iterable[str]) -> list[str]:
    """Wagons as 'analysis/wagon' and as 'wagon', for did-you-mean hints."""
    full = list(refs)
    return [*full, *(ref.split("/", 1)[1] for ref in full)]
