"""A task that misbehaves on chosen jobs and attempts, found from its working directory
(``.../jobs/<index>/attempt-<n>``), so that the grid's recovery can be tested for real."""

from __future__ import annotations

import os
import time
from pathlib import Path

import awkward as ak
import hist
import numpy as np

from controller.engine.task import Task

# (job index, attempt) -> what goes wrong
FAULTS = {
    (0, 1): "sleep",  # killed midway by the test
    (1, 1): "exit",
    (1, 2): "exit",  # exits non-zero twice, then succeeds
    (2, 1): "hang",  # runs past the time limit
}


class Faulty(Task):
    columns = ("M",)

    def book(self) -> dict[str, hist.Hist]:
        return {"m": hist.Hist(hist.axis.Regular(30, 0, 150, name="m"))}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        here = Path.cwd()
        job, attempt = int(here.parent.name), int(here.name.removeprefix("attempt-"))
        fault = FAULTS.get((job, attempt))
        if fault == "exit":
            raise RuntimeError(f"injected failure in job {job}, attempt {attempt}")
        if fault in ("sleep", "hang"):
            (here / "started").write_text(str(os.getpid()))
            time.sleep(600)
        out["m"].fill(m=np.asarray(events.M))
