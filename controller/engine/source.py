"""Read the events of a job's file slices with uproot: each file opened once, chunked.

Only the requested columns are read, in chunks of at most ``step`` entries, so memory stays
bounded whatever the dataset size. Local paths and URLs (root://, https://) both work. A file
with replicas is read from the copy at the job's own site first; when a copy cannot be opened
or is corrupt, the next one is read from the entry where the last one failed, so nothing is
counted twice. A file that cannot be read from any copy is a ``DataError`` naming every copy
tried, or, where the dataset allows skipping bad files, is reported to the caller as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import uproot

from controller.engine.chunk import Chunk
from controller.errors import DataError, WagonyardError
from controller.records import FileSlice, ReplicaRead
from controller.storage.client import set_client_defaults


def count_entries(path: str, tree: str) -> int:
    """The number of entries of ``tree`` in the file at ``path``."""
    with _open_tree(path, tree) as (_, t):
        return int(t.num_entries)


def count_entries_any(urls: list[str], tree: str) -> int:
    """The number of entries of ``tree`` in the first of ``urls`` (copies of one file) that
    opens; a ``DataError`` naming every copy when none does."""
    failures = []
    for url in urls:
        try:
            return count_entries(url, tree)
        except DataError as exc:
            failures.append(str(exc))
    raise DataError(_no_copy(urls[0], failures))


def _no_copy(path: str, failures: list[str]) -> str:
    if len(failures) == 1:
        return failures[0]
    return f"{path}: no readable copy among {len(failures)} replicas: " + "; ".join(failures)


def branch_names(path: str, tree: str) -> list[str]:
    """The names of the branches of ``tree`` in the file at ``path`` (metadata only)."""
    with _open_tree(path, tree) as (_, t):
        return [str(k) for k in t.keys(full_paths=False)] + [
            str(k) for k in t.keys(full_paths=True)
        ]


def _open_options(path: str) -> dict[str, Any]:
    """http(s) through uproot's own HTTP source: no aiohttp/requests needed for fsspec."""
    if path.startswith(("http://", "https://")):
        return {"handler": uproot.source.http.HTTPSource}
    return {}


class _open_tree:
    """Open a file and its tree, turning every failure into a ``DataError`` naming the file."""

    def __init__(self, path: str, tree: str) -> None:
        self.path, self.tree = path, tree

    def __enter__(self) -> tuple[uproot.ReadOnlyDirectory, uproot.TTree]:
        if self.path.startswith(("root://", "xroot://")):
            set_client_defaults()
        try:
            self.file = uproot.open(
                self.path, array_cache=None, object_cache=None, **_open_options(self.path)
            )
        except FileNotFoundError as exc:
            raise DataError(f"{self.path}: no such input file") from exc
        except Exception as exc:
            raise DataError(f"{self.path}: cannot open ({type(exc).__name__}: {exc})") from exc
        try:
            t = self.file[self.tree]
        except Exception as exc:
            self.file.close()
            raise DataError(f"{self.path}: no tree '{self.tree}' ({type(exc).__name__})") from exc
        return self.file, t

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def iterate(
    slices: list[FileSlice],
    tree: str,
    columns: list[str],
    step: int,
    on_bad_file: Callable[[FileSlice, DataError], None] | None = None,
    missing: Callable[[str, list[str]], WagonyardError] | None = None,
    site: str | None = None,
    on_read: Callable[[ReplicaRead], None] | None = None,
) -> Iterator[Chunk]:
    """Yield chunks of every slice in order; ``on_bad_file`` (if given) absorbs bad files.

    ``missing(where, names)`` makes the error for branches a file lacks (the train knows which
    wagons read them); by default a ``DataError``. A slice with replicas is read at ``site``'s
    copy first; ``on_read`` learns which copy each such slice was read from.
    """
    for s in slices:
        try:
            yield from _iterate_copies(s, tree, columns, step, missing or _no_branch, site, on_read)
        except DataError as exc:
            if on_bad_file is None:
                raise
            on_bad_file(s, exc)


def copies(s: FileSlice, site: str | None) -> list[tuple[str, str | None]]:
    """The slice's copies as (url, storage element): those at ``site`` first, in listed order."""
    own = [(s.path, s.storage_element, s.site or s.storage_element)]
    listed = own + [(r.url, r.storage_element, r.site) for r in s.replicas]
    ordered = sorted(listed, key=lambda c: c[2] != site) if site else listed
    return [(url, se) for url, se, _ in ordered]


def _iterate_copies(
    s: FileSlice,
    tree: str,
    columns: list[str],
    step: int,
    missing: Callable[[str, list[str]], WagonyardError],
    site: str | None,
    on_read: Callable[[ReplicaRead], None] | None,
) -> Iterator[Chunk]:
    if not s.replicas:
        yield from _iterate_one(s.path, s, s.entry_start, tree, columns, step, missing)
        return
    failed: list[str] = []
    position = s.entry_start  # where the next copy starts: the entries before are counted
    for url, se in copies(s, site):
        try:
            for chunk in _iterate_one(url, s, position, tree, columns, step, missing):
                yield chunk
                position = chunk.entry_stop
        except DataError as exc:
            failed.append(str(exc))
            continue
        if on_read is not None:
            on_read(ReplicaRead(path=s.path, read=url, storage_element=se, failed=failed))
        return
    raise DataError(_no_copy(s.path, failed))


def _no_branch(where: str, names: list[str]) -> WagonyardError:
    return DataError(f"{where} has no branch {', '.join(repr(n) for n in names)}")


def _iterate_one(
    path: str,
    s: FileSlice,
    start: int,
    tree: str,
    columns: list[str],
    step: int,
    missing: Callable[[str, list[str]], WagonyardError],
) -> Iterator[Chunk]:
    with _open_tree(path, tree) as (_, t):
        absent = [c for c in columns if c not in t]
        if absent:
            raise missing(f"{path}: tree '{tree}'", absent)
        stop = t.num_entries if s.entry_stop is None else min(s.entry_stop, t.num_entries)
        while start < stop:
            end = min(stop, start + step)
            try:
                arrays = t.arrays(columns, entry_start=start, entry_stop=end, library="ak")
            except Exception as exc:
                raise DataError(
                    f"{path}: entries {start}-{end} of '{tree}' are unreadable, the file is "
                    f"corrupt ({type(exc).__name__}: {exc})"
                ) from exc
            yield Chunk(arrays, s.path, start, end)
            start = end
