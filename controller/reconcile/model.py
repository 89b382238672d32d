"""What the controller compares: the desired state (main), the observed one (history, grid).

Plain frozen data, built by the adapters in ``controller.reconcile.desired`` and
``controller.reconcile.observed`` and read by the pure planner. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ActionKind = Literal[
    "test", "compose", "test-train", "advance", "kill", "retry", "refuse", "notify"
]
ACTIVE = ("composed", "testing", "submitted", "running", "merging")


@dataclass(frozen=True)
class WagonWant:
    """A wagon enabled on a dataset, as main declares it now."""

    ref: str
    version: str  # what a test must have been run on (controller.reconcile.versions)
    code: str = "composition"  # 'composition', 'tag v1.2', 'pull request #7'
    code_commit: str | None = None
    blocked: str = ""  # why it cannot run now (tag missing, pull request not approved)


@dataclass(frozen=True)
class DatasetWant:
    name: str
    cron: str | None
    min_wagons: int
    allow_warnings: bool
    wagons: tuple[WagonWant, ...]


@dataclass(frozen=True)
class RequestWant:
    """A train request file on main."""

    name: str
    action: Literal["run", "kill", "retry"]
    reason: str
    dataset: str | None = None
    wagons: tuple[str, ...] = ()
    train: str | None = None


@dataclass(frozen=True)
class Desired:
    commit: str
    datasets: dict[str, DatasetWant]
    requests: tuple[RequestWant, ...] = ()


@dataclass(frozen=True)
class TestSeen:
    """The latest recorded test of a wagon on a dataset."""

    __test__ = False  # not a pytest test class, whatever its name

    version: str
    status: Literal["done", "warning", "failed"]
    test_id: str = ""


@dataclass(frozen=True)
class TrainSeen:
    train_id: str
    dataset: str
    state: str
    created: datetime
    wagons: tuple[tuple[str, str], ...] = ()  # (ref, version) of the enabled wagons
    open_jobs: int = 0
    jobs: int = 0


@dataclass(frozen=True)
class Observed:
    tests: dict[tuple[str, str], TestSeen] = field(default_factory=dict)  # (dataset, ref)
    trains: tuple[TrainSeen, ...] = ()
    requests_done: frozenset[str] = frozenset()
    notified: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Action:
    """One thing to do, and why, in words a person understands."""

    kind: ActionKind
    reason: str
    dataset: str | None = None
    wagons: tuple[str, ...] = ()
    train: str | None = None
    request: str | None = None
    notice: str | None = None  # the key of a notification: 'train/<id>', 'test/<ds>/<ref>/<v>'

    def line(self) -> str:
        target = self.train or self.dataset or self.request or ""
        return f"{self.kind} {target}: {self.reason}"


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    waiting: tuple[str, ...] = ()  # what is not done now, and why
