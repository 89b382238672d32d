"""Apply a run list to the events of a chunk: events of unusable runs are not processed.

A dataset of type 'data' names the branch holding each event's run number; events whose run
is marked bad, or is missing from the run list, are cut from the chunk before any wagon sees
it, and counted by run and reason for the job's report. Pure: numpy and awkward only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

import awkward as ak
import numpy as np

from controller.engine.chunk import Chunk
from controller.errors import DataError
from controller.records import ExcludedEvents, RunFilter


class RunCut:
    """Cuts chunks to the usable runs of ``rule`` and keeps the tally of what it left out."""

    def __init__(self, rule: RunFilter) -> None:
        self.rule = rule
        self.usable = np.asarray(sorted(rule.usable), dtype=np.int64)
        self.bad = set(rule.bad)
        self.tally: dict[int, int] = {}

    def apply(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        for chunk in chunks:
            yield self.cut(chunk)

    def cut(self, chunk: Chunk) -> Chunk:
        try:
            runs = np.asarray(chunk.events[self.rule.branch], dtype=np.int64)
        except Exception as exc:  # a jagged or non-numeric branch cannot hold run numbers
            raise DataError(
                f"{chunk.path}: branch '{self.rule.branch}' (the dataset's run_branch) does not "
                f"hold one run number per event ({type(exc).__name__}: {exc})"
            ) from exc
        keep = np.isin(runs, self.usable)
        if keep.all():
            return chunk
        left, counts = np.unique(runs[~keep], return_counts=True)
        for run, n in zip(left.tolist(), counts.tolist(), strict=True):
            self.tally[run] = self.tally.get(run, 0) + n
        return replace(chunk, events=chunk.events[ak.Array(keep)])

    def excluded(self) -> list[ExcludedEvents]:
        return [
            ExcludedEvents(
                run=run,
                reason="bad run" if run in self.bad else "run not in the run list",
                events=n,
            )
            for run, n in sorted(self.tally.items())
        ]
