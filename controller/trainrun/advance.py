"""One step of a train run, from its record alone: look at the grid, decide, then act.

``step`` asks the grid about the record's open attempts (found by their deterministic names,
``<unit>-a<number>``), records what it saw and decides: verify outputs, resubmit, express and
locality, start merges, finish. It returns the new record and what to do on the grid, which
``act`` does. The controller commits the new record *before* acting: an attempt it recorded but
never submitted (it died in between) is unknown to the grid, so the next step submits it under
the same name; one the grid knows is never submitted again.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from controller.grid.base import FINAL_STATES, Backend, JobRequest
from controller.job import OUTPUT_NAME
from controller.logs import excerpt
from controller.records import ENDED, Attempt, DroppedJob, JobRecord, MergeRecord, TrainRecord
from controller.secrets import Masker
from controller.trainrun.compose import job_dir, spec_of, train_dir
from controller.trainrun.finish import finish, verified_merge, verified_report
from controller.trainrun.policies import Timing, express_drop, relax_locality

LOG_TAIL_BYTES = 4000

Unit = JobRecord | MergeRecord


@dataclass
class Step:
    """The new record, and what to do on the grid to match it."""

    record: TrainRecord
    submit: list[JobRequest] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)
    files: dict[Path, str] = field(default_factory=dict)  # job specs to write first
    said: list[str] = field(default_factory=list)  # what happened, for people


def grid_name(unit: Unit, attempt: Attempt) -> str:
    return f"{unit.name}-a{attempt.number}"


def units_of(record: TrainRecord) -> list[Unit]:
    return [*record.jobs, *record.merges]


def open_attempts(record: TrainRecord) -> list[tuple[Unit, Attempt]]:
    units = units_of(record)
    return [
        (u, u.attempts[-1])
        for u in units
        if u.attempts and u.attempts[-1].state in ("pending", "running")
    ]


def attempt_dir(record: TrainRecord, unit: Unit, number: int) -> Path:
    if isinstance(unit, JobRecord):
        return job_dir(record, unit) / f"attempt-{number}"
    return train_dir(record) / "merges" / unit.name.rsplit("-", 1)[-1] / f"attempt-{number}"


def _request(s: Step, unit: Unit, number: int) -> JobRequest:
    """The grid request of attempt ``number`` of ``unit``; its spec file goes in ``s.files``."""
    record = s.record
    where = attempt_dir(record, unit, number)
    if isinstance(unit, JobRecord):
        spec = spec_of(record, unit, where)
        s.files[where / "job.json"] = spec.model_dump_json(indent=1) + "\n"
        command = [sys.executable, "-m", "controller", "job", "--sandbox", str(where / "job.json")]
    else:
        inputs = [_output_of(record, name) for name in unit.inputs]
        unit.output = str(where / OUTPUT_NAME)
        command = [sys.executable, "-m", "controller", "merge", "-o", unit.output]
        command += ["--fan-in", str(record.settings.merge_fan_in), *inputs]
    sites: list[str] = []
    if isinstance(unit, JobRecord) and record.locality_relaxed_at is None:
        sites = local_sites(unit)
    return JobRequest(
        name=f"{unit.name}-a{number}",
        command=command,
        workdir=str(where),
        time_limit_s=record.settings.time_limit_s,
        memory_mb=record.settings.memory_mb,
        sites=sites,
    )


def local_sites(job: JobRecord) -> list[str]:
    """The sites holding a copy of every file of the job (empty: no storage element says)."""
    held = [f.sites() for f in job.files]
    if not held or not all(held):
        return []
    return sorted(set.intersection(*held))


def _submit(s: Step, unit: Unit, now: datetime) -> None:
    """Record the unit's next attempt and ask for it to be submitted."""
    number = (unit.attempts[-1].number if unit.attempts else 0) + 1
    s.submit.append(_request(s, unit, number))
    unit.attempts.append(
        Attempt(number=number, round=s.record.round, state="pending", submitted=now)
    )
    unit.state = "pending"


def _output_of(record: TrainRecord, name: str) -> str:
    for job in record.jobs:
        if job.name == name:
            assert job.report is not None  # only done jobs are merged
            return job.report.output
    for merge in record.merges:
        if merge.name == name and merge.output:
            return merge.output
    raise AssertionError(f"{name} has no output")


def _tail(path: Path) -> str:
    """The end of a job's log, secrets masked."""
    return excerpt(path, 0, LOG_TAIL_BYTES, Masker.of(os.environ))[1]


# ----------------------------------------------------------------- the step


def step(record: TrainRecord, backend: Backend, now: datetime | None = None) -> Step:
    """Look at the grid and decide the train's next state; act on nothing."""
    now = now or datetime.now(UTC)
    s = Step(record.model_copy(deep=True))
    rec = s.record
    if rec.state in ENDED or rec.state in ("composed", "testing"):
        return s
    if not any(j.attempts for j in rec.jobs):
        for job in rec.jobs:
            _submit(s, job, now)
        rec.state = "submitted"
        s.said.append(f"{len(rec.jobs)} jobs submitted to {rec.backend}")
        return s
    _observe(s, backend, now)
    failed = [u for u in units_of(rec) if u.state in ("failed", "cancelled")]
    if failed:
        s.cancel += [grid_name(u, a) for u, a in open_attempts(rec)]
        for u, a in open_attempts(rec):
            a.state, u.state = "cancelled", "cancelled"
        finish(rec, failed, now)
        s.said.append(rec.message)
        return s
    _locality(s, now)
    if rec.settings.express:
        _express(s, now)
    _merges(s, now)
    if not open_attempts(rec) and not s.submit:
        finish(rec, [], now)
        s.said.append(
            f"done: {rec.events_processed:,} events" if rec.state == "done" else rec.message
        )
        return s
    jobs_over = all(j.state in ("done", "dropped") for j in rec.jobs)
    started = any(a.started for j in rec.jobs for a in j.attempts)
    state = "merging" if jobs_over else ("running" if started else rec.state)
    if state != rec.state:
        rec.state = state
        s.said.append(state)
    return s


def _observe(s: Step, backend: Backend, now: datetime) -> None:
    rec = s.record
    pending = open_attempts(rec)
    statuses = backend.query([grid_name(u, a) for u, a in pending])
    settings = rec.settings
    for unit, attempt in pending:
        name = grid_name(unit, attempt)
        status = statuses[name]
        if status.state == "unknown" and attempt.backend_id is None:
            # recorded, never submitted (the controller stopped in between): submit it now
            s.submit.append(_request(s, unit, attempt.number))
            continue
        attempt.backend_id = status.backend_id or attempt.backend_id
        attempt.state = status.state if status.state != "unknown" else "lost"
        attempt.exit_code, attempt.host = status.exit_code, status.host
        attempt.site = status.site or attempt.site
        attempt.started, attempt.finished = status.started, status.finished
        if status.state == "running":
            unit.state = "running"
        if status.state not in FINAL_STATES and status.state != "unknown":
            continue
        attempt.log_tail = _tail(backend.log_path(name))
        problem = "" if status.state != "done" else _verify(rec, unit, attempt.number)
        if status.state == "done" and not problem:
            unit.state = "done"
            continue
        if problem:  # it said it succeeded, but its output cannot be trusted: rerun it
            attempt.state = "failed"
            attempt.log_tail += f"\nwagonyard: {problem}; the job is run again"
        tried = sum(1 for a in unit.attempts if a.state != "moved" and a.round == rec.round)
        if tried < settings.max_attempts and status.state != "cancelled":
            _submit(s, unit, now)
            s.said.append(f"{unit.name} resubmitted (attempt {tried + 1})")
        else:
            unit.state = "cancelled" if status.state == "cancelled" else "failed"


def _verify(rec: TrainRecord, unit: Unit, number: int) -> str:
    if isinstance(unit, JobRecord):
        report, problem = verified_report(attempt_dir(rec, unit, number))
        unit.report = report
        return problem
    return verified_merge(rec, unit)


def _express(s: Step, now: datetime) -> None:
    """Stop waiting for stragglers, as an express train does."""
    rec = s.record
    open_jobs = [j for j in rec.jobs if j.state not in ("done", "dropped")]
    timings = []
    for j in rec.jobs:
        last = j.attempts[-1] if j.attempts else None
        if j.state == "done" and last and last.started and last.finished:
            timings.append(Timing(True, (last.finished - last.started).total_seconds()))
        elif j in open_jobs and j.attempts and j.attempts[0].submitted:
            timings.append(Timing(False, (now - j.attempts[0].submitted).total_seconds()))
    p = rec.settings
    if len(timings) != len(rec.jobs) or not express_drop(
        timings, p.express_done_fraction, p.express_factor
    ):
        return
    s.cancel += [grid_name(j, j.attempts[-1]) for j in open_jobs if j.attempts]
    for j in open_jobs:
        j.state = "dropped"
        if j.attempts:
            j.attempts[-1].state = "cancelled"
        events = sum((f.entry_stop or 0) - f.entry_start for f in j.files)
        rec.dropped.append(DroppedJob(name=j.name, files=j.files, events=events or None))
    s.said.append(f"express: {len(open_jobs)} straggling job(s) dropped")


def _locality(s: Step, now: datetime) -> None:
    """Once enough jobs are done, jobs still waiting for their own site run anywhere."""
    rec = s.record
    if rec.locality_relaxed_at is not None or not rec.settings.relax_locality:
        return
    done = sum(1 for j in rec.jobs if j.state == "done")
    if not relax_locality(done, len(rec.jobs), rec.settings.locality_done_fraction):
        return
    rec.locality_relaxed_at = now
    waiting = [j for j in rec.jobs if j.state == "pending" and j.attempts and local_sites(j)]
    s.cancel += [grid_name(j, j.attempts[-1]) for j in waiting]
    for j in waiting:
        j.attempts[-1].state = "moved"
        j.attempts[-1].log_tail = "wagonyard: locality relaxed; the job may run anywhere"
        _submit(s, j, now)
    if waiting:
        s.said.append(f"locality relaxed: {len(waiting)} job(s) may run anywhere")


def _merges(s: Step, now: datetime) -> None:
    """Start each group's merge once its jobs are done, and the final one after them."""
    rec = s.record
    fan_in = rec.settings.merge_fan_in
    groups = [rec.jobs[i : i + fan_in] for i in range(0, len(rec.jobs), fan_in)]
    merges = {m.name: m for m in rec.merges}
    group_merges = []
    for g, members in enumerate(groups):
        name = f"{rec.train_id}-merge{g:03d}"
        if name not in merges:
            if any(m.state not in ("done", "dropped") for m in members):
                continue
            done = [m.name for m in members if m.state == "done"]
            if not done:
                continue
            merges[name] = MergeRecord(name=name, stage="group", inputs=done)
            rec.merges.append(merges[name])
            _submit(s, merges[name], now)
        group_merges.append(merges[name])
    final = f"{rec.train_id}-final"
    if (
        all(j.state in ("done", "dropped") for j in rec.jobs)
        and len(group_merges) > 1
        and final not in merges
        and all(m.state == "done" for m in group_merges)
    ):
        merge = MergeRecord(name=final, stage="final", inputs=[m.name for m in group_merges])
        rec.merges.append(merge)
        _submit(s, merge, now)


# ----------------------------------------------------------------- acting


def act(s: Step, backend: Backend) -> None:
    """Do on the grid what the step decided: write the specs, cancel, submit."""
    for path, text in s.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if s.cancel:
        backend.cancel(s.cancel)
    for request in s.submit:
        Path(request.workdir).mkdir(parents=True, exist_ok=True)
    if s.submit:
        backend.submit_many(s.submit)


def advance(record: TrainRecord, backend: Backend, now: datetime | None = None) -> TrainRecord:
    """One step, carried out: the new record."""
    s = step(record, backend, now)
    act(s, backend)
    return s.record


def kill(record: TrainRecord, why: str, now: datetime | None = None) -> Step:
    """Stop the train: cancel its open attempts; it ends 'killed'."""
    now = now or datetime.now(UTC)
    s = Step(record.model_copy(deep=True))
    rec = s.record
    for unit, attempt in open_attempts(rec):
        s.cancel.append(grid_name(unit, attempt))
        attempt.state, unit.state = "cancelled", "cancelled"
    rec.state, rec.finished, rec.message = "killed", now, why
    s.said.append(f"killed: {why}")
    return s


def retry(record: TrainRecord, why: str, now: datetime | None = None) -> Step:
    """Run a failed or killed train's unfinished jobs and merges again, with fresh attempts."""
    now = now or datetime.now(UTC)
    s = Step(record.model_copy(deep=True))
    rec = s.record
    rec.round += 1
    rec.finished, rec.message = None, ""
    if rec.state == "test-failed" or not any(j.attempts for j in rec.jobs):
        rec.state, rec.test = "composed", None
        s.said.append(f"retried ({why}): to be tested again")
        return s
    again = [u for u in units_of(rec) if u.state in ("failed", "cancelled")]
    for unit in again:
        _submit(s, unit, now)
    rec.state = "running"
    s.said.append(f"retried ({why}): {len(again)} job(s) submitted again")
    return s
