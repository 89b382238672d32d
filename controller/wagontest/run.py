"""Run the wagon tests of some datasets as separate processes with a timeout, and judge them.

For each dataset: the baseline (reading only), each selected wagon alone (with its
dependencies), the full train, and the merge test (two jobs over the halves of the test
sample, merged wagon by wagon). Each runs as ``python -m controller job`` with its log
captured, its memory and CPU sampled, and a command that reproduces it.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.catalog.models import Dataset
from controller.engine.files import input_files, run_filter
from controller.engine.merge import add_into
from controller.engine.output import read_output
from controller.engine.plan import instance_of, plan_train
from controller.engine.train import columns_to_read, load_wagons
from controller.errors import DataError, MergeError, WagonyardError
from controller.job import JobSpec
from controller.records import FileSlice, JobReport, WagonInTrain
from controller.wagontest.interact import differences
from controller.wagontest.judge import Figures, Sample, figures, judge
from controller.wagontest.report import (
    CaseKind,
    CaseReport,
    DatasetTests,
    Delta,
    TestReport,
    passed,
)

LOG_HEAD, LOG_TAIL = 2_000, 8_000
Previous = Callable[[str, str], CaseReport | None]


@dataclass
class Outcome:
    """What one test process did."""

    ok: bool
    message: str
    report: JobReport | None
    samples: list[Sample] = field(default_factory=list)
    log_bytes: int = 0
    log: str = ""


def test_sample(catalog: Catalog, ds: Dataset, data_root: Path) -> list[FileSlice]:
    """The first ``test_sample.files`` files, cut at ``test_sample.events`` events."""
    files = input_files(catalog, ds, data_root, count=True)[: ds.test_sample.files]
    remaining = ds.test_sample.events
    slices = []
    for f in files:
        entries = f.entries or 0
        n = entries if remaining is None else min(entries, remaining)
        slices.append(
            FileSlice(path=f.path, entry_start=0, entry_stop=n, storage_element=f.storage_element)
        )
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


def _log_excerpt(path: Path) -> tuple[int, str]:
    size = path.stat().st_size if path.exists() else 0
    with path.open("rb") as f:
        if size <= LOG_HEAD + LOG_TAIL:
            return size, f.read().decode(errors="replace")
        head = f.read(LOG_HEAD)
        f.seek(size - LOG_TAIL)
        tail = f.read()
    cut = size - LOG_HEAD - LOG_TAIL
    return size, (
        head.decode(errors="replace")
        + f"\n[... {cut:,} bytes of the log left out ...]\n"
        + tail.decode(errors="replace")
    )


def _error_line(log: str) -> str:
    for line in reversed(log.splitlines()):
        if line.startswith("wagonyard: "):
            return line.removeprefix("wagonyard: ").removeprefix("error: ")
    lines = [line for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run_process(spec: JobSpec, timeout_s: float) -> Outcome:
    """Run ``spec`` as ``python -m controller job`` in its own session, killed at the timeout."""
    work = Path(spec.output_dir)
    work.mkdir(parents=True, exist_ok=True)
    spec_path = work / "job.json"
    spec_path.write_text(spec.model_dump_json(indent=1) + "\n")
    log_path = work / "log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "controller", "job", str(spec_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code, timed_out = proc.wait(), True
    log_bytes, text = _log_excerpt(log_path)
    outcome = Outcome(ok=False, message="", report=None, log_bytes=log_bytes, log=text)
    if timed_out:
        outcome.message = f"timeout: still running after {timeout_s:g} s; killed"
    elif code < 0:
        outcome.message = f"crashed: killed by signal {signal.Signals(-code).name}"
    elif code != 0:
        outcome.message = _error_line(text)
    else:
        try:
            outcome.report = JobReport.model_validate_json((work / "report.json").read_text())
            metrics = json.loads((work / "metrics.json").read_text())
            outcome.samples = [Sample.model_validate(s) for s in metrics["samples"]]
            outcome.ok = True
        except (OSError, ValueError) as exc:
            outcome.message = f"the job ended without its report: {exc}"
    return outcome


@dataclass
class DatasetRun:
    """The tests of one dataset, sharing the test sample and the baseline."""

    catalog: Catalog
    dataset: str
    sample: list[FileSlice]
    work: Path
    commit: str
    previous: Previous
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
        )

    def reproduce(self, name: str) -> str:
        base = f"wagonyard test --catalog {shlex.quote(str(self.catalog.root))} --dataset {self.dataset}"
        if "/" in name:
            return f"{base} --wagon {name}"
        return base

    def case(
        self, kind: CaseKind, name: str, wagons: list[WagonInTrain], read: list[str] | None = None
    ) -> CaseReport:
        spec = self.spec(name if kind != "train" else "full-train", wagons, self.sample, read or [])
        outcome = run_process(spec, self.ds.limits.test_timeout_s)
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
        )
        report.figures = f
        own_cpu = None
        if self.baseline is not None and kind != "baseline":
            report.delta = Delta(
                cpu_ms_per_event=round(f.cpu_ms_per_event - self.baseline.cpu_ms_per_event, 5),
                max_pss_mb=round(f.max_pss_mb - self.baseline.max_pss_mb, 2),
                output_bytes=f.output_bytes - self.baseline.output_bytes,
            )
            own_cpu = f.wagon_cpu_ms_per_event if kind == "wagon" else None
        report.status, report.reasons = judge(f, self.ds.limits, own_cpu)
        return report


def _instances(catalog: Catalog, dataset: str, refs: list[str] | None) -> list[WagonInTrain]:
    return [w.describe() for w in load_wagons(catalog.root, plan_train(catalog, dataset, refs))]


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
        outcome = run_process(run.spec(label, wagons, slices, []), run.ds.limits.test_timeout_s)
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
) -> TestReport:
    """Test the selected wagons ('analysis/wagon' -> why) on every dataset they are enabled on."""
    concerned = datasets or sorted(
        {e.dataset for ref in selected for e in catalog.wagons[ref].model.enabled}
    )
    if not concerned:
        raise WagonyardError("nothing to test: the selected wagons are enabled on no dataset")
    results = []
    for dataset in concerned:
        ds = catalog.datasets[dataset].model
        try:
            sample = test_sample(catalog, ds, data_root)
        except WagonyardError as exc:  # no files, unreadable files: say so, test the rest
            results.append(DatasetTests(dataset=dataset, cases=[_unreadable(dataset, str(exc))]))
            continue
        run = DatasetRun(catalog, dataset, sample, work, commit, previous)
        tested = sorted(r for r in selected if r in catalog.enabled_on(dataset))
        # the full train is what the controller would compose with these wagons in it: the
        # tested ones and every other enabled wagon whose latest test passed
        others = [r for r in catalog.enabled_on(dataset) if r not in selected]
        passing = [r for r in others if passed(previous(dataset, r))]
        full = _instances(catalog, dataset, tested + passing)
        cases = [run.case("baseline", "baseline", [], read=_columns(catalog, full))]
        run.baseline = cases[0].figures
        statuses: dict[str, CaseReport] = {}
        for ref in tested:
            statuses[ref] = run.case("wagon", ref, _instances(catalog, dataset, [ref]))
            cases.append(statuses[ref])
        train = run.case("train", "full train", full)
        left_out = sorted(set(others) - set(passing))
        if left_out:
            train.reasons.append(
                f"left out, no passing test recorded: {', '.join(left_out)} (the controller "
                "composes only wagons whose latest test is done or warning)"
            )
        if passed(train):
            _check_interactions(run, train, statuses, full, passing)
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
    now = datetime.now(UTC)
    return TestReport(
        test_id=f"test-{now:%Y%m%d-%H%M%S}",
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
    if untested:
        rest = _instances(run.catalog, run.dataset, untested)
        spec = run.spec("train-without-tested", rest, run.sample, [])
        outcome = run_process(spec, run.ds.limits.test_timeout_s)
        if outcome.report is None:
            train.reasons.append(
                "the wagons not tested now could not be checked for interactions: their train "
                f"alone failed ({outcome.message})"
            )
        else:
            enabled = {w.directory for w in rest if w.ref in untested}
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


def _columns(catalog: Catalog, wagons: list[WagonInTrain]) -> list[str]:
    return columns_to_read(load_wagons(catalog.root, [instance_of(w) for w in wagons]))
