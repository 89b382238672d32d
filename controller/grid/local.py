"""The embedded default grid: jobs run as detached processes on this machine.

Each job's state lives in ``<state_dir>/jobs/<name>/``: ``request.json`` (submitted),
``launched.json`` (pid, start), ``result.json`` (exit code, end) and ``log``. A job outlives
the process that submitted it; at most ``slots`` run at once (one per core by default) and
whoever looks next (a query, or a job that just ended) starts the waiting ones.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import psutil

from controller.errors import GridError
from controller.grid.base import JobRequest, JobStatus


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _write_json(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, object] | None:
    try:
        data: dict[str, object] = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data


class LocalBackend:
    name = "local"

    def __init__(self, state_dir: Path, slots: int | None = None, site: str | None = None) -> None:
        self.state_dir = state_dir
        self.jobs_dir = state_dir / "jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        env_slots = os.environ.get("WAGONYARD_LOCAL_SLOTS", "")
        if env_slots and not (env_slots.isdigit() and int(env_slots) > 0):
            raise GridError(
                f"WAGONYARD_LOCAL_SLOTS={env_slots!r}: give the number of jobs to run at once"
            )
        self.slots = slots or (int(env_slots) if env_slots else (os.cpu_count() or 1))
        # the site this machine is; a job asking for another site waits (for a relaxation)
        self.site = site or os.environ.get("WAGONYARD_LOCAL_SITE", "local")

    # ------------------------------------------------------------------ protocol

    def submit(self, request: JobRequest) -> str:
        job_dir = self.jobs_dir / request.name
        with self._lock():
            if not (job_dir / "request.json").exists():
                job_dir.mkdir(parents=True, exist_ok=True)
                _write_json(
                    job_dir / "request.json",
                    {"request": request.model_dump(mode="json"), "submitted": _now()},
                )
            self._schedule_locked()
        return request.name

    def submit_many(self, requests: list[JobRequest]) -> list[str]:
        return [self.submit(r) for r in requests]

    def query(self, names: list[str]) -> dict[str, JobStatus]:
        with self._lock():
            self._schedule_locked()
            return {name: self._status(name) for name in names}

    def cancel(self, names: list[str]) -> None:
        with self._lock():
            for name in names:
                job_dir = self.jobs_dir / name
                if not job_dir.exists() or (job_dir / "result.json").exists():
                    continue
                _write_json(job_dir / "cancelled.json", {"at": _now()})
                launched = _read_json(job_dir / "launched.json")
                if launched and self._alive(launched):
                    with suppress(ProcessLookupError):
                        os.killpg(int(str(launched["pid"])), signal.SIGTERM)

    def log_path(self, name: str) -> Path:
        return self.jobs_dir / name / "log"

    # ------------------------------------------------------------------ internals

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.state_dir / "lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @staticmethod
    def _alive(launched: dict[str, object]) -> bool:
        try:
            proc = psutil.Process(int(str(launched["pid"])))
            same = abs(proc.create_time() - float(str(launched["create_time"]))) < 0.5
            return bool(same and proc.status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False

    def _status(self, name: str) -> JobStatus:
        job_dir = self.jobs_dir / name
        if not (job_dir / "request.json").exists():
            return JobStatus(name=name, state="unknown")
        launched = _read_json(job_dir / "launched.json")
        result = _read_json(job_dir / "result.json")
        cancelled = (job_dir / "cancelled.json").exists()
        status = JobStatus(name=name, state="pending", backend_id=name)
        if launched:
            status.host = str(launched.get("host"))
            status.started = datetime.fromisoformat(str(launched["started"]))
        if result:
            code = int(str(result["exit_code"]))
            status.exit_code = code
            status.finished = datetime.fromisoformat(str(result["finished"]))
            status.state = "cancelled" if cancelled else ("done" if code == 0 else "failed")
        elif cancelled:
            status.state = "cancelled"
        elif launched:
            status.state = "running" if self._alive(launched) else "lost"
        return status

    def _schedule_locked(self) -> None:
        """Start waiting jobs, oldest first, while fewer than ``slots`` run."""
        running, waiting = 0, []
        for job_dir in self.jobs_dir.iterdir():
            if (job_dir / "result.json").exists() or (job_dir / "cancelled.json").exists():
                continue
            launched = _read_json(job_dir / "launched.json")
            if launched is None:
                submitted = _read_json(job_dir / "request.json")
                request = submitted.get("request") if submitted else None
                if isinstance(request, dict) and request.get("site") in (None, self.site):
                    waiting.append(job_dir)
            elif self._alive(launched):
                running += 1
        waiting.sort(key=lambda d: (d / "request.json").stat().st_mtime_ns)
        for job_dir in waiting[: max(0, self.slots - running)]:
            self._launch(job_dir)

    def _launch(self, job_dir: Path) -> None:
        with (job_dir / "log").open("ab") as log:
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "controller.grid.local_runner", str(job_dir)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise GridError(f"cannot start local job in {job_dir}: {exc}") from exc
        _write_json(
            job_dir / "launched.json",
            {
                "pid": proc.pid,
                "create_time": psutil.Process(proc.pid).create_time(),
                "host": socket.gethostname(),
                "started": _now(),
            },
        )
