"""The typed model of the status site: histogram data, page contexts and where pages live.

``site_model`` turns the catalog, the train records and the gathered outputs into one ``Site``
that templates read; nothing here reads files, imports Jinja or formats HTML. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from controller.catalog.catalog import Catalog, Entry
from controller.catalog.models import Analysis, CodeVersion, Dataset, Quality, RunList, Wagon
from controller.records import TrainRecord

PageKind = Literal["analysis", "dataset", "runlist", "train"]
FOLDERS: dict[PageKind, str] = {
    "analysis": "analyses",
    "dataset": "datasets",
    "runlist": "runlists",
    "train": "trains",
}
FAILED_JOB_STATES = ("failed", "lost", "cancelled")
QUALITY_ORDER = (Quality.GOOD, Quality.LIMITED, Quality.BAD)


def file_name(name: str) -> str:
    """``name`` made safe as a file name and URL segment (catalog names already are)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "_"


def page_path(kind: PageKind, name: str) -> str:
    """Where the page of one object lives, relative to the site root, with '/' separators."""
    return f"{FOLDERS[kind]}/{file_name(name)}.html"


def wagon_anchor(ref: str) -> str:
    """The page and anchor of wagon 'analysis/wagon' on its analysis page."""
    analysis, _, wagon = ref.partition("/")
    return f"{page_path('analysis', analysis)}#wagon-{file_name(wagon)}"


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


Histogram = Hist1D | Hist2D


@dataclass(frozen=True)
class WagonOutput:
    """The histograms of one wagon directory of ``AnalysisResults.root``."""

    directory: str
    histograms: tuple[Histogram, ...]


@dataclass(frozen=True)
class TrainOutput:
    """What a train's merged output holds, or plainly why it cannot be shown."""

    path: str
    wagons: tuple[WagonOutput, ...] = ()
    provenance: str = ""
    problem: str | None = None
    sha256_ok: bool | None = None


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class TrainSummary:
    """One row of a trains table: the record and what is counted from it."""

    record: TrainRecord
    jobs_done: int
    jobs_failed: int
    turnaround: timedelta | None

    @property
    def train_id(self) -> str:
        return self.record.train_id


def summarize(record: TrainRecord) -> TrainSummary:
    done = sum(1 for j in record.jobs if j.state == "done")
    failed = sum(1 for j in record.jobs if j.state in FAILED_JOB_STATES)
    turnaround = record.finished - record.created if record.finished else None
    return TrainSummary(record, done, failed, turnaround)


@dataclass(frozen=True)
class UsageRow:
    directory: str
    cpu_s: float
    events: int
    output_bytes: int
    cpu_ms_per_event: float | None
    over_limit: bool


@dataclass(frozen=True)
class TrainPage:
    summary: TrainSummary
    usage: tuple[UsageRow, ...]
    output: TrainOutput
    no_histograms: tuple[str, ...]  # wagon directories of the train absent from the output


@dataclass(frozen=True)
class WagonView:
    ref: str
    entry: Entry[Wagon]
    depends_on: tuple[str, ...]  # full 'analysis/wagon' refs


@dataclass(frozen=True)
class AnalysisPage:
    name: str
    entry: Entry[Analysis]
    wagons: tuple[WagonView, ...]
    trains: tuple[TrainSummary, ...]


@dataclass(frozen=True)
class EnabledWagon:
    ref: str
    code: CodeVersion


@dataclass(frozen=True)
class DatasetPage:
    name: str
    entry: Entry[Dataset]
    wagons: tuple[EnabledWagon, ...]
    trains: tuple[TrainSummary, ...]


@dataclass(frozen=True)
class RunListPage:
    name: str
    entry: Entry[RunList]
    counts: Mapping[str, int]  # quality -> runs
    datasets: tuple[str, ...]


@dataclass(frozen=True)
class Counts:
    analyses: int
    wagons: int
    datasets: int
    runs: int
    trains: int


@dataclass(frozen=True)
class Site:
    generated: datetime
    counts: Counts
    trains: tuple[TrainSummary, ...]  # newest first
    analyses: tuple[AnalysisPage, ...]
    datasets: tuple[DatasetPage, ...]
    runlists: tuple[RunListPage, ...]
    train_pages: tuple[TrainPage, ...]
    names: Mapping[PageKind, frozenset[str]] = field(default_factory=dict)
    wagon_refs: frozenset[str] = frozenset()

    def has(self, kind: PageKind, name: str) -> bool:
        """Whether the site has a page for ``name``: links to anything else are left out."""
        return name in self.names.get(kind, frozenset())


def _usage(record: TrainRecord, cpu_limit_ms: float | None) -> tuple[UsageRow, ...]:
    rows = []
    for u in record.wagon_usage:
        per_event = 1000.0 * u.cpu_s / u.events if u.events else None
        over = per_event is not None and cpu_limit_ms is not None and per_event > cpu_limit_ms
        rows.append(UsageRow(u.directory, u.cpu_s, u.events, u.output_bytes, per_event, over))
    return tuple(rows)


def _train_page(catalog: Catalog, summary: TrainSummary, output: TrainOutput) -> TrainPage:
    record = summary.record
    ds = catalog.datasets.get(record.dataset)
    limit = ds.model.limits.cpu_ms_per_event if ds else None
    present = {w.directory for w in output.wagons}
    missing = tuple(w.directory for w in record.wagons if w.directory not in present)
    return TrainPage(summary, _usage(record, limit), output, missing if not output.problem else ())


def _of(ref: str, analysis: str) -> bool:
    return ref.partition("/")[0] == analysis


def _trains_where(trains: Iterable[TrainSummary], keep: set[str]) -> tuple[TrainSummary, ...]:
    return tuple(t for t in trains if t.train_id in keep)


def site_model(
    catalog: Catalog,
    records: Iterable[TrainRecord],
    outputs: Mapping[str, TrainOutput],
    generated: datetime,
) -> Site:
    """The whole site as data; ``outputs`` maps train ids to their gathered outputs."""
    newest_first = sorted(records, key=lambda r: r.created, reverse=True)
    trains = tuple(summarize(r) for r in newest_first)
    analyses = []
    for name, entry in sorted(catalog.analyses.items()):
        views = tuple(
            WagonView(ref, w, tuple(catalog.resolve_ref(name, d) for d in w.model.depends_on))
            for ref, w in sorted(catalog.wagons_of(name).items())
        )
        ran = {t.train_id for t in trains if any(_of(w.ref, name) for w in t.record.wagons)}
        analyses.append(AnalysisPage(name, entry, views, _trains_where(trains, ran)))
    datasets = []
    for name, ds_entry in sorted(catalog.datasets.items()):
        ran = {t.train_id for t in trains if t.record.dataset == name}
        wagons = tuple(
            EnabledWagon(ref, e.code)
            for ref in catalog.enabled_on(name)
            for e in catalog.wagons[ref].model.enabled
            if e.dataset == name
        )
        datasets.append(DatasetPage(name, ds_entry, wagons, _trains_where(trains, ran)))
    runlists = []
    for name, rl_entry in sorted(catalog.runlists.items()):
        listed = rl_entry.model.runs
        quality = {q.value: sum(1 for r in listed if r.quality is q) for q in QUALITY_ORDER}
        using = tuple(d for d, e in sorted(catalog.datasets.items()) if e.model.runlist == name)
        runlists.append(RunListPage(name, rl_entry, quality, using))
    missing = TrainOutput(path="", problem="the site generator was given no output for this train")
    pages = tuple(_train_page(catalog, t, outputs.get(t.train_id, missing)) for t in trains)
    runs = {r.run for e in catalog.runlists.values() for r in e.model.runs}
    counts = Counts(
        len(catalog.analyses), len(catalog.wagons), len(catalog.datasets), len(runs), len(trains)
    )
    names: dict[PageKind, frozenset[str]] = {
        "analysis": frozenset(catalog.analyses),
        "dataset": frozenset(catalog.datasets),
        "runlist": frozenset(catalog.runlists),
        "train": frozenset(t.train_id for t in trains),
    }
    return Site(
        generated=generated,
        counts=counts,
        trains=trains,
        analyses=tuple(analyses),
        datasets=tuple(datasets),
        runlists=tuple(runlists),
        train_pages=pages,
        names=names,
        wagon_refs=frozenset(catalog.wagons),
    )
