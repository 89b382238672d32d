"""Run a train to its end in this process: a thin loop over ``advance`` (demo, tests).

The controller does not block like this: each ``wagonyard reconcile`` pass advances every
running train one step and commits. Here the record is only kept in memory between steps
(``save`` may persist each one).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from controller.grid.base import Backend
from controller.records import ENDED, TrainRecord
from controller.trainrun.advance import act, step


def run(
    record: TrainRecord,
    backend: Backend,
    poll_s: float = 0.5,
    progress: Callable[[TrainRecord], None] | None = None,
) -> TrainRecord:
    """Submit, poll, resubmit, merge until the train ends; the ended record."""
    if record.state in ("composed", "testing"):
        record = record.model_copy(update={"state": "submitted"})
    while True:
        s = step(record, backend)
        act(s, backend)
        record = s.record
        if progress:
            progress(record)
        if record.state in ENDED:
            return record
        time.sleep(poll_s)
