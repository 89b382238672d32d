"""The trains' side of a build, one shard of the trains at a time: first each train's summary
for the lists and the other pages (``TrainShard.summaries``), then, once every shard's
summaries gave each train its previous train on the dataset, the train pages and downloads
(``TrainShard.write``). The full records and outputs stay in the shard; a big site has
100,000 trains, and only summaries travel (``shards`` runs one shard per core).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from controller.catalog.catalog import Catalog
from controller.errors import WagonyardError
from controller.history import HistoryStore
from controller.records import TrainRecord
from controller.sitegen.downloads import OUTPUT, merged_output, offered
from controller.sitegen.forks import told
from controller.sitegen.formats import Hide
from controller.sitegen.gather import read_output, read_train_output
from controller.sitegen.model import (
    DatasetFiles,
    Stored,
    TestRun,
    TrainBrief,
    TrainOutput,
    TrainPage,
    TrainSummary,
    WagonMemory,
    download_path,
    page_path,
    summarize,
    wagon_memory,
)
from controller.sitegen.pagecache import Entry, PageCache, digest, entry, stamped
from controller.sitegen.trainpage import train_page, usage_rows
from controller.sitegen.writing import place, write_files


@dataclass(frozen=True)
class RecordSource:
    """Where the train records come from: in memory (with their bytes as stored in git where
    known), or the blobs of the history branch, which each shard reads itself."""

    records: Sequence[TrainRecord] = ()
    raw: Mapping[str, bytes] = field(default_factory=dict)  # train id -> as stored in git
    store: HistoryStore | None = None
    blobs: Sequence[tuple[str, str]] = ()  # (path on the branch, blob id)

    def __len__(self) -> int:
        return len(self.records) + len(self.blobs)

    def part(self, index: int, parts: int) -> tuple[list[Stored], list[str]]:
        """Every ``parts``-th record from ``index``, read; and warnings for those that
        cannot be read (left out of the site)."""
        stored = [
            Stored(r, raw, digest(raw) if raw is not None else None)
            for r in self.records[index::parts]
            for raw in (self.raw.get(r.train_id),)
        ]
        warnings: list[str] = []
        mine = self.blobs[index::parts]
        if self.store is None or not mine:
            return stored, warnings
        for (path, blob_id), blob in zip(
            mine, self.store.read_blobs([b for _, b in mine]), strict=True
        ):
            try:
                stored.append(Stored(TrainRecord.model_validate_json(blob), blob, blob_id))
            except (ValidationError, ValueError) as exc:
                first = str(exc).splitlines()[0]
                warnings.append(
                    f"{self.store.branch}:{path} cannot be read ({first}); left out of the site"
                )
        return stored, warnings


@dataclass(frozen=True)
class TrainContext:
    """What every shard reads beside its records (sent to each: small)."""

    limits: Mapping[str, float | None]  # dataset -> its CPU limit, ms per event
    tests: Mapping[tuple[str, str], Sequence[WagonMemory]]  # (dataset, case) -> newest first
    outputs_root: Path
    hide: Hide


def train_context(
    catalog: Catalog,
    tests: Mapping[tuple[str, str], Sequence[TestRun]],
    outputs_root: Path,
    hide: Hide,
) -> TrainContext:
    """The context of the shards: of the catalog the datasets' limits, of the tests (newest
    first) the memory they measured."""
    limits = {name: d.model.limits.cpu_ms_per_event for name, d in catalog.datasets.items()}
    memory = {key: tuple(wagon_memory(t) for t in runs) for key, runs in tests.items()}
    return TrainContext(limits, memory, outputs_root, hide)


Render = Callable[[str, TrainPage], str]  # (page path, page) -> HTML
Keyer = Callable[[TrainPage], str | None]  # a page's key in the page cache


@dataclass(frozen=True)
class PageSetup:
    """How a shard renders, caches and writes its train pages (made in the shard's process)."""

    out_dir: Path
    render: Render
    key: Keyer
    footer: bytes


class TrainShard:
    """Some of the trains, read, with their outputs."""

    def __init__(self, context: TrainContext, stored: list[Stored]) -> None:
        self.context = context
        self.stored = stored
        self.outputs: dict[str, TrainOutput] = {}
        self.merged: dict[str, Path | None] = {}  # train id -> its merged output, if here
        self.summary: dict[str, TrainSummary] = {}

    def summaries(self) -> Iterator[TrainSummary]:
        """Each train's summary (with its per-wagon usage), as it is made."""
        ctx = self.context
        for s in self.stored:
            r = s.record
            output = read_train_output(r, ctx.outputs_root)
            self.outputs[r.train_id] = output
            self.merged[r.train_id] = merged_output(r, ctx.outputs_root)
            limit = ctx.limits.get(r.dataset)
            summary = summarize(r, usage_rows(r, output, limit, ctx.tests), s.key)
            self.summary[r.train_id] = summary
            yield summary

    def files(self) -> dict[str, DatasetFiles]:
        """Per dataset, the input files of its newest done train in this shard."""
        newest: dict[str, TrainRecord] = {}
        for s in self.stored:
            r = s.record
            if r.state == "done" and r.jobs:
                known = newest.get(r.dataset)
                if known is None or (r.created, r.train_id) > (known.created, known.train_id):
                    newest[r.dataset] = r
        return {name: _files_of(r) for name, r in newest.items()}

    def pages(self, previous: Mapping[str, TrainBrief | None]) -> Iterator[TrainPage]:
        """Each train's page, given its previous done train on the dataset."""
        ctx = self.context
        for s in self.stored:
            r = s.record
            before = previous.get(r.train_id)
            before_output = None
            if before is not None:
                before_output = self.outputs.get(before.train_id) or read_output(
                    before.output, before.state, ctx.outputs_root
                )
            try:
                page = train_page(
                    self.summary[r.train_id],
                    r,
                    self.outputs[r.train_id],
                    before,
                    before_output,
                    offered(r, s.raw, self.merged[r.train_id], ctx.hide),
                )
            except Exception as exc:
                raise _page_failed(r.train_id, exc) from exc
            yield page

    def write(
        self, previous: Mapping[str, TrainBrief | None], setup: PageSetup
    ) -> tuple[list[Entry], list[str]]:
        """Render and write each train's page (unless its inputs did not change since the last
        build) and its downloads; the page cache's entries and every file of the site kept."""
        cache = PageCache(setup.out_dir)
        entries: list[Entry] = []
        kept: list[str] = []

        def pages() -> Iterator[tuple[str, bytes]]:
            for page in self.pages(previous):
                path = page_path("train", page.summary.train_id)
                kept.append(path)
                key = setup.key(page)
                reused = cache.fresh(path, key, setup.footer)
                if reused is not None:
                    entries.append(reused[0])
                    if reused[1] is not None:  # the footer changed
                        yield path, reused[1]
                    continue
                try:
                    data = setup.render(path, page).encode()
                except Exception as exc:
                    raise _page_failed(page.summary.train_id, exc) from exc
                if key is not None:
                    entries.append(entry(path, key, data))
                yield path, data

        write_files(setup.out_dir, pages())
        kept += self._downloads(setup.out_dir)
        return stamped(setup.out_dir, entries), kept

    def _downloads(self, out_dir: Path) -> list[str]:
        """Link or copy each train's merged output into the site (the other downloads are
        in the page itself)."""
        root = str(out_dir)
        os.makedirs(os.path.join(root, os.path.dirname(download_path("x", "x"))), exist_ok=True)
        written = []
        for s in self.stored:
            merged = self.merged[s.record.train_id]
            if merged is not None:
                path = download_path(s.record.train_id, OUTPUT)
                place(merged, os.path.join(root, path))
                written.append(path)
        return written


def _page_failed(train_id: str, exc: Exception) -> WagonyardError:
    """A train's page that cannot be made: which train, what, and where in our code."""
    return WagonyardError(
        f"the page of train {train_id} cannot be made ({told(exc)}); this is a bug in "
        f"wagonyard: report it with the train's record, trains/{train_id}/record.json on the "
        "history branch"
    )


def _files_of(r: TrainRecord) -> DatasetFiles:
    paths = {s.path for j in r.jobs for s in j.files}
    sizes = []
    for p in paths:
        try:
            sizes.append(os.stat(p).st_size)
        except OSError:
            break
    size = sum(sizes) if len(sizes) == len(paths) else None
    return DatasetFiles(r.created, r.train_id, len(paths), r.events_processed, size)


def previous_trains(summaries: Sequence[TrainSummary]) -> dict[str, TrainBrief | None]:
    """Each train's previous done train on the same dataset (``summaries`` newest first)."""
    previous: dict[str, TrainBrief | None] = {}
    last_on: dict[str, TrainBrief] = {}
    for t in reversed(summaries):  # oldest first
        r = t.record
        previous[r.train_id] = last_on.get(r.dataset)
        if r.state == "done":
            last_on[r.dataset] = r
    return previous
