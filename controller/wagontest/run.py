"""Run the wagon tests of some datasets as separate processes with a timeout, and judge them.

For each dataset: the baseline (reading only), each selected wagon alone (with its
dependencies), the full train, and the merge test (two jobs over the halves of the test
sample, merged wagon by wagon). Each runs as ``python -m controller job`` with its log
captured, its memory and CPU sampled, and a command that reproduces it.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.catalog.models import Dataset
from controller.config import Storage
from controller.engine.files import input_files, run_filter
from controller.engine.merge import add_into
from controller.engine.output import read_output
from controller.errors import DataError, MergeError, WagonyardError
from controller.job import JobSpec
from controller.records import FileSlice, WagonInTrain
from controller.secrets import Masker
from controller.wagontest.describe import FULL, REST, Described, describe, wagon_key
from controller.wagontest.interact import differences
from controller.wagontest.judge import Figures, figures, judge
from controller.wagontest.process import run_process
from controller.wagontest.report import (
    CaseKind,
    CaseReport,
    DatasetTests,
    Delta,
    TestReport,
    passed,
    thin,
)

Previous = Callable[[str, str], CaseReport | None]


def test_sample(
    catalog: Catalog, ds: Dataset, data_root: Path, storage: Storage | None = None
) -> list[FileSlice]:
    """The first ``test_sample.files`` files, cut at ``test_sample.events`` events."""
    files = input_files(catalog, ds, data_root, True, storage)[: ds.test_sample.files]
    remaining = ds.test_sample.events
    slices = []
    for f in files:
        entries = f.entries or 0
        n = entries if remaining is None else min(entries, remaining)
        slices.append(f.slice(0, n))
        if remaining is not None:
            remaining -= n
            if remaining <= 0:
                break
    return slices


def halves(slices: list[FileSlice]) -> tuple[list[FileSlice], list[FileSlice]]:
    """Split the slices into two parts of (nearly) the same number of events."""
    total = sum((s.entry_stop or 0) - s.entry_start for s in slices)
    first: list[FileSlice] = []
    second: list[FileSlice] = []
    room = total // 2
    for s in slices:
        n = (s.entry_stop or 0) - s.entry_start
        if room >= n:
            first.append(s)
            room -= n
        elif room > 0:
            cut = s.entry_start + room
            first.append(s.model_copy(update={"entry_stop": cut}))
            second.append(s.model_copy(update={"entry_start": cut}))
            room = 0
        else:
            second.append(s)
    return first, second


@dataclass
class DatasetRun:
    """The tests of one dataset, sharing the test sample and the baseline."""

    catalog: Catalog
    dataset: str
    sample: list[FileSlice]
    work: Path
    commit: str
    previous: Previous
    masker: Masker
    baseline: Figures | None = None
    outputs: dict[str, Path] = field(default_factory=dict)  # output file by test name

    @property
    def ds(self) -> Dataset:
        return self.catalog.datasets[self.dataset].model

    def spec(
        self, name: str, wagons: list[WagonInTrain], slices: list[FileSlice], read: list[str]
    ) -> JobSpec:
        events = sum((s.entry_stop or 0) - s.entry_start for s in slices)
        return JobSpec(
            name=name,
            train_id=f"test-{self.dataset}",
            catalog_dir=str(self.catalog.root.resolve()),
            catalog_commit=self.commit,
            dataset=self.dataset,
            tree=self.ds.tree,
            wagons=wagons,
            slices=slices,
            output_dir=str(self.work / self.dataset / name.replace("/", "__")),
            step=max(100, events // 20),
            skip_bad_files=self.ds.splitting.skip_bad_files,
            metrics_interval_s=0.05,
            sample_each_chunk=True,
            read_columns=read,
            run_filter=run_filter(self.catalog, self.ds),
            memory_mb=self.ds.limits.memory_mb,
        )

    def reproduce(self, name: str) -> str:
        base = f"wagonyard test --catalog {shlex.quote(str(self.catalog.root))} --dataset {self.dataset}"
        if "/" in name:
            return f"{base} --wagon {name}"
        return base

    def not_run(self, kind: CaseKind, name: str, why: str) -> CaseReport:
        """A test that could not start: its wagons could not be loaded."""
        report = CaseReport(
            kind=kind,
            name=name,
            dataset=self.dataset,
            status="failed",
            inputs=self.sample,
            reasons=[why],
            reproduce=self.reproduce(name),
        )
        before = self.previous(self.dataset, name)
        if before is not None:
            report.previous_status, report.previous = before.status, before.figures
        return report

    def case(
        self, kind: CaseKind, name: str, wagons: list[WagonInTrain], read: list[str] | None = None
    ) -> CaseReport:
        spec = self.spec(name if kind != "train" else "full-train", wagons, self.sample, read or [])
        outcome = run_process(spec, self.ds.limits.test_timeout_s, self.masker)
        report = CaseReport(
            kind=kind,
            name=name,
            dataset=self.dataset,
            status="failed",
            wagons=wagons,
            inputs=self.sample,
            log=outcome.log,
            log_path=str(Path(spec.output_dir) / "log"),
            reproduce=self.reproduce(name),
        )
        before = self.previous(self.dataset, name)
        if before is not None:
            report.previous_status, report.previous = before.status, before.figures
        if not outcome.ok or outcome.report is None:
            report.reasons = [outcome.message]
            return report
        self.outputs[name] = Path(outcome.report.output)
        f = figures(
            outcome.samples,
            outcome.report.events,
            outcome.report.wall_s,
            outcome.report.output_bytes,
            outcome.log_bytes,
            sum(w.cpu_s for w in outcome.report.wagons),
            outcome.report.other_threads_cpu_s,
        )
        report.figures = f
        report.samples = thin(outcome.samples)
        own_cpu = None
        if self.baseline is not None and kind != "baseline":
            report.delta = Delta(
                cpu_ms_per_event=round(f.cpu_ms_per_event - self.baseline.cpu_ms_per_event, 5),
                max_pss_mb=round(f.max_pss_mb - self.baseline.max_pss_mb, 2),
                output_bytes=f.output_bytes - self.baseline.output_bytes,
            )
            if kind == "wagon":  # its own code, and the threads it started (over the baseline's)
                extra = (
                    f.other_threads_cpu_ms_per_event - self.baseline.other_threads_cpu_ms_per_event
                )
                own_cpu = round(f.wagon_cpu_ms_per_event + max(0.0, extra), 5)
        report.status, report.reasons = judge(f, self.ds.limits, own_cpu)
        return report


def merge_case(run: DatasetRun, wagons: list[WagonInTrain]) -> tuple[CaseReport, dict[str, str]]:
    """Two jobs over the halves of the sample, merged wagon by wagon; failures by wagon."""
    first, second = halves(run.sample)
    case = CaseReport(
        kind="merge",
        name="merge",
        dataset=run.dataset,
        status="failed",
        wagons=wagons,
        inputs=run.sample,
        reproduce=run.reproduce("merge"),
    )
    outputs = []
    for label, slices in (("merge-a", first), ("merge-b", second)):
        spec = run.spec(label, wagons, slices, [])
        outcome = run_process(spec, run.ds.limits.test_timeout_s, run.masker)
        if not outcome.ok or outcome.report is None:
            case.reasons = [f"{label}: {outcome.message}"]
            return case, {}
        outputs.append(Path(outcome.report.output))
    owner = {w.directory: w.ref for w in wagons}
    bad: dict[str, str] = {}
    try:
        a, _ = read_output(outputs[0])
        b, _ = read_output(outputs[1])
    except DataError as exc:
        case.reasons = [str(exc)]
        return case, {}
    for directory in sorted(set(a) | set(b)):
        try:
            add_into(
                {directory: dict(a.get(directory, {}))},
                {directory: b.get(directory, {})} if directory in b else {},
                str(outputs[0]),
                str(outputs[1]),
            )
        except MergeError as exc:
            ref = owner.get(directory, directory)
            bad.setdefault(ref, f"outputs do not merge: {exc}")
    case.status = "failed" if bad else "done"
    case.reasons = [f"{ref}: {why}" for ref, why in sorted(bad.items())]
    return case, bad


def run_tests(
    catalog: Catalog,
    selected: dict[str, str],
    data_root: Path,
    work: Path,
    commit: str,
    previous: Previous = lambda dataset, name: None,
    datasets: list[str] | None = None,
    code_dirs: dict[str, dict[str, str]] | None = None,
    storage: Storage | None = None,
) -> TestReport:
    """Test the selected wagons ('analysis/wagon' -> why) on every dataset they are enabled on.

    ``code_dirs`` gives, by dataset, the catalog a wagon's code is imported from (its tag's or
    pull request's commit, materialised); by default the catalog's own.
    """
    concerned = datasets or sorted(
        {e.dataset for ref in selected for e in catalog.wagons[ref].model.enabled}
    )
    if not concerned:
        raise WagonyardError("nothing to test: the selected wagons are enabled on no dataset")
    now = datetime.now(UTC)
    test_id = f"test-{now:%Y%m%d-%H%M%S}"
    work = work.resolve()  # jobs run in their own directories: every path they get is absolute
    work.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f"{test_id}-", dir=work))  # never an earlier run's
    masker = Masker.of(os.environ)
    results = []
    for dataset in concerned:
        ds = catalog.datasets[dataset].model
        try:
            sample = test_sample(catalog, ds, data_root, storage)
        except WagonyardError as exc:  # no files, unreadable files: say so, test the rest
            cases = [_unreadable(dataset, str(exc))]
            for ref in sorted(r for r in selected if r in catalog.enabled_on(dataset)):
                # each tested wagon's own result: failed, for the reason its dataset gives
                cases.append(cases[0].model_copy(update={"kind": "wagon", "name": ref}))
            results.append(DatasetTests(dataset=dataset, cases=cases))
            continue
        run = DatasetRun(catalog, dataset, sample, fresh, commit, previous, masker)
        tested = sorted(r for r in selected if r in catalog.enabled_on(dataset))
        # the full train is what the controller would compose with these wagons in it: the
        # tested ones and every other enabled wagon whose latest test passed
        others = [r for r in catalog.enabled_on(dataset) if r not in selected]
        passing = [r for r in others if passed(previous(dataset, r))]
        code = (code_dirs or {}).get(dataset, {})
        plans = describe(
            catalog, dataset, tested, passing, fresh / dataset / "describe", masker, code
        )
        full_plan = plans.get(FULL, "no wagon could be loaded")
        full = full_plan.wagons if isinstance(full_plan, Described) else []
        read = full_plan.columns if isinstance(full_plan, Described) else []
        cases = [run.case("baseline", "baseline", [], read=read)]
        run.baseline = cases[0].figures
        statuses: dict[str, CaseReport] = {}
        for ref in tested:
            plan = plans.get(wagon_key(ref), "it could not be loaded")
            if isinstance(plan, Described):
                statuses[ref] = run.case("wagon", ref, plan.wagons)
            else:
                statuses[ref] = run.not_run("wagon", ref, plan)
            cases.append(statuses[ref])
        if isinstance(full_plan, Described):
            train = run.case("train", "full train", full)
        else:
            train = run.not_run("train", "full train", full_plan)
        not_loaded = sorted(r for r in tested if not isinstance(plans.get(wagon_key(r)), Described))
        if not_loaded and isinstance(full_plan, Described):
            train.reasons.append(f"left out, could not be loaded: {', '.join(not_loaded)}")
        left_out = sorted(set(others) - set(passing))
        if left_out:
            train.reasons.append(
                f"left out, no passing test recorded: {', '.join(left_out)} (the controller "
                "composes only wagons whose latest test is done or warning)"
            )
        if passed(train):
            _check_interactions(run, train, statuses, full, plans.get(REST), passing)
        cases.append(train)
        healthy = [
            w for w in full if statuses.get(w.ref) is None or statuses[w.ref].status != "failed"
        ]
        merge, bad = merge_case(run, healthy)
        cases.append(merge)
        for ref, why in bad.items():
            if ref in statuses:
                statuses[ref].status = "failed"
                statuses[ref].reasons.append(why)
        results.append(DatasetTests(dataset=dataset, cases=cases))
    return TestReport(
        test_id=test_id,
        created=now,
        catalog_commit=commit,
        selected=selected,
        datasets=results,
    )


def _check_interactions(
    run: DatasetRun,
    train: CaseReport,
    alone: dict[str, CaseReport],
    full: list[WagonInTrain],
    rest: Described | str | None,
    untested: list[str],
) -> None:
    """Fail the full train if a wagon's histograms there differ from its histograms alone.

    A tested wagon is compared with its own test; the wagons not tested now with a train of
    just them (one more job), so a changed wagon that alters an unchanged one is caught too.
    """
    references: list[tuple[list[str], Path]] = [
        ([w.directory for w in full if w.ref == ref], run.outputs[ref])
        for ref, case in sorted(alone.items())
        if passed(case) and ref in run.outputs
    ]
    if untested and not isinstance(rest, Described):
        train.reasons.append(
            f"the wagons not tested now could not be checked for interactions: {rest}"
        )
    elif untested and isinstance(rest, Described):
        spec = run.spec("train-without-tested", rest.wagons, run.sample, [])
        outcome = run_process(spec, run.ds.limits.test_timeout_s, run.masker)
        if outcome.report is None:
            train.reasons.append(
                "the wagons not tested now could not be checked for interactions: their train "
                f"alone failed ({outcome.message})"
            )
        else:
            enabled = {w.directory for w in rest.wagons if w.ref in untested}
            references.append((sorted(enabled), Path(outcome.report.output)))
    try:
        in_train, _ = read_output(run.outputs["full train"])
        found: dict[str, list[str]] = {}
        for directories, path in references:
            found.update(differences(in_train, read_output(path)[0], directories))
    except (DataError, KeyError) as exc:
        train.status = "failed"
        train.reasons.append(f"the interaction check could not read an output: {exc}")
        return
    if not found:
        return
    train.status = "failed"
    others = sorted({w.ref for w in full})
    for directory, names in sorted(found.items()):
        train.reasons.append(
            f"interaction: {directory} fills {', '.join(names)} differently in the full train "
            f"than alone over the same events; wagons in the train: {', '.join(others)} "
            f"(tested now: {', '.join(sorted(alone)) or 'none'}); a wagon changed shared state "
            "or another wagon's input, or is not deterministic"
        )


def _unreadable(dataset: str, why: str) -> CaseReport:
    return CaseReport(
        kind="baseline",
        name="baseline",
        dataset=dataset,
        status="failed",
        reasons=[f"the test sample cannot be read: {why}"],
    )


def test_train(
    catalog: Catalog,
    dataset: str,
    wagons: list[WagonInTrain],
    data_root: Path,
    work: Path,
    commit: str,
    storage: Storage | None = None,
) -> list[CaseReport]:
    """A composed train's own test before submission: the full train and the merge."""
    ds = catalog.datasets[dataset].model
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f"train-test-{dataset}-", dir=work))
    try:
        sample = test_sample(catalog, ds, data_root, storage)
    except WagonyardError as exc:
        return [_unreadable(dataset, str(exc))]
    run = DatasetRun(
        catalog, dataset, sample, fresh, commit, lambda d, n: None, Masker.of(os.environ)
    )
    train = run.case("train", "full train", wagons)
    if not passed(train):
        return [train]
    merge, _ = merge_case(run, wagons)
    return [train, merge]
