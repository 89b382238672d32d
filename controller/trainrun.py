"""Compose a train over a dataset, run its jobs on a grid backend, and merge their outputs.

``compose`` plans the wagons, splits the dataset into jobs and writes each job's spec;
``run`` submits, polls, resubmits failed jobs up to the dataset's limit (recording every
attempt) and merges. The ``TrainRecord`` it keeps is the whole truth of the run.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.catalog.models import Dataset
from controller.engine.files import input_files
from controller.engine.mergefiles import merge_files
from controller.engine.output import read_output
from controller.engine.plan import plan_train
from controller.engine.split import split_files
from controller.engine.train import load_wagons
from controller.errors import DataError, GridError
from controller.grid.base import FINAL_STATES, Backend, JobRequest
from controller.job import OUTPUT_NAME, JobSpec
from controller.records import (
    Attempt,
    JobRecord,
    JobReport,
    OutputFile,
    TrainRecord,
    WagonUsage,
)

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
    files = input_files(catalog, ds, data_root, count=ds.splitting.events_per_job is not None)
    train_id = _train_id(dataset, now, catalog_commit)
    record = TrainRecord(
        train_id=train_id,
        dataset=dataset,
        catalog_commit=catalog_commit,
        backend=backend,
        created=now,
        wagons=described,
    )
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
        )
        job_dir.mkdir(parents=True, exist_ok=True)
        (job_dir / "job.json").write_text(spec.model_dump_json(indent=1) + "\n")
        specs.append(spec)
        record.jobs.append(JobRecord(index=index, name=name, files=slices))
    return record, specs


def _attempt_dir(spec: JobSpec, attempt: int) -> Path:
    return Path(spec.output_dir) / f"attempt-{attempt}"


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - LOG_TAIL_BYTES))
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


@dataclass(frozen=True)
class RunPolicy:
    """How a train's jobs are run: attempts, limits, polling (from the dataset's file)."""

    max_attempts: int = 3
    time_limit_s: int = 3600
    memory_mb: int = 2000
    poll_s: float = 0.5

    @classmethod
    def of(cls, ds: Dataset, poll_s: float = 0.5) -> RunPolicy:
        return cls(
            max_attempts=ds.splitting.max_attempts,
            time_limit_s=ds.limits.job_timeout_s,
            memory_mb=ds.limits.memory_mb,
            poll_s=poll_s,
        )


def run(
    record: TrainRecord,
    specs: list[JobSpec],
    backend: Backend,
    output_root: Path,
    policy: RunPolicy,
    progress: Callable[[TrainRecord], None] | None = None,
) -> TrainRecord:
    """Run every job to a final state, resubmitting failures, then merge the outputs."""
    record.state = "running"
    output_root = output_root.resolve()
    by_name = {s.name: s for s in specs}
    active: dict[str, str] = {}  # grid job name -> train job name

    def submit(job: JobRecord) -> None:
        spec = by_name[job.name]
        number = len(job.attempts) + 1
        attempt_spec = spec.model_copy(update={"output_dir": str(_attempt_dir(spec, number))})
        Path(attempt_spec.output_dir).mkdir(parents=True, exist_ok=True)
        spec_path = Path(attempt_spec.output_dir) / "job.json"
        spec_path.write_text(attempt_spec.model_dump_json(indent=1) + "\n")
        grid_name = f"{job.name}-a{number}"
        backend_id = backend.submit(
            JobRequest(
                name=grid_name,
                command=[sys.executable, "-m", "controller", "job", str(spec_path)],
                workdir=str(spec_path.parent),
                time_limit_s=policy.time_limit_s,
                memory_mb=policy.memory_mb,
            )
        )
        job.attempts.append(Attempt(number=number, state="pending", backend_id=backend_id))
        job.state = "pending"
        active[grid_name] = job.name

    jobs = {j.name: j for j in record.jobs}
    for job in record.jobs:
        submit(job)
    while active:
        time.sleep(policy.poll_s)
        for grid_name, status in backend.query(list(active)).items():
            job = jobs[active[grid_name]]
            attempt = job.attempts[-1]
            attempt.state = status.state if status.state != "unknown" else "lost"
            attempt.exit_code, attempt.host = status.exit_code, status.host
            attempt.started, attempt.finished = status.started, status.finished
            job.state = "running" if status.state == "running" else job.state
            if status.state not in FINAL_STATES and status.state != "unknown":
                continue
            del active[grid_name]
            attempt.log_tail = _tail(backend.log_path(grid_name))
            report, problem = None, ""
            if status.state == "done":
                report, problem = _verified_report(by_name[job.name], attempt.number)
            if report is not None:
                job.state, job.report = "done", report
                continue
            if problem:  # it said it succeeded, but its output cannot be trusted: rerun it
                attempt.state = "failed"
                attempt.log_tail += f"\nwagonyard: {problem}; the job is run again"
            if len(job.attempts) < policy.max_attempts and status.state != "cancelled":
                submit(job)
            else:
                job.state = "cancelled" if status.state == "cancelled" else "failed"
        if progress:
            progress(record)
    return _finish(record, output_root)


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


def _finish(record: TrainRecord, output_root: Path) -> TrainRecord:
    failed = [j for j in record.jobs if j.state != "done"]
    if failed:
        record.state = "failed"
        record.finished = datetime.now(UTC)
        record.message = "jobs failed after every attempt: " + ", ".join(
            f"{j.name} (exit {j.attempts[-1].exit_code if j.attempts else '?'})" for j in failed
        )
        return record
    record.state = "merging"
    outputs = [Path(j.report.output) for j in record.jobs if j.report]
    merged_path = output_root / record.train_id / OUTPUT_NAME
    provenance = merge_files(outputs, merged_path)
    expected = sum(j.report.events for j in record.jobs if j.report)
    if provenance["events"] != expected:
        raise GridError(
            f"merged output {merged_path} counts {provenance['events']} events, "
            f"the jobs processed {expected}"
        )
    data = merged_path.read_bytes()
    record.output = OutputFile(
        path=str(merged_path.relative_to(output_root)),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        events=expected,
    )
    record.events_processed = expected
    record.wagon_usage = _usage_totals(record)
    record.state = "done"
    record.finished = datetime.now(UTC)
    return record


def _usage_totals(record: TrainRecord) -> list[WagonUsage]:
    totals: dict[str, WagonUsage] = {}
    for job in record.jobs:
        for u in job.report.wagons if job.report else []:
            t = totals.setdefault(u.directory, WagonUsage(directory=u.directory))
            t.cpu_s = round(t.cpu_s + u.cpu_s, 6)
            t.events += u.events
            t.output_bytes = max(t.output_bytes, u.output_bytes)
    return list(totals.values())
