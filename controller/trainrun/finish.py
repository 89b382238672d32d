"""Trust a job's output only once verified; end a train: its merged output and its totals."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from controller.engine.output import read_output
from controller.errors import DataError, GridError, StorageError
from controller.job import OUTPUT_NAME
from controller.records import (
    ExcludedEvents,
    JobRecord,
    JobReport,
    MergeRecord,
    OutputFile,
    TrainRecord,
    WagonUsage,
)
from controller.trainrun.compose import train_dir
from controller.versions import agreed


def verified_report(attempt_dir: Path) -> tuple[JobReport | None, str]:
    """The job's report if its output is there, readable and counts the events it claims."""
    path = attempt_dir / "report.json"
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


def _events_of(record: TrainRecord, name: str) -> int:
    for job in record.jobs:
        if job.name == name:
            return job.report.events if job.report else 0
    return next((m.events for m in record.merges if m.name == name), 0)


def verified_merge(record: TrainRecord, merge: MergeRecord) -> str:
    """Why a merging job's output cannot be trusted, or ''; sets its events when it can."""
    expected = sum(_events_of(record, name) for name in merge.inputs)
    try:
        _, provenance = read_output(Path(merge.output or ""))
    except DataError as exc:
        return f"its merged output is missing or corrupt: {exc}"
    if provenance.get("events") != expected:
        return f"its merged output counts {provenance.get('events')} events, not {expected}"
    merge.events = expected
    return ""


def final_merge(record: TrainRecord) -> MergeRecord | None:
    done = [m for m in record.merges if m.state == "done"]
    finals = [m for m in done if m.stage == "final"]
    if finals:
        return finals[0]
    if len(record.merges) == 1 and done:
        return done[0]
    return None


def finish(record: TrainRecord, failed: Sequence[JobRecord | MergeRecord], now: datetime) -> None:
    """End the train: 'failed' with why, or 'done' with its merged output and totals."""
    record.finished = now
    final = final_merge(record)
    if failed or final is None or final.output is None:
        record.state = "failed"
        record.message = (
            "failed after every attempt: " + "; ".join(_why(u) for u in failed)
            if failed
            else "no merged output: every job was dropped"
        )
        return
    merged_path = train_dir(record) / OUTPUT_NAME
    shutil.copyfile(final.output, merged_path)
    expected = sum(j.report.events for j in record.jobs if j.report and j.state == "done")
    if final.events != expected:
        raise GridError(
            f"merged output {merged_path} counts {final.events} events, the jobs processed "
            f"{expected}"
        )
    data = merged_path.read_bytes()
    record.output = OutputFile(
        path=str(merged_path.relative_to(train_dir(record).parent)),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        events=expected,
    )
    record.message = ""
    if record.template is not None and record.template.output_url is not None:
        _to_storage(record, merged_path, record.template.output_url)
    lost = sum(d.events or 0 for d in record.dropped)
    record.events_lost_fraction = round(lost / (lost + expected), 6) if lost else 0.0
    record.events_processed = expected
    record.excluded = _excluded_totals(record)
    done_reports = [j.report.versions for j in record.jobs if j.report and j.state == "done"]
    record.versions = agreed(done_reports)
    record.wagon_usage = _usage_totals(record)
    record.state = "done"


def _to_storage(record: TrainRecord, merged: Path, base: str) -> None:
    """Copy the merged output to the output storage element and verify it there; where that
    fails the train still ends 'done' (its output is safe where it was merged), saying so."""
    from controller.config import join_url
    from controller.storage.transfer import copy_verified

    assert record.output is not None
    url = join_url(base, f"{record.train_id}/{OUTPUT_NAME}")
    try:
        copy_verified(str(merged), url)
    except StorageError as exc:
        record.message = f"the merged output stays at {merged}: {exc}"
        return
    record.output.url = url


def _why(unit: JobRecord | MergeRecord) -> str:
    """'<name> (exit N): <the last line its log has>'."""
    last = unit.attempts[-1] if unit.attempts else None
    code = last.exit_code if last and last.exit_code is not None else "?"
    lines = [ln.strip() for ln in (last.log_tail if last else "").splitlines() if ln.strip()]
    return f"{unit.name} (exit {code})" + (f": {lines[-1][:300]}" if lines else "")


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
