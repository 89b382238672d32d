"""Compose a train over a dataset, run its jobs on a grid backend, and merge their outputs.

``compose`` plans the wagons, splits the dataset into jobs and writes each job's spec;
``run`` submits, polls, resubmits failed jobs up to the dataset's limit (recording every
attempt) and merges. The ``TrainRecord`` it keeps is the whole truth of the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.catalog.models import Dataset
from controller.engine.files import excluded_files, input_files, run_filter
from controller.engine.output import read_output
from controller.engine.plan import plan_train
from controller.engine.split import split_files
from controller.engine.train import load_wagons
from controller.errors import DataError, GridError
from controller.grid.base import FINAL_STATES, Backend, JobRequest
from controller.job import OUTPUT_NAME, JobSpec
from controller.logs import excerpt
from controller.policies import (
    EXPRESS_DONE_FRACTION,
    EXPRESS_FACTOR,
    LOCALITY_DONE_FRACTION,
    Timing,
    express_drop,
    relax_locality,
)
from controller.records import (
    Attempt,
    DroppedJob,
    ExcludedEvents,
    JobRecord,
    JobReport,
    MergeRecord,
    OutputFile,
    TrainRecord,
    WagonUsage,
)
from controller.secrets import Masker
from controller.versions import agreed

LOG_TAIL_BYTES = 4000


def _train_id(dataset: str, now: datetime, commit: str) -> str:
    digest = hashlib.sha256(f"{dataset}{now.isoformat()}{commit}".encode()).hexdigest()[:6]
    return f"{dataset}-{now:%Y%m%d-%H%M%S}-{digest}"


def compose(
    catalog: Catalog,
    dataset: str,
    catalog_commit: str,
    data_root: Path,
    output_root: Path,
    backend: str,
    wagons: list[str] | None = None,
    now: datetime | None = None,
) -> tuple[TrainRecord, list[JobSpec]]:
    """Plan the train and write one ``job.json`` per job under ``output_root/<train_id>``."""
    now = now or datetime.now(UTC)
    # jobs run elsewhere (another directory, another host): every path they get is absolute
    output_root, data_root = output_root.resolve(), data_root.resolve()
    instances = plan_train(catalog, dataset, wagons)  # refuses an unknown dataset
    ds = catalog.datasets[dataset].model
    described = [w.describe() for w in load_wagons(catalog.root, instances)]
    files = input_files(catalog, ds, data_root, count=True)  # the events of every job, known
    train_id = _train_id(dataset, now, catalog_commit)
    record = TrainRecord(
        train_id=train_id,
        dataset=dataset,
        catalog_commit=catalog_commit,
        backend=backend,
        created=now,
        wagons=described,
        excluded=excluded_files(catalog, ds, data_root),
    )
    runs = run_filter(catalog, ds)
    specs = []
    for index, slices in enumerate(split_files(files, ds.splitting)):
        name = f"{train_id}-j{index:04d}"
        job_dir = output_root / train_id / "jobs" / f"{index:04d}"
        spec = JobSpec(
            name=name,
            train_id=train_id,
            catalog_dir=str(catalog.root.resolve()),
            catalog_commit=catalog_commit,
            dataset=dataset,
            tree=ds.tree,
            wagons=described,
            slices=slices,
            output_dir=str(job_dir),
            skip_bad_files=ds.splitting.skip_bad_files,
            run_filter=runs,
            memory_mb=ds.limits.memory_mb,
        )
        job_dir.mkdir(parents=True, exist_ok=True)
        (job_dir / "job.json").write_text(spec.model_dump_json(indent=1) + "\n")
        specs.append(spec)
        record.jobs.append(JobRecord(index=index, name=name, files=slices))
    return record, specs


def _attempt_dir(spec: JobSpec, attempt: int) -> Path:
    return Path(spec.output_dir) / f"attempt-{attempt}"


def _tail(path: Path) -> str:
    """The end of a job's log, secrets masked."""
    return excerpt(path, 0, LOG_TAIL_BYTES, Masker.of(os.environ))[1]


@dataclass(frozen=True)
class RunPolicy:
    """How a train's jobs are run: attempts, limits, merging, turnaround (from the dataset)."""

    max_attempts: int = 3
    time_limit_s: int = 3600
    memory_mb: int = 2000
    poll_s: float = 0.5
    merge_fan_in: int = 16
    express: bool = False
    express_done_fraction: float = EXPRESS_DONE_FRACTION
    express_factor: float = EXPRESS_FACTOR
    relax_locality: bool = True
    locality_done_fraction: float = LOCALITY_DONE_FRACTION

    @classmethod
    def of(cls, ds: Dataset, poll_s: float = 0.5, merge_fan_in: int = 16) -> RunPolicy:
        return cls(
            max_attempts=ds.splitting.max_attempts,
            time_limit_s=ds.limits.job_timeout_s,
            memory_mb=ds.limits.memory_mb,
            poll_s=poll_s,
            merge_fan_in=merge_fan_in,
            express=ds.schedule.policy == "express",
            relax_locality=ds.schedule.relax_locality,
        )


Unit = JobRecord | MergeRecord


class _Run:
    """The state of one train run on a backend: what is submitted, what is left to do."""

    def __init__(
        self,
        record: TrainRecord,
        specs: list[JobSpec],
        backend: Backend,
        output_root: Path,
        policy: RunPolicy,
    ) -> None:
        self.record, self.backend, self.policy = record, backend, policy
        self.root = output_root.resolve() / record.train_id
        self.specs = {s.name: s for s in specs}
        self.units: dict[str, Unit] = {j.name: j for j in record.jobs}
        self.active: dict[str, str] = {}  # grid name -> unit name
        fan_in = policy.merge_fan_in
        self.groups = [record.jobs[i : i + fan_in] for i in range(0, len(record.jobs), fan_in)]

    # ------------------------------------------------------------------ submitting

    def _unit_dir(self, unit: Unit, number: int) -> Path:
        if isinstance(unit, JobRecord):
            return _attempt_dir(self.specs[unit.name], number)
        return self.root / "merges" / unit.name.rsplit("-", 1)[-1] / f"attempt-{number}"

    def submit(self, unit: Unit) -> None:
        self.submit_all([unit])

    def submit_all(self, units: list[Unit]) -> None:
        """Submit the next attempt of each unit, in one call (a job array on Slurm)."""
        requests = [self._next_attempt(u) for u in units]
        now = datetime.now(UTC)
        for unit, request, backend_id in zip(
            units, requests, self.backend.submit_many(requests), strict=True
        ):
            number = len(unit.attempts) + 1
            unit.attempts.append(
                Attempt(number=number, state="pending", backend_id=backend_id, submitted=now)
            )
            unit.state = "pending"
            self.active[request.name] = unit.name

    def _next_attempt(self, unit: Unit) -> JobRequest:
        number = len(unit.attempts) + 1
        where = self._unit_dir(unit, number)
        where.mkdir(parents=True, exist_ok=True)
        if isinstance(unit, JobRecord):
            spec = self.specs[unit.name].model_copy(update={"output_dir": str(where)})
            (where / "job.json").write_text(spec.model_dump_json(indent=1) + "\n")
            command = [
                sys.executable,
                "-m",
                "controller",
                "job",
                "--sandbox",
                str(where / "job.json"),
            ]
        else:
            inputs = [self._output_of(name) for name in unit.inputs]
            unit.output = str(where / OUTPUT_NAME)
            command = [sys.executable, "-m", "controller", "merge", "-o", unit.output]
            command += ["--fan-in", str(self.policy.merge_fan_in), *inputs]
        site = None
        if isinstance(unit, JobRecord) and self.record.locality_relaxed_at is None:
            site = unit.files[0].storage_element if unit.files else None
        return JobRequest(
            name=f"{unit.name}-a{number}",
            command=command,
            workdir=str(where),
            time_limit_s=self.policy.time_limit_s,
            memory_mb=self.policy.memory_mb,
            site=site,
        )

    def _output_of(self, name: str) -> str:
        unit = self.units[name]
        if isinstance(unit, JobRecord):
            assert unit.report is not None  # only done jobs are merged
            return unit.report.output
        assert unit.output is not None
        return unit.output

    # ------------------------------------------------------------------ polling

    def poll(self) -> None:
        for grid_name, status in self.backend.query(list(self.active)).items():
            unit = self.units[self.active[grid_name]]
            attempt = unit.attempts[-1]
            attempt.state = status.state if status.state != "unknown" else "lost"
            attempt.exit_code, attempt.host = status.exit_code, status.host
            attempt.started, attempt.finished = status.started, status.finished
            if status.state == "running":
                unit.state = "running"
            if status.state not in FINAL_STATES and status.state != "unknown":
                continue
            del self.active[grid_name]
            attempt.log_tail = _tail(self.backend.log_path(grid_name))
            if unit.state == "dropped":
                continue
            problem = "" if status.state != "done" else self._verify(unit, attempt.number)
            if status.state == "done" and not problem:
                unit.state = "done"
                continue
            if problem:  # it said it succeeded, but its output cannot be trusted: rerun it
                attempt.state = "failed"
                attempt.log_tail += f"\nwagonyard: {problem}; the job is run again"
            tried = sum(1 for a in unit.attempts if a.state != "moved")
            if tried < self.policy.max_attempts and status.state != "cancelled":
                self.submit(unit)
            else:
                unit.state = "cancelled" if status.state == "cancelled" else "failed"

    def _verify(self, unit: Unit, number: int) -> str:
        if isinstance(unit, JobRecord):
            report, problem = _verified_report(self.specs[unit.name], number)
            unit.report = report
            return problem
        expected = sum(self._events_of(name) for name in unit.inputs)
        try:
            _, provenance = read_output(Path(unit.output or ""))
        except DataError as exc:
            return f"its merged output is missing or corrupt: {exc}"
        if provenance.get("events") != expected:
            return f"its merged output counts {provenance.get('events')} events, not {expected}"
        unit.events = expected
        return ""

    def _events_of(self, name: str) -> int:
        unit = self.units[name]
        if isinstance(unit, JobRecord):
            return unit.report.events if unit.report else 0
        return unit.events

    # ------------------------------------------------------------------ deciding

    def express(self) -> None:
        """Stop waiting for stragglers, as an express train does."""
        now = datetime.now(UTC)
        open_jobs = [j for j in self.record.jobs if j.state not in ("done", "dropped")]
        timings = []
        for j in self.record.jobs:
            if j.state == "done" and j.attempts[-1].started and j.attempts[-1].finished:
                a = j.attempts[-1]
                assert a.started is not None and a.finished is not None
                timings.append(Timing(True, (a.finished - a.started).total_seconds()))
            elif j in open_jobs and j.attempts and j.attempts[0].submitted:
                timings.append(Timing(False, (now - j.attempts[0].submitted).total_seconds()))
        p = self.policy
        if len(timings) != len(self.record.jobs) or not express_drop(
            timings, p.express_done_fraction, p.express_factor
        ):
            return
        names = [f"{j.name}-a{len(j.attempts)}" for j in open_jobs]
        self.backend.cancel([n for n in names if n in self.active])
        for j in open_jobs:
            j.state = "dropped"
            events = sum((s.entry_stop or 0) - s.entry_start for s in j.files)
            self.record.dropped.append(
                DroppedJob(name=j.name, files=j.files, events=events or None)
            )

    def locality(self) -> None:
        """Once enough jobs are done, jobs still waiting for their own site run anywhere."""
        if self.record.locality_relaxed_at is not None or not self.policy.relax_locality:
            return
        done = sum(1 for j in self.record.jobs if j.state == "done")
        if not relax_locality(done, len(self.record.jobs), self.policy.locality_done_fraction):
            return
        self.record.locality_relaxed_at = datetime.now(UTC)
        waiting = [
            j
            for j in self.record.jobs
            if j.state == "pending" and j.attempts and j.files and j.files[0].storage_element
        ]
        names = [f"{j.name}-a{len(j.attempts)}" for j in waiting]
        for name in names:
            self.active.pop(name, None)
        if names:
            self.backend.cancel(names)
        for j in waiting:
            j.attempts[-1].state = "moved"
            j.attempts[-1].log_tail = "wagonyard: locality relaxed; the job may run anywhere"
        if waiting:
            self.submit_all(list(waiting))

    def merges(self) -> None:
        """Start each group's merge once its jobs are done, and the final one after them."""
        group_merges = []
        for g, members in enumerate(self.groups):
            name = f"{self.record.train_id}-merge{g:03d}"
            if name not in self.units:
                if any(m.state not in ("done", "dropped") for m in members):
                    continue
                done = [m.name for m in members if m.state == "done"]
                if not done:
                    continue
                merge = MergeRecord(name=name, stage="group", inputs=done)
                self.units[name] = merge
                self.record.merges.append(merge)
                self.submit(merge)
            group_merges.append(self.units[name])
        finished = all(m.state in ("done", "dropped") for m in self.record.jobs)
        final = f"{self.record.train_id}-final"
        if (
            finished
            and len(group_merges) > 1
            and final not in self.units
            and all(m.state == "done" for m in group_merges)
        ):
            merge = MergeRecord(name=final, stage="final", inputs=[m.name for m in group_merges])
            self.units[final] = merge
            self.record.merges.append(merge)
            self.submit(merge)

    def failed(self) -> list[Unit]:
        return [u for u in self.units.values() if u.state in ("failed", "cancelled")]

    def final_merge(self) -> MergeRecord | None:
        merges = [m for m in self.record.merges if m.state == "done"]
        finals = [m for m in merges if m.stage == "final"]
        if finals:
            return finals[0]
        if len(self.record.merges) == 1 and merges:
            return merges[0]
        return None


def run(
    record: TrainRecord,
    specs: list[JobSpec],
    backend: Backend,
    output_root: Path,
    policy: RunPolicy,
    progress: Callable[[TrainRecord], None] | None = None,
) -> TrainRecord:
    """Run every job, resubmitting failures; merge on the grid in stages; finish the record."""
    record.state = "running"
    record.policy = "express" if policy.express else "slow"
    state = _Run(record, specs, backend, output_root, policy)
    state.submit_all(list(record.jobs))
    while state.active:
        time.sleep(policy.poll_s)
        state.poll()
        if state.failed():
            backend.cancel(list(state.active))
            break
        state.locality()
        if policy.express:
            state.express()
        state.merges()
        if any(m.state != "done" for m in record.merges):
            record.state = (
                "merging" if all(j.state in ("done", "dropped") for j in record.jobs) else "running"
            )
        if progress:
            progress(record)
    return _finish(record, state, output_root.resolve())


def _verified_report(spec: JobSpec, attempt: int) -> tuple[JobReport | None, str]:
    """The job's report if its output is there, readable and counts the events it claims."""
    path = _attempt_dir(spec, attempt) / "report.json"
    try:
        report = JobReport.model_validate_json(path.read_text())
    except (FileNotFoundError, ValueError) as exc:
        return None, f"the job ended without a readable report ({type(exc).__name__})"
    try:
        _, provenance = read_output(Path(report.output))
    except DataError as exc:
        return None, f"its output is missing or corrupt: {exc}"
    if provenance.get("events") != report.events:
        return None, (
            f"its output counts {provenance.get('events')} events, its report {report.events}"
        )
    return report, ""


def _finish(record: TrainRecord, state: _Run, output_root: Path) -> TrainRecord:
    record.finished = datetime.now(UTC)
    failed = state.failed()
    final = state.final_merge()
    if failed or final is None or final.output is None:
        record.state = "failed"
        record.message = (
            "failed after every attempt: "
            + ", ".join(
                f"{u.name} (exit {u.attempts[-1].exit_code if u.attempts else '?'})" for u in failed
            )
            if failed
            else "no merged output: every job was dropped"
        )
        return record
    merged_path = output_root / record.train_id / OUTPUT_NAME
    shutil.copyfile(final.output, merged_path)
    expected = sum(j.report.events for j in record.jobs if j.report and j.state == "done")
    if final.events != expected:
        raise GridError(
            f"merged output {merged_path} counts {final.events} events, the jobs processed "
            f"{expected}"
        )
    data = merged_path.read_bytes()
    record.output = OutputFile(
        path=str(merged_path.relative_to(output_root)),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        events=expected,
    )
    lost = sum(d.events or 0 for d in record.dropped)
    record.events_lost_fraction = round(lost / (lost + expected), 6) if lost else 0.0
    record.events_processed = expected
    record.excluded = _excluded_totals(record)
    record.versions = agreed(
        [j.report.versions for j in record.jobs if j.report and j.state == "done"]
    )
    record.wagon_usage = _usage_totals(record)
    record.state = "done"
    return record


def _excluded_totals(record: TrainRecord) -> list[ExcludedEvents]:
    """Whole files left out at composition plus the events the done jobs cut, by run."""
    totals: dict[tuple[int, str], ExcludedEvents] = {}
    reports = [j.report for j in record.jobs if j.report and j.state == "done"]
    for e in [*record.excluded, *(e for r in reports for e in r.excluded)]:
        t = totals.setdefault(
            (e.run, e.reason), ExcludedEvents(run=e.run, reason=e.reason, events=0)
        )
        t.events += e.events
        t.files += e.files
    return [totals[k] for k in sorted(totals)]


def _usage_totals(record: TrainRecord) -> list[WagonUsage]:
    totals: dict[str, WagonUsage] = {}
    for job in record.jobs:
        for u in job.report.wagons if job.report else []:
            t = totals.setdefault(u.directory, WagonUsage(directory=u.directory))
            t.cpu_s = round(t.cpu_s + u.cpu_s, 6)
            t.events += u.events
            t.output_bytes = max(t.output_bytes, u.output_bytes)
    return list(totals.values())
