"""Wagons that misbehave on purpose, one way each, for the wagon-test tests."""

from __future__ import annotations

import time

import awkward as ak
import hist
import numpy as np
from pydantic import Field

from controller.engine.task import Task, TaskConfig


def mass_hist(bins: int = 60) -> hist.Hist:
    return hist.Hist(hist.axis.Regular(bins, 0, 150, name="m"))


class Good(Task):
    columns = ("M",)

    def book(self) -> dict[str, hist.Hist]:
        return {"m": mass_hist()}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        out["m"].fill(m=np.asarray(events.M))


class Raises(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        raise RuntimeError("the calibration table is missing")


class LeaksConfig(TaskConfig):
    mb_per_chunk: int = Field(15, description="memory kept after every chunk")


class Leaks(Good):
    Config = LeaksConfig

    def __init__(self, config: TaskConfig | None = None) -> None:
        super().__init__(config)
        self.hoard: list[np.ndarray] = []

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        self.hoard.append(np.ones(self.config.mb_per_chunk * 131072))  # never released
        super().process(events, out)


class BurnsCpu(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        end = time.process_time() + 0.0005 * len(events)  # 0.5 ms per event
        while time.process_time() < end:
            pass
        super().process(events, out)


class Oversized(Good):
    def book(self) -> dict[str, hist.Hist]:
        return {
            "m": mass_hist(),
            "huge": hist.Hist(
                hist.axis.Regular(200_000, 0, 1, name="x"), storage=hist.storage.Weight()
            ),
        }

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        super().process(events, out)
        rng = np.random.default_rng(len(events))
        centers = out["huge"].axes[0].centers
        out["huge"].fill(x=centers, weight=rng.random(len(centers)))  # incompressible contents


class Chatty(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        for i in range(len(events)):
            print(f"debug: event {i} of this chunk looks fine, mass {float(events.M[i]):.3f} GeV")
        super().process(events, out)


class Hangs(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        time.sleep(3600)


class Unmergeable(Good):
    columns = ("M", "Event")

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        if out["m"].sum() == 0:  # binning chosen from the data: differs from job to job
            out["m"] = mass_hist(10 + int(events.Event[0]) % 50)
        super().process(events, out)


class PatchesNumpy(Good):
    """Replaces numpy.sqrt for the whole process: every wagon after it computes wrong masses."""

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        np.sqrt = np.square  # type: ignore[assignment]
        super().process(events, out)
