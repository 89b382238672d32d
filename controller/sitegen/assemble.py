"""Assemble the whole site model from what was read: catalog, train records, wagon tests and
the catalog's change history. Every page's data is worked out here, once, so templates only
format. Pure: no files, no git, no Jinja.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from controller.catalog.catalog import Catalog
from controller.catalog.models import Quality
from controller.records import TrainRecord
from controller.sitegen.dashboard import dashboard
from controller.sitegen.model import (
    AnalysisPage,
    Change,
    Counts,
    DatasetPage,
    Download,
    EnabledWagon,
    MemberPage,
    PageKind,
    RunListPage,
    Site,
    TestCell,
    TestRun,
    TrainOutput,
    TrainSummary,
    UsageRow,
    WagonPage,
    WagonTrainRow,
    summarize,
)
from controller.sitegen.trainpage import train_page

QUALITY_ORDER = (Quality.GOOD, Quality.LIMITED, Quality.BAD)
MEMBER_TRAINS = 20


@dataclass(frozen=True)
class SiteInputs:
    """Everything a build reads, already parsed; ``generated`` is the newest input's time."""

    catalog: Catalog
    records: Sequence[TrainRecord]
    outputs: Mapping[str, TrainOutput]
    generated: datetime
    catalog_commit: str = ""
    tests: Sequence[TestRun] = ()
    changes: Mapping[str, tuple[Change, ...]] = field(default_factory=dict)
    unsent: Sequence[tuple[str, str]] = ()  # (subject, error) of e-mails that failed
    file_bytes: Mapping[str, int] = field(default_factory=dict)  # input file -> size
    downloads: Mapping[str, tuple[Download, ...]] = field(default_factory=dict)
    raw_records: Mapping[str, bytes] = field(default_factory=dict)  # as stored in git
    title: str = "wagonyard"
    repo_url: str | None = None


def _tests_by_key(tests: Sequence[TestRun]) -> dict[tuple[str, str], list[TestRun]]:
    """(dataset, case name) -> its tests, newest first."""
    by: dict[tuple[str, str], list[TestRun]] = defaultdict(list)
    for t in sorted(tests, key=lambda t: (t.created, t.test_id), reverse=True):
        by[(t.case.dataset, t.case.name)].append(t)
    return by


def _wagon_pages(
    inputs: SiteInputs,
    trains: tuple[TrainSummary, ...],
    tests: Mapping[tuple[str, str], list[TestRun]],
    usage_of: Mapping[tuple[str, str], list[UsageRow]],  # (train, wagon ref) -> its rows
) -> dict[str, WagonPage]:
    catalog = inputs.catalog
    dependents: dict[str, list[str]] = defaultdict(list)
    depends: dict[str, tuple[str, ...]] = {}
    for ref, entry in catalog.wagons.items():
        analysis = ref.partition("/")[0]
        depends[ref] = tuple(catalog.resolve_ref(analysis, d) for d in entry.model.depends_on)
        for d in depends[ref]:
            dependents[d].append(ref)
    ran_in: dict[str, list[TrainSummary]] = defaultdict(list)
    for t in trains:
        for ref in {w.ref for w in t.record.wagons}:
            ran_in[ref].append(t)
    group = {name: e.model.group for name, e in catalog.analyses.items()}
    pages: dict[str, WagonPage] = {}
    for ref, entry in sorted(catalog.wagons.items()):
        analysis = ref.partition("/")[0]
        enabled = tuple(EnabledWagon(ref, e.code) for e in entry.model.enabled)
        cells = tuple(
            TestCell(e.dataset, next(iter(tests.get((e.dataset, ref), [])), None))
            for e in entry.model.enabled
        )
        history = sorted(
            (t for e in entry.model.enabled for t in tests.get((e.dataset, ref), [])),
            key=lambda t: (t.created, t.test_id),
            reverse=True,
        )
        newest = next((t for t in history if t.case.wagons), None)
        effective: tuple[tuple[str, Mapping[str, object]], ...] = ()
        if newest is not None:
            effective = tuple((w.directory, w.config) for w in newest.case.wagons if w.ref == ref)
        rows = tuple(
            WagonTrainRow(t, tuple(usage_of.get((t.train_id, ref), ())))
            for t in ran_in.get(ref, [])
        )
        pages[ref] = WagonPage(
            ref=ref,
            analysis=analysis,
            group=group.get(analysis, ""),
            entry=entry,
            depends_on=depends[ref],
            dependents=tuple(sorted(dependents.get(ref, []))),
            enabled=enabled,
            effective=effective,
            effective_from=newest,
            tests=cells,
            history=tuple(history),
            trains=rows,
            changes=inputs.changes.get(entry.path, ()),
        )
    return pages


def site_model(inputs: SiteInputs) -> Site:
    """The whole site as data."""
    catalog = inputs.catalog
    newest_first = sorted(inputs.records, key=lambda r: (r.created, r.train_id), reverse=True)
    trains = tuple(summarize(r) for r in newest_first)
    tests = _tests_by_key(inputs.tests)

    previous: dict[str, TrainSummary | None] = {}
    last_on: dict[str, TrainSummary] = {}
    for t in reversed(trains):  # oldest first: the previous done train on the same dataset
        previous[t.train_id] = last_on.get(t.record.dataset)
        if t.record.state == "done":
            last_on[t.record.dataset] = t
    train_pages = tuple(
        train_page(
            catalog,
            t,
            inputs.outputs,
            previous[t.train_id],
            tests,
            inputs.downloads.get(t.train_id, ()),
        )
        for t in trains
    )
    usage_of: dict[tuple[str, str], list[UsageRow]] = defaultdict(list)
    for page in train_pages:
        for u in page.usage:
            usage_of[(page.summary.train_id, u.ref)].append(u)
    wagon_pages = _wagon_pages(inputs, trains, tests, usage_of)

    by_analysis: dict[str, list[TrainSummary]] = defaultdict(list)
    by_dataset: dict[str, list[TrainSummary]] = defaultdict(list)
    for t in trains:
        for analysis in sorted({w.ref.partition("/")[0] for w in t.record.wagons}):
            by_analysis[analysis].append(t)
        by_dataset[t.record.dataset].append(t)
    wagons_of: dict[str, list[WagonPage]] = defaultdict(list)
    for p in wagon_pages.values():
        wagons_of[p.analysis].append(p)
    analyses = [
        AnalysisPage(
            name,
            entry,
            tuple(wagons_of.get(name, [])),
            tuple(by_analysis.get(name, [])),
            inputs.changes.get(entry.path, ()),
        )
        for name, entry in sorted(catalog.analyses.items())
    ]

    logins = sorted({m for a in analyses for m in a.entry.model.members})
    members = []
    for login in logins:
        theirs = tuple(a for a in analyses if login in a.entry.model.members)
        candidates = {t.train_id: t for a in theirs for t in a.trains[:MEMBER_TRAINS]}
        latest = sorted(candidates.values(), key=lambda t: (t.record.created, t.train_id))
        members.append(MemberPage(login, theirs, tuple(latest[::-1][:MEMBER_TRAINS])))

    datasets = []
    for name, ds_entry in sorted(catalog.datasets.items()):
        ran = tuple(by_dataset.get(name, []))
        enabled = tuple(
            EnabledWagon(ref, e.code)
            for ref in catalog.enabled_on(name)
            for e in catalog.wagons[ref].model.enabled
            if e.dataset == name
        )
        latest_tests = {w.ref: tests[(name, w.ref)][0] for w in enabled if tests.get((name, w.ref))}
        done = next((t.record for t in ran if t.record.state == "done" and t.record.jobs), None)
        files = events = size = None
        if done is not None:
            paths = {s.path for j in done.jobs for s in j.files}
            files, events = len(paths), done.events_processed
            sizes = [inputs.file_bytes.get(p) for p in paths]
            size = (
                sum(s for s in sizes if s is not None)
                if all(s is not None for s in sizes)
                else None
            )
        datasets.append(
            DatasetPage(
                name,
                ds_entry,
                enabled,
                latest_tests,
                ran,
                files,
                events,
                size,
                inputs.changes.get(ds_entry.path, ()),
            )
        )

    runlists = []
    for name, rl_entry in sorted(catalog.runlists.items()):
        listed = rl_entry.model.runs
        quality = {q.value: sum(1 for r in listed if r.quality is q) for q in QUALITY_ORDER}
        using = tuple(d.name for d in datasets if d.entry.model.runlist == name)
        wagons = tuple(
            (d.name, w.ref, d.tests.get(w.ref))
            for d in datasets
            if d.entry.model.runlist == name
            for w in d.wagons
        )
        runlists.append(
            RunListPage(
                name, rl_entry, quality, using, wagons, inputs.changes.get(rl_entry.path, ())
            )
        )

    runs = {r.run for e in catalog.runlists.values() for r in e.model.runs}
    counts = Counts(
        len(catalog.analyses),
        len(catalog.wagons),
        len(catalog.datasets),
        len(runs),
        len(trains),
        len(logins),
    )
    names: dict[PageKind, frozenset[str]] = {
        "analysis": frozenset(catalog.analyses),
        "dataset": frozenset(catalog.datasets),
        "runlist": frozenset(catalog.runlists),
        "train": frozenset(t.train_id for t in trains),
        "wagon": frozenset(catalog.wagons),
        "member": frozenset(logins),
    }
    board = dashboard(
        catalog,
        trains,
        [w for w in wagon_pages.values()],
        inputs.unsent,
        inputs.generated,
    )
    return Site(
        title=inputs.title,
        generated=inputs.generated,
        catalog_commit=inputs.catalog_commit,
        repo_url=inputs.repo_url.rstrip("/") if inputs.repo_url else None,
        counts=counts,
        dashboard=board,
        trains=trains,
        analyses=tuple(analyses),
        wagons=tuple(wagon_pages.values()),
        members=tuple(members),
        datasets=tuple(datasets),
        runlists=tuple(runlists),
        train_pages=train_pages,
        names=names,
    )
