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
from controller.sitegen.dashboard import dashboard
from controller.sitegen.model import (
    AnalysisPage,
    Change,
    Counts,
    DatasetFiles,
    DatasetPage,
    EnabledWagon,
    Frame,
    MemberPage,
    Records,
    RunListPage,
    Site,
    TestCell,
    TestRun,
    TrainSummary,
    WagonPage,
    WagonTrainRow,
)

QUALITY_ORDER = (Quality.GOOD, Quality.LIMITED, Quality.BAD)
MEMBER_TRAINS = 20
WAGON_TRAINS = 30  # the newest trains a wagon's page lists


@dataclass(frozen=True)
class SiteInputs:
    """Everything a build reads, already parsed; ``generated`` is the newest input's time."""

    catalog: Catalog
    records: Records
    generated: datetime
    catalog_commit: str = ""
    tests: Sequence[TestRun] = ()
    changes: Mapping[str, tuple[Change, ...]] = field(default_factory=dict)
    unsent: Sequence[tuple[str, str]] = ()  # (subject, error) of e-mails that failed
    title: str = "wagonyard"
    repo_url: str | None = None


def tests_by_key(tests: Sequence[TestRun]) -> dict[tuple[str, str], list[TestRun]]:
    """(dataset, case name) -> its tests, newest first."""
    by: dict[tuple[str, str], list[TestRun]] = defaultdict(list)
    for t in sorted(tests, key=lambda t: (t.created, t.test_id), reverse=True):
        by[(t.case.dataset, t.case.name)].append(t)
    return by


def _wagon_pages(
    inputs: SiteInputs,
    trains: tuple[TrainSummary, ...],
    tests: Mapping[tuple[str, str], list[TestRun]],
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
    # a wagon's tests on every dataset, also those it is no longer enabled on (its history)
    tested: dict[str, list[TestRun]] = defaultdict(list)
    for (_, name), runs in tests.items():
        tested[name] += runs
    pages: dict[str, WagonPage] = {}
    for ref, entry in sorted(catalog.wagons.items()):
        analysis = ref.partition("/")[0]
        enabled = tuple(EnabledWagon(ref, e.code) for e in entry.model.enabled)
        cells = tuple(
            TestCell(e.dataset, next(iter(tests.get((e.dataset, ref), [])), None))
            for e in entry.model.enabled
        )
        history = sorted(
            tested.get(ref, []), key=lambda t: (t.created, t.test_id, t.case.dataset), reverse=True
        )
        newest = next((t for t in history if t.case.wagons), None)
        effective: tuple[tuple[str, Mapping[str, object]], ...] = ()
        if newest is not None:
            effective = tuple((w.directory, w.config) for w in newest.case.wagons if w.ref == ref)
        ran = ran_in.get(ref, [])
        rows = tuple(  # the newest only: 800,000 rows on a big site, 30 shown a wagon
            WagonTrainRow(t, tuple(u for u in t.usage if u.ref == ref)) for t in ran[:WAGON_TRAINS]
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
            trains_total=len(ran),
            changes=inputs.changes.get(entry.path, ()),
        )
    return pages


def frame(inputs: SiteInputs, trains: frozenset[str] = frozenset()) -> Frame:
    """What every page shows around its content; ``trains``: the ids of the site's trains."""
    catalog = inputs.catalog
    return Frame(
        title=inputs.title,
        generated=inputs.generated,
        catalog_commit=inputs.catalog_commit,
        repo_url=inputs.repo_url.rstrip("/") if inputs.repo_url else None,
        names={
            "analysis": frozenset(catalog.analyses),
            "dataset": frozenset(catalog.datasets),
            "runlist": frozenset(catalog.runlists),
            "train": trains,
            "wagon": frozenset(catalog.wagons),
            "member": frozenset(m for e in catalog.analyses.values() for m in e.model.members),
        },
    )


def site_model(
    inputs: SiteInputs,
    trains: Sequence[TrainSummary],
    files: Mapping[str, DatasetFiles],
    tests: Mapping[tuple[str, str], list[TestRun]],
) -> Site:
    """The whole site as data but the trains' own pages: ``trains`` newest first (from the
    shards, with their usage), ``files``: per dataset the files of its newest done train,
    ``tests``: ``tests_by_key``."""
    catalog = inputs.catalog
    trains = tuple(trains)
    wagon_pages = _wagon_pages(inputs, trains, tests)

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
        found = files.get(name)
        count, events, size = (found.files, found.events, found.size) if found else (None,) * 3
        datasets.append(
            DatasetPage(
                name,
                ds_entry,
                enabled,
                latest_tests,
                ran,
                count,
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
    board = dashboard(
        catalog,
        trains,
        [w for w in wagon_pages.values()],
        inputs.unsent,
        inputs.generated,
    )
    shown = frame(inputs, frozenset(t.train_id for t in trains))
    return Site(
        title=shown.title,
        generated=shown.generated,
        catalog_commit=shown.catalog_commit,
        repo_url=shown.repo_url,
        names=shown.names,
        counts=counts,
        dashboard=board,
        trains=trains,
        analyses=tuple(analyses),
        wagons=tuple(wagon_pages.values()),
        members=tuple(members),
        datasets=tuple(datasets),
        runlists=tuple(runlists),
    )
