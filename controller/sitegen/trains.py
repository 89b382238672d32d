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
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from controller.catalog.catalog import Catalog
from controller.errors import WagonyardError
from controller.history import HistoryStore
from controller.records import TrainRecord
from controller.sitegen.downloads import OUTPUT, merged_output, offered
from controller.sitegen.forks import told
from controller.sitegen.formats import Hide, public
from controller.sitegen.gather import read_output, read_train_output, under
from controller.sitegen.model import (
    DatasetFiles,
    Records,
    Stored,
    TestRun,
    TrainBrief,
    TrainOutput,
    TrainPage,
    TrainSummary,
    WagonMemory,
    download_path,
    pack,
    page_path,
    summarize,
    unpack,
    wagon_memory,
    wagon_refs,
)
from controller.sitegen.pagecache import Entry, PageCache, digest, entry, stamp, stamped
from controller.sitegen.recall import Recalled
from controller.sitegen.trainpage import record_page, usage_rows, with_previous
from controller.sitegen.writing import place, write_files

Blob = tuple[str, str]  # a record on the history branch: (its path, its blob id)


@dataclass(frozen=True)
class RecordSource:
    """Where the train records come from: in memory (with their bytes as stored in git where
    known), or the blobs of the history branch, which each shard reads itself."""

    records: Sequence[TrainRecord] = ()
    raw: Mapping[str, bytes] = field(default_factory=dict)  # train id -> as stored in git
    store: HistoryStore | None = None
    blobs: Sequence[Blob] = ()

    def __len__(self) -> int:
        return len(self.records) + len(self.blobs)

    def share(self, index: int, parts: int) -> tuple[list[Stored], list[Blob]]:
        """Every ``parts``-th record from ``index``: those in memory, and the blobs (unread)."""
        stored = [
            Stored(r, raw, digest(raw) if raw is not None else None)
            for r in self.records[index::parts]
            for raw in (self.raw.get(r.train_id),)
        ]
        return stored, list(self.blobs[index::parts])

    def read(self, blobs: Sequence[Blob]) -> tuple[list[Stored], list[str]]:
        """The records of ``blobs``, read and validated; and warnings for those that cannot be
        read (left out of the site)."""
        stored: list[Stored] = []
        warnings: list[str] = []
        if self.store is None or not blobs:
            return stored, warnings
        for (path, blob_id), blob in zip(
            blobs, self.store.read_blobs([b for _, b in blobs]), strict=True
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
# a page's key in the page cache, from its summary, its previous train and what else it shows
Keyer = Callable[[TrainSummary, TrainBrief | None, str], str | None]


@dataclass(frozen=True)
class PageSetup:
    """How a shard renders, caches and writes its train pages (made in the shard's process)."""

    out_dir: Path
    render: Render
    key: Keyer
    footer: bytes


class TrainShard:
    """Some of the trains: their records read at once, but those whose summary the last build
    kept (``recall``), which are read only if their page has to be made again."""

    def __init__(
        self,
        source: Records,
        index: int = 0,
        parts: int = 1,
        recalled: Mapping[str, Recalled] | None = None,
    ) -> None:
        self.source = source
        self.recalled = recalled or {}
        mine, blobs = source.share(index, parts)
        self.known = [b for b in blobs if b[1] in self.recalled]
        read, self.warnings = source.read([b for b in blobs if b[1] not in self.recalled])
        # the records read and not yet made into pages (then dropped: a shard reads 50,000)
        self.stored: dict[str, Stored] = {}
        for s in [*mine, *read]:
            if s.record.train_id in self.stored:
                self.warnings.append(twice(s.record.train_id))
            self.stored.setdefault(s.record.train_id, s)
        self.made: dict[str, TrainPage] = {}  # what each page shows of its record
        self.newest: dict[str, TrainRecord] = {}  # per dataset, its newest done train made here
        self.blob: dict[str, Blob] = {}  # train id -> its record on the branch, if not read
        self.summary: dict[str, TrainSummary] = {}
        self.depends_on: dict[str, str] = {}  # train id -> ``depends`` of its summary
        self.outputs: dict[str, TrainOutput] = {}
        self._context: TrainContext | None = None
        self._tested: dict[tuple[str, str], str] = {}  # (dataset, wagon) -> digest of tests
        self._where = ""  # the digest of where the outputs are and the paths hidden

    @property
    def context(self) -> TrainContext:
        assert self._context is not None, "summaries() first"
        return self._context

    def summaries(self, context: TrainContext) -> Iterator[TrainSummary]:
        """Each train's summary (with its per-wagon usage), as it is made or recalled."""
        self._context = context
        self._where = digest(repr((str(context.outputs_root), context.hide)).encode())
        stale: list[Blob] = []
        for blob in self.known:
            depends, packed = self.recalled[blob[1]]
            summary = unpack(packed)
            if self.depends(summary) != depends:
                stale.append(blob)
                continue
            if summary.train_id in self.summary or summary.train_id in self.stored:
                self.warnings.append(twice(summary.train_id))
                continue
            self.blob[summary.train_id] = blob
            self.summary[summary.train_id] = summary
            self.depends_on[summary.train_id] = depends
            yield summary
        read, warnings = self.source.read(stale)
        self.warnings += warnings
        self.stored.update((s.record.train_id, s) for s in read)
        for train_id in list(self.stored):
            yield self._make(self.stored.pop(train_id))

    def _make(self, s: Stored) -> TrainSummary:
        """A record read: its summary, and what its page shows of it (kept instead of it)."""
        ctx = self.context
        r = s.record
        output = read_train_output(r, ctx.outputs_root)
        self.outputs[r.train_id] = output
        limit = ctx.limits.get(r.dataset)
        summary = summarize(r, usage_rows(r, output, limit, ctx.tests), s.key)
        self.summary[r.train_id] = summary
        self.depends_on[r.train_id] = self.depends(summary)
        merged = merged_output(r.output.path if r.output else None, ctx.outputs_root)
        try:
            self.made[r.train_id] = record_page(
                summary,
                r,
                output,
                offered(r, s.raw, merged, ctx.hide),
                partial(public, hide=ctx.hide),
            )
        except Exception as exc:
            raise _page_failed(r.train_id, exc) from exc
        if r.state == "done" and r.jobs and _later(r, self.newest.get(r.dataset)):
            self.newest[r.dataset] = r
        return summary

    def depends(self, summary: TrainSummary) -> str:
        """The digest of what a train's summary depends on beside its record: the dataset's
        CPU limit, the memory its wagons' tests measured, its output file (size, time, inode)
        and where the outputs are."""
        ctx = self.context
        b = summary.record
        tested = self._tested
        parts = [self._where, repr(ctx.limits.get(b.dataset))]
        for ref in wagon_refs(summary):
            known = tested.get((b.dataset, ref))
            if known is None:  # a wagon runs in many trains: its tests' digest made once
                runs = ctx.tests.get((b.dataset, ref))
                known = tested[b.dataset, ref] = digest(repr(runs).encode()) if runs else "-"
            parts.append(known)
        parts.append(stamp(under(b.output[0], ctx.outputs_root)) if b.output else "")
        return digest("\0".join(parts).encode())

    def remembered(self) -> dict[str, Recalled]:
        """What the next build may recall of these trains (``recall.keep``)."""
        return {
            s.record.key: (self.depends_on[train_id], pack(s))
            for train_id, s in self.summary.items()
            if s.record.key is not None
        }

    def files(self) -> dict[str, DatasetFiles]:
        """Per dataset, the input files of its newest done train in this shard."""
        newest: dict[str, TrainBrief] = {}
        for s in self.summary.values():
            b = s.record
            if b.state == "done" and b.job_states and _later(b, newest.get(b.dataset)):
                newest[b.dataset] = b
        kept = {b.train_id for b in self.newest.values()}  # made here, the records kept
        self._read([b.train_id for b in newest.values() if b.train_id not in kept])
        found = {}
        for name, b in newest.items():
            record = self.newest.get(name)
            if record is None or record.train_id != b.train_id:
                read = self.stored.get(b.train_id)
                if read is None:
                    continue
                record = read.record
            found[name] = _files_of(record)
        return found

    def page(self, train_id: str, before: TrainBrief | None) -> TrainPage:
        """A train's page, given its previous done train on the dataset (its record read if
        it was recalled, not read)."""
        made = self.made.pop(train_id, None)
        if made is None:
            self._make(self.stored.pop(train_id))
            made = self.made.pop(train_id)
        root = self.context.outputs_root
        output = self.outputs[train_id]
        before_output = None
        if before is not None:
            before_output = self.outputs.get(before.train_id) or read_output(
                before.output, before.state, root
            )
        return with_previous(made, output, before, before_output)

    def write(
        self, previous: Mapping[str, TrainBrief | None], setup: PageSetup
    ) -> tuple[list[Entry], list[str]]:
        """Render and write each train's page (unless its inputs did not change since the last
        build: decided from its summary, its record not read) and its downloads; the page
        cache's entries and every file of the site kept."""
        cache = PageCache(setup.out_dir)
        root = self.context.outputs_root
        entries: list[Entry] = []
        kept: list[str] = []

        def pages() -> Iterator[tuple[str, bytes]]:
            again: list[tuple[str, str, str | None]] = []
            for train_id, summary in self.summary.items():
                if train_id not in previous:  # another shard's too: that one writes it
                    continue
                path = page_path("train", train_id)
                kept.append(path)
                before = previous.get(train_id)
                output = before.output if before is not None else None
                also = stamp(under(output[0], root)) if output else ""
                key = setup.key(summary, before, f"{self.depends_on[train_id]}:{also}")
                reused = cache.fresh(path, key, setup.footer)
                if reused is None:
                    again.append((train_id, path, key))
                    continue
                entries.append(reused[0])
                if reused[1] is not None:  # the footer changed
                    yield path, reused[1]
            self._read([train_id for train_id, _, _ in again if train_id not in self.made])
            for train_id, path, key in again:
                page = self.page(train_id, previous.get(train_id))
                try:
                    data = setup.render(path, page).encode()
                except Exception as exc:
                    raise _page_failed(train_id, exc) from exc
                if key is not None:
                    entries.append(entry(path, key, data))
                yield path, data

        write_files(setup.out_dir, pages())
        kept += self._downloads(setup.out_dir, previous)
        return stamped(setup.out_dir, entries), kept

    def _read(self, train_ids: Sequence[str]) -> None:
        """Read the records of these trains that were recalled, not read."""
        blobs = [self.blob[t] for t in train_ids if t not in self.stored and t in self.blob]
        read, warnings = self.source.read(blobs)
        self.warnings += warnings
        self.stored.update((s.record.train_id, s) for s in read)

    def _downloads(self, out_dir: Path, mine: Mapping[str, object]) -> list[str]:
        """Link or copy each train's merged output into the site (the other downloads are
        in the page itself)."""
        root = str(out_dir)
        os.makedirs(os.path.join(root, os.path.dirname(download_path("x", "x"))), exist_ok=True)
        written = []
        for train_id, s in self.summary.items():
            if train_id not in mine:
                continue
            output = s.record.output
            merged = merged_output(output[0] if output else None, self.context.outputs_root)
            if merged is not None:
                path = download_path(train_id, OUTPUT)
                place(merged, os.path.join(root, path))
                written.append(path)
        return written


def _later(train: TrainRecord | TrainBrief, known: TrainRecord | TrainBrief | None) -> bool:
    """Whether ``train`` came after ``known`` (created, then by id), or nothing is known."""
    return known is None or (train.created, train.train_id) > (known.created, known.train_id)


def twice(train_id: str) -> str:
    """The warning for two records of one train (a history branch edited by hand)."""
    return f"two records on the history branch are train {train_id}: the site shows one"


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
