"""The embedded default grid: jobs run as detached processes on this machine.

Each job's state lives in ``<state_dir>/jobs/<name>/``: ``request.json`` (submitted),
``launched.json`` (pid, site, start), ``result.json`` (exit code, end) and ``log``. A job
outlives the process that submitted it; at most ``slots`` run at once (one per core by default)
and whoever looks next (a query, or a job that just ended) starts the waiting ones.

The machine may stand for several sites, each with its own slots: a job that names sites
(those local to its files' storage elements) waits for a free slot at one of them even while
others are idle, as on a real grid; the job learns its site from ``WAGONYARD_SITE``.
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
from controller.records import SITE_ENV


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

    def __init__(
        self,
        state_dir: Path,
        slots: int | None = None,
        site: str | None = None,
        sites: dict[str, int] | None = None,
    ) -> None:
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
        # the sites it stands for, with their slots; by default one, with all the slots
        self.sites = dict(sites) if sites else {self.site: self.slots}
        settings: dict[str, object] = {"sites": self.sites, "default": self.site}
        if _read_json(state_dir / "sites.json") != settings:  # every ended job looks again
            _write_json(state_dir / "sites.json", settings)

    @classmethod
    def resume(cls, state_dir: Path) -> LocalBackend:
        """The backend as it was last configured in ``state_dir`` (a job that ended uses it to
        start the next ones)."""
        saved = _read_json(state_dir / "sites.json") or {}
        sites = saved.get("sites")
        if not isinstance(sites, dict):
            return cls(state_dir)
        return cls(
            state_dir,
            site=str(saved.get("default")),
            sites={str(k): int(v) for k, v in sites.items()},
        )

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
            status.site = str(launched["site"]) if launched.get("site") else None
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
        """Start waiting jobs, oldest first, at a site of theirs with a free slot."""
        free = dict(self.sites)
        waiting: list[tuple[Path, list[str]]] = []
        for job_dir in self.jobs_dir.iterdir():
            if (job_dir / "result.json").exists() or (job_dir / "cancelled.json").exists():
                continue
            launched = _read_json(job_dir / "launched.json")
            if launched is None:
                submitted = _read_json(job_dir / "request.json")
                request = submitted.get("request") if submitted else None
                if isinstance(request, dict):
                    waiting.append((job_dir, [str(s) for s in request.get("sites") or []]))
            elif self._alive(launched):
                site = str(launched.get("site") or self.site)
                free[site] = free.get(site, 0) - 1
        waiting.sort(key=lambda w: (w[0] / "request.json").stat().st_mtime_ns)
        for job_dir, wanted in waiting:
            open_sites = [s for s in sorted(free) if free[s] > 0 and (not wanted or s in wanted)]
            if not open_sites:
                continue  # its sites are full (or not here): it waits
            site = max(open_sites, key=lambda s: free[s])  # the least busy of them
            free[site] -= 1
            self._launch(job_dir, site)

    def _launch(self, job_dir: Path, site: str) -> None:
        with (job_dir / "log").open("ab") as log:
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "controller.grid.local_runner", str(job_dir)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env={**os.environ, SITE_ENV: site},
                )
            except OSError as exc:
                raise GridError(f"cannot start local job in {job_dir}: {exc}") from exc
        _write_json(
            job_dir / "launched.json",
            {
                "pid": proc.pid,
                "create_time": psutil.Process(proc.pid).create_time(),
                "host": socket.gethostname(),
                "site": site,
                "started": _now(),
            },
        )
