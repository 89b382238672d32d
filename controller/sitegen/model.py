"""The typed model of the status site: histogram data, page contexts and where pages live.

Plain frozen dataclasses that templates read; ``assemble.site_model`` fills them. Nothing here
reads files, imports Jinja or formats HTML. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

from controller.catalog.catalog import Entry
from controller.catalog.models import Analysis, CodeVersion, Dataset, RunList, Wagon
from controller.records import SkippedFile, TrainRecord
from controller.wagontest.report import CaseReport

PageKind = Literal["analysis", "dataset", "runlist", "train", "wagon", "member"]
FOLDERS: dict[PageKind, str] = {
    "analysis": "analyses",
    "dataset": "datasets",
    "runlist": "runlists",
    "train": "trains",
    "wagon": "wagons",
    "member": "members",
}
FAILED_JOB_STATES = ("failed", "lost", "cancelled")
ACTIVE_TRAIN_STATES = ("composed", "testing", "submitted", "running", "merging")


def file_name(name: str) -> str:
    """``name`` made safe as a file name and URL segment (catalog names already are)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "_"


def page_path(kind: PageKind, name: str) -> str:
    """Where the page of one object lives, relative to the site root, with '/' separators.
    A wagon's name is 'analysis/wagon': its page is ``wagons/<analysis>/<wagon>.html``."""
    if kind == "wagon":
        analysis, _, wagon = name.partition("/")
        return f"wagons/{file_name(analysis)}/{file_name(wagon)}.html"
    return f"{FOLDERS[kind]}/{file_name(name)}.html"


def download_path(train_id: str, name: str) -> str:
    """Where a file of a train (its output, what reproduces it) is offered for download:
    ``files/<train>.<name>``, no folder per train (a big site has 100,000 trains); the link
    gives the file its own name to save as."""
    return f"files/{file_name(train_id)}.{file_name(name)}"


# --------------------------------------------------------------------------- histograms


@dataclass(frozen=True)
class Axis:
    label: str
    edges: tuple[float, ...]


@dataclass(frozen=True)
class Hist1D:
    name: str
    title: str
    x: Axis
    values: tuple[float, ...]
    errors: tuple[float, ...]
    entries: float
    mean: float | None
    std: float | None
    underflow: float = 0.0
    overflow: float = 0.0
    weighted: bool = False  # filled with weights: the y axis is a sum of weights


@dataclass(frozen=True)
class Hist2D:
    name: str
    title: str
    x: Axis
    y: Axis
    values: tuple[tuple[float, ...], ...]  # values[ix][iy]
    entries: float
    mean_x: float | None
    mean_y: float | None
    weighted: bool = False


Histogram = Hist1D | Hist2D


@dataclass(frozen=True)
class WagonOutput:
    """The histograms of one wagon directory of ``AnalysisResults.root``, and the bytes its
    objects take in the file (compressed, as ROOT stores them)."""

    directory: str
    histograms: tuple[Histogram, ...]
    file_bytes: int = 0


@dataclass(frozen=True)
class TrainOutput:
    """What a train's merged output holds, or plainly why it cannot be shown."""

    path: str
    wagons: tuple[WagonOutput, ...] = ()
    provenance: str = ""
    problem: str | None = None
    sha256_ok: bool | None = None


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Change:
    """One commit that changed a catalog file: who, when, why, and the diff of that file."""

    commit: str
    author: str
    date: datetime
    subject: str
    pull_request: int | None
    diff: str


@dataclass(frozen=True)
class Stored:
    """A train record, its bytes as stored in git (None when not read from git) and their key."""

    record: TrainRecord
    raw: bytes | None
    key: str | None


@dataclass(frozen=True)
class DatasetFiles:
    """The input files of the newest done train of a dataset: how many, their events, their
    bytes (None unless every file is here to measure)."""

    created: datetime  # the newest of the shards' candidates wins
    train_id: str
    files: int
    events: int
    size: int | None


class Records(Protocol):
    """The train records of a build, read in parts (``trains.RecordSource``)."""

    def __len__(self) -> int: ...

    def share(self, index: int, parts: int) -> tuple[list[Stored], list[tuple[str, str]]]:
        """Every ``parts``-th record from ``index``: those in memory, and the (path, blob id)
        of those still to read."""
        ...

    def read(self, blobs: Sequence[tuple[str, str]]) -> tuple[list[Stored], list[str]]:
        """The records of ``blobs`` (path, blob id), and warnings about those unreadable."""
        ...


@dataclass(frozen=True)
class TestRun:
    """One recorded test of a wagon (or a dataset's full train), from the history branch."""

    __test__ = False  # not a pytest test class

    test_id: str
    created: datetime
    catalog_commit: str
    case: CaseReport


# --------------------------------------------------------------------------- pages


class WagonRef(NamedTuple):
    """One wagon directory of a train."""

    ref: str
    directory: str
    enabled: bool


class TrainBrief(NamedTuple):
    """What the lists and the other pages read of a train record. The whole record stays
    with the process that writes the train's own page: a big site has 100,000 of them.
    Named tuples (as ``TrainSummary``, ``UsageRow``): cheap to make and to send between
    processes as plain tuples (``pack``)."""

    train_id: str
    dataset: str
    state: str
    created: datetime
    finished: datetime | None
    message: str
    events_processed: int
    catalog_commit: str
    output_bytes: int | None  # of the merged output, as recorded; None before the merge
    wagons: tuple[WagonRef, ...]
    job_states: tuple[str, ...]
    output: tuple[str, str] | None  # the merged output's (path, sha256), as recorded
    key: str | None  # the digest of the record as stored in git; None when not read from git


def brief(record: TrainRecord, key: str | None = None) -> TrainBrief:
    o = record.output
    return TrainBrief(
        record.train_id,
        record.dataset,
        record.state,
        record.created,
        record.finished,
        record.message,
        record.events_processed,
        record.catalog_commit,
        o.bytes if o else None,
        tuple(WagonRef(w.ref, w.directory, w.enabled) for w in record.wagons),
        tuple(j.state for j in record.jobs),
        (o.path, o.sha256) if o else None,
        key,
    )


class TrainSummary(NamedTuple):
    """One row of a trains table: the train, what is counted from it, and its per-wagon
    usage (``UsageRow``)."""

    record: TrainBrief
    jobs_done: int
    jobs_failed: int
    jobs_active: int
    turnaround: timedelta | None
    cpu_s: float
    usage: tuple[UsageRow, ...] = ()

    @property
    def train_id(self) -> str:
        return self.record.train_id


@dataclass(frozen=True)
class TrainsPage:
    """One page of the list of all trains (newest first), ``number`` of ``pages``."""

    number: int
    pages: int
    trains: tuple[TrainSummary, ...]
    first: int  # the position of its first train in the whole list, from 1


def trains_page_path(number: int) -> str:
    return "trains.html" if number == 1 else f"trains-{number}.html"


class WagonMemory(NamedTuple):
    """What a train page reads of a wagon's test: the version tested, and the PSS it adds
    and its RSS (None when the test measured no memory)."""

    version: str
    pss_mb: float | None
    rss_mb: float | None


def wagon_memory(run: TestRun) -> WagonMemory:
    c = run.case
    if c.delta is None or c.figures is None:
        return WagonMemory(c.version, None, None)
    return WagonMemory(c.version, c.delta.max_pss_mb, c.figures.max_rss_mb)


class UsageRow(NamedTuple):
    directory: str
    ref: str
    variant: str | None
    cpu_s: float
    events: int
    output_bytes: int | None  # bytes in the merged file; None before the merge
    cpu_ms_per_event: float | None
    over_limit: bool
    pss_mb: float | None  # the largest PSS of the train's jobs (all wagons share a job)
    rss_mb: float | None


@dataclass(frozen=True)
class VariantRow:
    """One histogram of a wagon with variants: the default and each variant, side by side."""

    name: str
    cells: tuple[tuple[str, Histogram | None], ...]  # (directory, histogram or absent)


@dataclass(frozen=True)
class Comparison:
    """One histogram against the same histogram of the previous train on the dataset."""

    directory: str
    name: str
    entries: float
    before_entries: float | None
    mean: float | None
    before_mean: float | None


@dataclass(frozen=True)
class Download:
    """A file a train's page offers: a file of the site (``path`` relative to its root), or a
    small one the page carries and offers as a ``data:`` URL, made of ``text`` when the page
    is rendered (not when it is reused from the page cache)."""

    label: str
    what: str
    path: str | None = None
    text: Callable[[], str] | None = None


@dataclass(frozen=True)
class TrainPage:
    """One train's page, made in two steps: what its record and output show, made when the
    record is read (the record is not kept: a shard reads 50,000); then what the previous
    done train on the dataset adds, once every shard's summaries gave it (``trains``)."""

    summary: TrainSummary
    state: str  # the record's
    record: str  # the record as stored in git, this machine's paths hidden (its download)
    shown: str  # what the record and the output show, as a JSON object (``traindata.shown``)
    refs: tuple[str, ...]  # the wagons the page names
    previous: TrainBrief | None = None  # the previous done train on the same dataset
    comparison: tuple[Comparison, ...] = ()


@dataclass(frozen=True)
class JobTotals:
    """What a train page's tables sum up over the usage rows and the jobs."""

    cpu_s: float  # of the usage rows
    max_pss_mb: float | None  # the largest of the jobs' reports (that give one)
    max_rss_mb: float | None
    attempts: int
    skipped: tuple[SkippedFile, ...]  # every job's skipped files


@dataclass(frozen=True)
class TestCell:
    """A wagon's latest test on one dataset, for status columns."""

    __test__ = False

    dataset: str
    run: TestRun | None


@dataclass(frozen=True)
class WagonTrainRow:
    summary: TrainSummary
    usage: tuple[UsageRow, ...]


@dataclass(frozen=True)
class EnabledWagon:
    ref: str
    code: CodeVersion


@dataclass(frozen=True)
class WagonPage:
    ref: str
    analysis: str
    group: str
    entry: Entry[Wagon]
    depends_on: tuple[str, ...]
    dependents: tuple[str, ...]
    enabled: tuple[EnabledWagon, ...]
    effective: tuple[tuple[str, Mapping[str, object]], ...]  # (directory, config) from a test
    effective_from: TestRun | None
    tests: tuple[TestCell, ...]  # latest per dataset
    history: tuple[TestRun, ...]  # newest first
    trains: tuple[WagonTrainRow, ...]  # the newest it ran in
    trains_total: int  # how many trains it ran in
    changes: tuple[Change, ...]

    @property
    def name(self) -> str:
        return self.entry.model.name

    @property
    def worst(self) -> str:
        """The worst latest status over its datasets: failed, warning, done or untested."""
        statuses = {c.run.case.status for c in self.tests if c.run is not None}
        for s in ("failed", "warning", "done"):
            if s in statuses:
                return s
        return "untested"


@dataclass(frozen=True)
class AnalysisPage:
    name: str
    entry: Entry[Analysis]
    wagons: tuple[WagonPage, ...]
    trains: tuple[TrainSummary, ...]
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class MemberPage:
    login: str
    analyses: tuple[AnalysisPage, ...]
    trains: tuple[TrainSummary, ...]


@dataclass(frozen=True)
class DatasetPage:
    name: str
    entry: Entry[Dataset]
    wagons: tuple[EnabledWagon, ...]
    tests: Mapping[str, TestRun]  # wagon ref -> latest test on this dataset
    trains: tuple[TrainSummary, ...]
    files: int | None
    events: int | None
    bytes: int | None
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class RunListPage:
    name: str
    entry: Entry[RunList]
    counts: Mapping[str, int]  # quality -> runs
    datasets: tuple[str, ...]
    wagons: tuple[tuple[str, str, TestRun | None], ...]  # (dataset, ref, latest test)
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Attention:
    """Something that needs someone: a failed test or train, a warning, an unsent e-mail."""

    kind: str
    what: str
    href: str | None
    when: datetime | None


@dataclass(frozen=True)
class Due:
    dataset: str
    cron: str
    next_due: datetime
    last_train: TrainSummary | None


@dataclass(frozen=True)
class DayStats:
    day: str  # YYYY-MM-DD
    trains: int
    jobs: int
    cpu_h: float
    events: int


@dataclass(frozen=True)
class GroupUsage:
    group: str
    analyses: int
    wagons: int
    trains: int
    cpu_h: float


@dataclass(frozen=True)
class Dashboard:
    attention: tuple[Attention, ...]
    running: tuple[TrainSummary, ...]
    jobs_by_state: Mapping[str, int]
    trains_by_state: Mapping[str, int]
    due: tuple[Due, ...]
    days: tuple[DayStats, ...]  # the last 7 days, oldest first
    week_trains: int
    week_jobs: int
    week_cpu_h: float
    week_events: int
    mean_turnaround: timedelta | None
    groups: tuple[GroupUsage, ...]


@dataclass(frozen=True)
class Counts:
    analyses: int
    wagons: int
    datasets: int
    runs: int
    trains: int
    members: int


@dataclass(frozen=True)
class Frame:
    """What every page shows around its content (title, time, commit) and which objects
    have a page (links to anything else are left out): all a train's page needs of the site."""

    title: str
    generated: datetime
    catalog_commit: str
    repo_url: str | None
    names: Mapping[PageKind, frozenset[str]]

    def has(self, kind: PageKind, name: str) -> bool:
        """Whether the site has a page for ``name``."""
        return name in self.names.get(kind, frozenset())

    def frame(self) -> Frame:
        """The frame alone (of a ``Site``: without its pages' models)."""
        return Frame(**{f.name: getattr(self, f.name) for f in fields(Frame)})


@dataclass(frozen=True)
class Site(Frame):
    counts: Counts
    dashboard: Dashboard
    trains: tuple[TrainSummary, ...]  # newest first
    analyses: tuple[AnalysisPage, ...]
    wagons: tuple[WagonPage, ...]
    members: tuple[MemberPage, ...]
    datasets: tuple[DatasetPage, ...]
    runlists: tuple[RunListPage, ...]


def wagon_refs(summary: TrainSummary) -> list[str]:
    """The wagons a train's page names (its wagons', and its usage rows'), sorted: what its
    page links to and what its summary depends on beside the record."""
    refs = {w.ref for w in summary.record.wagons}
    refs.update(u.ref for u in summary.usage)
    return sorted(refs)


def summarize(
    record: TrainRecord, usage: tuple[UsageRow, ...] = (), key: str | None = None
) -> TrainSummary:
    done = sum(1 for j in record.jobs if j.state == "done")
    failed = sum(1 for j in record.jobs if j.state in FAILED_JOB_STATES)
    active = sum(1 for j in record.jobs if j.state in ("pending", "submitted", "running"))
    turnaround = record.finished - record.created if record.finished else None
    cpu = sum(j.report.cpu_s for j in record.jobs if j.report is not None)
    return TrainSummary(brief(record, key), done, failed, active, turnaround, cpu, usage)


def pack(s: TrainSummary) -> tuple[Any, ...]:
    """A summary as plain tuples, to send to another process (``unpack`` makes it again):
    about a third of the time pickle takes with the named tuples (a million of them, out and
    back: 1.3 s against 4.6 s)."""
    record = s.record._asdict()
    record["wagons"] = tuple(tuple(w) for w in s.record.wagons)
    summary = s._asdict()
    summary.update(record=tuple(record.values()), usage=tuple(tuple(u) for u in s.usage))
    return tuple(summary.values())


def unpack(t: tuple[Any, ...]) -> TrainSummary:
    s = TrainSummary._make(t)
    b = TrainBrief._make(s.record)
    record = b._replace(wagons=tuple(WagonRef._make(w) for w in b.wagons))
    return s._replace(record=record, usage=tuple(UsageRow._make(u) for u in s.usage))
