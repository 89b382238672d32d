"""The observed state: what the history branch records at one commit.

Layout of the branch: ``trains/<id>/record.json`` (a train run), ``wagon-tests/latest/<dataset>/
<analysis>/<wagon>.json`` (each wagon's latest test), ``requests/<name>.json`` (a train request
carried out or refused), ``notifications/<key>.json`` (an e-mail sent) and
``controller/lease.json`` (which controller may act). Read with one ``git ls-tree`` and one
``git cat-file --batch``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from controller.history import HistoryStore
from controller.reconcile.model import Observed, TestSeen, TrainSeen
from controller.records import TrainRecord
from controller.wagontest.report import CaseReport

LEASE = "controller/lease.json"
LATEST = "wagon-tests/latest/"


class Lease(BaseModel):
    """Which controller may act on the grid until when; renewed by each of its commits."""

    model_config = ConfigDict(extra="forbid")

    holder: str
    until: datetime


@dataclass
class History:
    head: str | None
    observed: Observed
    records: dict[str, TrainRecord] = field(default_factory=dict)
    lease: Lease | None = None


def record_path(train_id: str) -> str:
    return f"trains/{train_id}/record.json"


def request_path(name: str) -> str:
    return f"requests/{name}.json"


def notice_path(key: str) -> str:
    return f"notifications/{key}.json"


def read_history(store: HistoryStore) -> History:
    head = store.tip()
    if head is None:
        return History(None, Observed())
    listing = store.blob_ids(head)  # one ls-tree: what to read, and the requests and notices
    paths = list(listing)
    data = store.read_listed(
        listing,
        lambda p: (
            (p.startswith("trains/") and p.endswith("/record.json"))
            or (p.startswith(LATEST) and p.endswith(".json"))
            or p == LEASE
        ),
    )
    records: dict[str, TrainRecord] = {}
    tests: dict[tuple[str, str], TestSeen] = {}
    lease = None
    for path, blob in data.items():
        if path == LEASE:
            lease = Lease.model_validate_json(blob)
        elif path.startswith("trains/"):
            r = TrainRecord.model_validate_json(blob)
            records[r.train_id] = r
        else:
            dataset = path[len(LATEST) :].split("/", 1)[0]
            case = json.loads(blob)
            if case.get("kind") == "wagon":
                c = CaseReport.model_validate(case)
                tests[(dataset, c.name)] = TestSeen(c.version, c.status)
    trains = tuple(_seen(r) for r in records.values())
    observed = Observed(
        tests=tests,
        trains=trains,
        requests_done=frozenset(
            p[len("requests/") : -len(".json")] for p in paths if p.startswith("requests/")
        ),
        notified=frozenset(
            p[len("notifications/") : -len(".json")]
            for p in paths
            if p.startswith("notifications/")
        ),
    )
    return History(head, observed, records, lease)


def _seen(r: TrainRecord) -> TrainSeen:
    open_jobs = sum(1 for j in r.jobs if j.state not in ("done", "dropped", "failed", "cancelled"))
    return TrainSeen(
        r.train_id,
        r.dataset,
        r.state,
        r.created,
        tuple((w.ref, w.version) for w in r.wagons if w.enabled and w.variant is None),
        open_jobs,
        len(r.jobs),
    )
