"""Split a dataset's files into jobs by its splitting rules.

Files of the same storage element stay together; with ``events_per_job`` files are cut into
entry ranges. Pure: the entry counts come in with the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from controller.catalog.models import Splitting
from controller.errors import WagonyardError
from controller.records import FileSlice, Replica


@dataclass(frozen=True)
class InputFile:
    path: str
    entries: int | None
    storage_element: str | None = None
    site: str | None = None
    replicas: tuple[Replica, ...] = ()

    def urls(self) -> list[str]:
        """Its own copy's path first, then its replicas'."""
        return [self.path, *(r.url for r in self.replicas)]

    def slice(self, start: int = 0, stop: int | None = None) -> FileSlice:
        return FileSlice(
            path=self.path,
            entry_start=start,
            entry_stop=stop,
            storage_element=self.storage_element,
            site=self.site,
            replicas=list(self.replicas),
        )


def split_files(files: list[InputFile], splitting: Splitting) -> list[list[FileSlice]]:
    """The jobs' inputs, each a list of file slices, in a deterministic order."""
    jobs: list[list[FileSlice]] = []
    ordered = sorted(files, key=lambda f: (f.storage_element or "", f.path))
    for _, group in groupby(ordered, key=lambda f: f.storage_element):
        members = list(group)
        if splitting.events_per_job is None:
            for i in range(0, len(members), splitting.files_per_job):
                jobs.append(
                    [f.slice(0, f.entries) for f in members[i : i + splitting.files_per_job]]
                )
            continue
        jobs.extend(_by_events(members, splitting.events_per_job))
    return jobs


def _by_events(files: list[InputFile], per_job: int) -> list[list[FileSlice]]:
    jobs: list[list[FileSlice]] = []
    current: list[FileSlice] = []
    room = per_job
    for f in files:
        if f.entries is None:
            raise WagonyardError(f"splitting by events needs the entry count of {f.path}")
        start = 0
        while start < f.entries:
            stop = min(f.entries, start + room)
            current.append(f.slice(start, stop))
            room -= stop - start
            start = stop
            if room == 0:
                jobs.append(current)
                current, room = [], per_job
    if current:
        jobs.append(current)
    return jobs
