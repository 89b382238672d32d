"""Resolve a dataset's file specification into the input files of a train.

``testdata:<name>`` is a file bundled with scikit-hep-testdata; relative paths and patterns are
under the data directory; ``{run}`` expands over the run list's usable runs, then a glob.
URLs pass through untouched. Files on a storage element of wagonyard.yaml (``storage``) are
read under its URL, with their replicas on other storage elements. Adapter: it looks at the file
system.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from controller.catalog.catalog import Catalog
from controller.catalog.models import (
    Dataset,
    DatasetType,
    FileList,
    FilePattern,
    Quality,
    RunList,
)
from controller.config import Storage, join_url
from controller.engine.split import InputFile
from controller.errors import DataError
from controller.records import ExcludedEvents, Replica, RunFilter

TESTDATA = "testdata:"


def data_dir(explicit: Path | None = None) -> Path:
    """The directory relative dataset paths live under: --data-dir, WAGONYARD_DATA, ./data."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get("WAGONYARD_DATA", "data"))


def _is_url(path: str) -> bool:
    return "://" in path


def resolve_path(path: str, root: Path | str) -> str:
    """A dataset's path as a job opens it: testdata files found, ``file://`` and ``~`` expanded,
    relative paths under ``root`` (the data directory, or a storage element's directory or
    URL); other URLs untouched."""
    if path.startswith(TESTDATA):
        import skhep_testdata

        name = path[len(TESTDATA) :]
        try:
            return str(skhep_testdata.data_path(name))
        except Exception as exc:
            raise DataError(
                f"'{path}': scikit-hep-testdata has no file '{name}' ({exc}); "
                "install scikit-hep-testdata==0.3.12"
            ) from exc
    if path.startswith("file://"):
        path = unquote(urlsplit(path).path)
    if _is_url(path):
        return path
    expanded = os.path.expanduser(path)
    if os.path.isabs(expanded):
        return expanded
    return join_url(root, expanded) if isinstance(root, str) else str(root / expanded)


def run_filter(catalog: Catalog, dataset: Dataset) -> RunFilter | None:
    """The per-event run cut of a 'data' dataset with a ``run_branch``, else None."""
    if dataset.type is not DatasetType.DATA or dataset.run_branch is None:
        return None
    entry = catalog.runlists.get(dataset.runlist or "")
    if entry is None:
        return None
    runs = entry.model
    bad = [r.run for r in runs.runs if r.quality == Quality.BAD]
    return RunFilter(branch=dataset.run_branch, usable=runs.usable_runs(), bad=bad)


@dataclass
class _Found:
    files: list[InputFile] = field(default_factory=list)
    excluded: dict[tuple[int, str], list[str]] = field(default_factory=dict)


def dataset_files(
    catalog: Catalog, dataset: Dataset, root: Path, storage: Storage | None = None
) -> list[InputFile]:
    """Every file of the dataset (entries not counted), in a stable order."""
    return _find(catalog, dataset, root, storage or Storage()).files


def excluded_files(
    catalog: Catalog, dataset: Dataset, root: Path, storage: Storage | None = None
) -> list[ExcludedEvents]:
    """The files a ``{run}`` pattern finds for runs that are bad or not in the run list."""
    out = []
    found = _find(catalog, dataset, root, storage or Storage())
    for (run, reason), paths in sorted(found.excluded.items()):
        from controller.engine.source import count_entries  # uproot: only to read

        events = sum(count_entries(p, dataset.tree) for p in paths)
        out.append(ExcludedEvents(run=run, reason=reason, events=events, files=len(paths)))
    return out


def _find(catalog: Catalog, dataset: Dataset, root: Path, storage: Storage) -> _Found:
    runlist = (
        catalog.runlists[dataset.runlist].model if dataset.runlist in catalog.runlists else None
    )
    found = _Found()
    for index, spec in enumerate(dataset.files):
        se = spec.storage_element
        base = _element_root(se, storage, root)
        site = storage.site_of(se) if se in storage.elements else None
        if isinstance(spec, FileList):
            for path in spec.paths:
                resolved = resolve_path(path, base)
                replicas = _replicas(dataset, index, spec, path, storage)
                if not (_is_url(resolved) or dataset.splitting.skip_bad_files or replicas):
                    _must_exist(dataset, index, path, resolved, base, base is not root)
                found.files.append(InputFile(resolved, None, se, site, replicas))
        elif isinstance(spec, FilePattern):
            for path, run in _expand(spec.pattern, runlist, base):
                reason = _unusable(run, runlist)
                if reason:
                    found.excluded.setdefault((run or 0, reason), []).append(path)
                else:
                    found.files.append(InputFile(path, None, se, site))
    if not found.files:
        raise DataError(
            f"dataset '{dataset.name}' has no files: its patterns match nothing under {root} "
            "(for the demo datasets run 'wagonyard demo-data' first)"
        )
    return found


def _element_root(se: str | None, storage: Storage, root: Path) -> Path | str:
    """Where relative paths of ``files[index]`` are read: its storage element, or ``root``."""
    if se is None or se not in storage.elements:
        return root
    url = storage.elements[se].url
    return url if _is_url(url) else Path(url)


def _replicas(
    dataset: Dataset, index: int, spec: FileList, path: str, storage: Storage
) -> tuple[Replica, ...]:
    """The copies of ``path`` on ``spec.replicas``: the same relative path on each."""
    if not spec.replicas:
        return ()
    where = f"dataset '{dataset.name}': files[{index}]"
    unknown = [n for n in [spec.storage_element or "", *spec.replicas] if n not in storage.elements]
    if unknown:
        known = ", ".join(sorted(storage.elements)) or "none is configured"
        raise DataError(
            f"{where}: storage element {', '.join(repr(n) for n in unknown)} is not in "
            f"wagonyard.yaml's storage.elements ({known}); add it there or remove the replica"
        )
    if _is_url(path) or os.path.isabs(os.path.expanduser(path)) or path.startswith(TESTDATA):
        raise DataError(
            f"{where}: '{path}' has replicas, so it must be a path relative to the storage "
            "elements (the same on each), not an absolute path or URL"
        )
    return tuple(
        Replica(
            storage_element=n, site=storage.site_of(n), url=join_url(storage.elements[n].url, path)
        )
        for n in spec.replicas
    )


def _must_exist(
    dataset: Dataset, index: int, path: str, resolved: str, root: Path | str, on_element: bool
) -> None:
    if os.path.exists(resolved):
        return
    where = f"dataset '{dataset.name}': files[{index}].paths: '{path}'"
    if os.path.isabs(os.path.expanduser(path)) or path.startswith("file://"):
        raise DataError(f"{where}: no such file {resolved}")
    if on_element:
        raise DataError(
            f"{where}: no such file on storage element '{dataset.files[index].storage_element}' "
            f"(directory {root}, from wagonyard.yaml's storage.elements)"
        )
    raise DataError(
        f"{where}: no such file under the data directory {Path(root).resolve()} (relative paths "
        "are read there: choose it with --data-dir or the environment variable WAGONYARD_DATA)"
    )


def _unusable(run: int | None, runlist: RunList | None) -> str:
    if run is None or runlist is None:
        return ""
    quality = {r.run: r.quality for r in runlist.runs}.get(run)
    if quality is None:
        return "run not in the run list"
    return "bad run" if quality == Quality.BAD else ""


def _expand(
    pattern: str, runlist: RunList | None, root: Path | str
) -> list[tuple[str, int | None]]:
    """The files a pattern finds, each with its run where the pattern has '{run}'.

    A local pattern is globbed once for every run (``{run}`` as digits), so files of runs that
    are bad or missing from the run list are found too, and reported as left out; a URL can
    only be expanded over the run list's usable runs.
    """
    if "{run}" not in pattern:
        full = resolve_path(pattern, root)
        return [(full, None)] if _is_url(full) else [(p, None) for p in sorted(glob.glob(full))]
    mark = "\0"  # stands for {run}: no path holds a NUL byte
    full = resolve_path(pattern.replace("{run}", mark), root)
    if _is_url(full):
        runs = runlist.usable_runs() if runlist else []
        return [(resolve_path(pattern.format(run=r), root), r) for r in runs]
    first, *rest = fnmatch.translate(full).split(re.escape(mark))
    regex = re.compile(first + r"(?P<run>\d+)" + "(?P=run)".join(rest))
    out: list[tuple[str, int | None]] = []
    for path in sorted(glob.glob(full.replace(mark, "[0-9]*"))):
        match = regex.fullmatch(path)
        if match:
            out.append((path, int(match["run"])))
    return out


def input_files(
    catalog: Catalog, dataset: Dataset, root: Path, count: bool, storage: Storage | None = None
) -> list[InputFile]:
    """The dataset's files, with their entry counts where ``count`` (needed to split by events)."""
    files = dataset_files(catalog, dataset, root, storage)
    if not count:
        return files
    from controller.engine.source import count_entries_any  # uproot: only to read

    return [replace(f, entries=count_entries_any(f.urls(), dataset.tree)) for f in files]
