"""The protocol every grid backend implements: submit, query many, cancel, log location.

Job names are deterministic (train id, job index, attempt), so a submitter that restarts asks
the backend what exists instead of submitting twice. Pure: types only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

GridState = Literal["pending", "running", "done", "failed", "cancelled", "lost", "unknown"]
FINAL_STATES: frozenset[str] = frozenset({"done", "failed", "cancelled", "lost"})


class JobRequest(BaseModel):
    """What to run: a command in a working directory, with its resources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    command: list[str] = Field(min_length=1)
    workdir: str
    cpus: int = 1
    memory_mb: int = 2000
    time_limit_s: int = 3600
    sites: list[str] = Field(
        default_factory=list,
        description="Run only at one of these sites (those holding a copy of every input "
        "file); empty: anywhere.",
    )


class JobStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    state: GridState
    exit_code: int | None = None
    host: str | None = None
    site: str | None = None
    backend_id: str | None = None
    started: datetime | None = None
    finished: datetime | None = None


class Backend(Protocol):
    name: str

    def submit(self, request: JobRequest) -> str:
        """Submit (or find the already submitted) job; return the backend's id for it."""
        ...

    def submit_many(self, requests: list[JobRequest]) -> list[str]:
        """Submit many jobs at once (a job array where the backend has them)."""
        ...

    def query(self, names: list[str]) -> dict[str, JobStatus]:
        """The state of many jobs at once; names the backend never saw are 'unknown'."""
        ...

    def cancel(self, names: list[str]) -> None: ...

    def log_path(self, name: str) -> Path: ...
