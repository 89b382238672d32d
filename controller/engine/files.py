"""Resolve a dataset's file specification into the input files of a train.

``testdata:<name>`` is a file bundled with scikit-hep-testdata; relative paths and patterns are
under the data directory; ``{run}`` expands over the run list's usable runs, then a glob.
URLs pass through untouched. Adapter: it looks at the file system.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.catalog.models import Dataset, FileList, FilePattern
from controller.engine.source import count_entries
from controller.engine.split import InputFile
from controller.errors import DataError

TESTDATA = "testdata:"


def data_dir(explicit: Path | None = None) -> Path:
    """The directory relative dataset paths live under: --data-dir, WAGONYARD_DATA, ./data."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get("WAGONYARD_DATA", "data"))


def _is_url(path: str) -> bool:
    return "://" in path


def resolve_path(path: str, root: Path) -> str:
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
    if _is_url(path) or os.path.isabs(path):
        return path
    return str(root / path)


def dataset_files(catalog: Catalog, dataset: Dataset, root: Path) -> list[tuple[str, str | None]]:
    """Every file of the dataset as (path, storage element), in a stable order."""
    runs: list[int] = []
    if dataset.runlist and dataset.runlist in catalog.runlists:
        runs = catalog.runlists[dataset.runlist].model.usable_runs()
    out: list[tuple[str, str | None]] = []
    for spec in dataset.files:
        if isinstance(spec, FileList):
            out.extend((resolve_path(p, root), spec.storage_element) for p in spec.paths)
        elif isinstance(spec, FilePattern):
            out.extend((p, spec.storage_element) for p in _expand(spec.pattern, runs, root))
    if not out:
        raise DataError(
            f"dataset '{dataset.name}' has no files: its patterns match nothing under {root} "
            "(for the demo datasets run 'wagonyard demo-data' first)"
        )
    return out


def _expand(pattern: str, runs: list[int], root: Path) -> list[str]:
    patterns = [pattern.format(run=r) for r in runs] if "{run}" in pattern else [pattern]
    found: list[str] = []
    for p in patterns:
        full = resolve_path(p, root)
        if _is_url(full):
            found.append(full)
        else:
            found.extend(sorted(glob.glob(full)))
    return found


def input_files(catalog: Catalog, dataset: Dataset, root: Path, count: bool) -> list[InputFile]:
    """The dataset's files, with their entry counts where ``count`` (needed to split by events)."""
    files = []
    for path, se in dataset_files(catalog, dataset, root):
        entries = count_entries(path, dataset.tree) if count else None
        files.append(InputFile(path=path, entries=entries, storage_element=se))
    return files
