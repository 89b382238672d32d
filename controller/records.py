"""The records a train run leaves behind: its wagons, jobs, attempts, merges and output.

A ``TrainRecord`` is one JSON file that the controller commits to the history branch; nothing
about a run lives only in memory. Pure data models, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SITE_ENV = "WAGONYARD_SITE"  # set by the grid: the site a job runs at (its replicas read first)

JobState = Literal["pending", "running", "done", "failed", "cancelled", "lost", "dropped", "moved"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Replica(_Record):
    """Another copy of an input file, on another storage element."""

    storage_element: str
    site: str = Field(description="The site this storage element is local to")
    url: str


class FileSlice(_Record):
    """A range of entries of one input file, and where copies of that file are."""

    path: str = Field(description="The file as read first (its storage element's copy)")
    entry_start: int = 0
    entry_stop: int | None = None
    storage_element: str | None = None
    site: str | None = Field(
        None,
        description="The site storage_element is local to, where configured (else the storage "
        "element's name stands for its site)",
    )
    replicas: list[Replica] = Field(
        default_factory=list, description="Copies on other storage elements, read if need be"
    )

    def sites(self) -> set[str]:
        """The sites holding a copy of the file (empty: it has no storage element)."""
        own = self.site or self.storage_element
        return ({own} if own else set()) | {r.site for r in self.replicas}


class WagonInTrain(_Record):
    """One wagon (or one variant of it) as it runs in a train."""

    ref: str = Field(description="'analysis/wagon'")
    variant: str | None = None
    directory: str = Field(description="Its directory in AnalysisResults.root")
    task: str
    config: dict[str, object]
    config_hash: str
    enabled: bool = Field(description="False for a dependency that runs only for others")
    depends_on: list[str] = Field(
        default_factory=list,
        description="The wagons ('analysis/wagon') whose declared products this one reads",
    )
    code_commit: str | None = Field(
        None, description="The git commit its task code was taken from (tag, pull request, main)"
    )
    code_dir: str | None = Field(
        None,
        description="Where that commit's catalog/ was materialised; None: the job's catalog_dir",
    )
    version: str = Field(
        "", description="The version its passing wagon test was for (see the wagon tests)"
    )


class WagonUsage(_Record):
    """What one wagon cost in one job or in a whole train."""

    directory: str
    cpu_s: float = 0.0
    events: int = 0
    output_bytes: int = 0


class SkippedFile(_Record):
    path: str
    reason: str
    events: int | None = None


class RunFilter(_Record):
    """Which events a job of a 'data' dataset may process, by the run in ``branch``."""

    branch: str = Field(description="The branch holding each event's run number")
    usable: list[int] = Field(description="Runs marked good or limited in the run list")
    bad: list[int] = Field(default_factory=list, description="Runs marked bad")


class ExcludedEvents(_Record):
    """Events of one run left out by the run list, and why."""

    run: int
    reason: Literal["bad run", "run not in the run list"]
    events: int
    files: int = Field(0, description="Whole files left out (their runs known from the path)")


class ReplicaRead(_Record):
    """Which copy of a file with replicas a job read, and the copies that failed first."""

    path: str = Field(description="The file as the job's slice names it")
    read: str = Field(description="The URL read")
    storage_element: str | None = None
    failed: list[str] = Field(
        default_factory=list, description="'<url>: <why>' of every copy tried before"
    )


class JobReport(_Record):
    """What one job wrote beside its output: events, per-wagon usage, memory, skipped files."""

    job: str
    events: int
    files: list[FileSlice]
    wagons: list[WagonUsage]
    wall_s: float
    cpu_s: float
    other_threads_cpu_s: float = Field(
        0.0,
        description="CPU of the job's threads other than the event loop's (threads a wagon "
        "started among them): not in any wagon's own cpu_s",
    )
    max_rss_mb: float
    max_pss_mb: float | None = None
    skipped: list[SkippedFile] = Field(default_factory=list)
    replicas_read: list[ReplicaRead] = Field(
        default_factory=list, description="For each file with replicas, the copy the job read"
    )
    site: str | None = Field(None, description="The site the job ran at (WAGONYARD_SITE)")
    excluded: list[ExcludedEvents] = Field(
        default_factory=list, description="Events read but not processed: their runs are not usable"
    )
    versions: dict[str, str] = Field(
        default_factory=dict, description="Python's and the libraries' versions the job ran with"
    )
    output: str
    output_bytes: int


class Attempt(_Record):
    number: int
    round: int = Field(0, description="The retry round it belongs to (0: before any retry)")
    state: JobState
    exit_code: int | None = None
    host: str | None = None
    site: str | None = None
    backend_id: str | None = None
    submitted: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    log_tail: str = ""


class JobRecord(_Record):
    index: int
    name: str
    files: list[FileSlice]
    state: JobState = "pending"
    attempts: list[Attempt] = Field(default_factory=list)
    report: JobReport | None = None


class MergeRecord(_Record):
    """A merging job on the grid: a group of job outputs, or the groups' outputs (final)."""

    name: str
    stage: Literal["group", "final"]
    inputs: list[str] = Field(description="names of the jobs or merges it adds together")
    state: JobState = "pending"
    attempts: list[Attempt] = Field(default_factory=list)
    output: str | None = None
    events: int = 0


class DroppedJob(_Record):
    """A job an express train stopped waiting for: what it would have read."""

    name: str
    files: list[FileSlice]
    events: int | None


class OutputFile(_Record):
    path: str
    sha256: str
    bytes: int
    events: int
    url: str | None = Field(
        None, description="Where it was copied on the output storage element (verified)"
    )


TrainState = Literal[
    "composed",
    "testing",
    "submitted",
    "running",
    "merging",
    "done",
    "test-failed",
    "failed",
    "killed",
]
ENDED: frozenset[str] = frozenset({"done", "test-failed", "failed", "killed"})


class RunSettings(_Record):
    """How a train's jobs run, frozen from its dataset at composition."""

    max_attempts: int = 3
    time_limit_s: int = 3600
    memory_mb: int = 2000
    merge_fan_in: int = 16
    express: bool = False
    express_done_fraction: float = 0.98
    express_factor: float = 3.0
    relax_locality: bool = True
    locality_done_fraction: float = 0.90


class JobTemplate(_Record):
    """What every job of a train shares: with a job's file slices, its whole spec."""

    catalog_dir: str
    tree: str
    output_root: str = Field(description="The train's outputs go to output_root/<train_id>/")
    skip_bad_files: bool = False
    run_filter: RunFilter | None = None
    memory_mb: int | None = None
    output_url: str | None = Field(
        None,
        description="The merged output is copied to output_url/<train_id>/AnalysisResults.root "
        "(an output storage element) and verified there",
    )
    storage_timeout_s: int | None = Field(
        None, description="How long a job waits for a storage element that does not answer"
    )


class TrainTest(_Record):
    """The train's own test before submission: the full train and the merge on the test sample."""

    status: Literal["done", "warning", "failed"]
    reasons: list[str] = Field(default_factory=list)
    test_id: str = ""


class TrainRecord(_Record):
    """Everything about one train run; committed as trains/<train_id>/record.json."""

    schema_version: Literal[1] = 1
    train_id: str
    dataset: str
    catalog_commit: str
    backend: str
    state: TrainState = "composed"
    created: datetime
    finished: datetime | None = None
    trigger: str = Field("", description="Why it was composed: the cron, the request, by hand")
    request: str | None = Field(None, description="The train request that asked for it")
    round: int = Field(0, description="How many times it was retried")
    settings: RunSettings = Field(default_factory=RunSettings)
    template: JobTemplate | None = None
    test: TrainTest | None = None
    wagons: list[WagonInTrain]
    jobs: list[JobRecord] = Field(default_factory=list)
    merges: list[MergeRecord] = Field(default_factory=list)
    policy: Literal["slow", "express"] = "slow"
    dropped: list[DroppedJob] = Field(default_factory=list)
    events_lost_fraction: float = Field(0.0, description="events of dropped jobs / all events")
    locality_relaxed_at: datetime | None = Field(
        None, description="when jobs waiting for their own site were let run anywhere"
    )
    events_processed: int = 0
    excluded: list[ExcludedEvents] = Field(
        default_factory=list,
        description="Events left out by the run list, by run and reason: whole files of "
        "unusable runs found by the dataset's patterns, and events filtered in the jobs",
    )
    versions: dict[str, str] = Field(
        default_factory=dict,
        description="Python's and the libraries' versions the jobs ran with (several, joined by "
        "', ', if the jobs differed): what reproducing the result needs",
    )
    wagon_usage: list[WagonUsage] = Field(default_factory=list)
    output: OutputFile | None = None
    message: str = ""
