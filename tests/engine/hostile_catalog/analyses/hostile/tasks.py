"""Wagons that try to change what other wagons see, on a flat and on a jagged column.

Each family is made twice: ``*Flat`` on the real CMS dimuon events (``pt1``) and ``*Jagged``
on the simulated HZZ events (``Muon_Px``, a list per event). Every wagon fills the histogram
``x`` with the values of the column as it sees them after its misdeed, so a test can tell its
own view from everyone else's.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import hist
import numpy as np
from pydantic import Field

from controller.engine.task import Task, TaskConfig


class ScaleConfig(TaskConfig):
    scale: float = Field(1.0, description="factor applied to the column in the wagon's view")


def _hist() -> hist.Hist:
    return hist.Hist(hist.axis.Regular(80, -200, 200, name="x"))


def _values(events: ak.Array, column: str) -> np.ndarray:
    return np.asarray(ak.ravel(events[column]))


def family(column: str) -> dict[str, type[Task]]:
    """The hostile wagons reading ``column``."""

    class Spy(Task):
        """The victim: fills the column exactly as it is given."""

        columns = (column,)

        def book(self) -> dict[str, hist.Hist]:
            return {"x": _hist()}

        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            out["x"].fill(x=_values(events, column))
            return None

    class SetsField(Spy):
        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            events[column] = events[column] * 2
            return super().process(events, out)

    class DeletesField(Spy):
        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            keep = _values(events, column)
            del events[column]
            out["x"].fill(x=keep)

    class WritesBuffer(Spy):
        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            buffer = _values(events, column)
            buffer *= 2
            out["x"].fill(x=buffer)

    class WritesLayout(Spy):
        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            layout = events[column].layout
            data = (
                layout.data if isinstance(layout, ak.contents.NumpyArray) else layout.content.data
            )
            data[0] = 1e6
            return super().process(events, out)

    class ReturnsUndeclared(Spy):
        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            super().process(events, out)
            return {column: events[column] * 2}

    class Shadows(Spy):
        """A service wagon producing a column of the same name as the branch it reads."""

        produces = (column,)

        def book(self) -> dict[str, hist.Hist]:
            return {}

        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            return {column: events[column] * 2}

    class Doubles(Shadows):
        """A service wagon producing 'doubled'."""

        produces = ("doubled",)

        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            return {"doubled": events[column] * 2}

    class ReadsDoubled(Spy):
        columns = ("doubled",)

        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            out["x"].fill(x=_values(events, "doubled"))

    class Scales(Spy):
        Config = ScaleConfig

        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            events[column] = events[column] * self.config.scale
            return super().process(events, out)

    class ReturnsList(Doubles):
        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            return [events[column]]

    class ReturnsShort(Doubles):
        def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> Any:
            return {"doubled": events[column][:-1] * 2}

    class BooksJunk(Spy):
        def book(self) -> dict[str, hist.Hist]:
            return {"x": [0.0] * 10}  # type: ignore[dict-item]

    return {k: v for k, v in locals().items() if isinstance(v, type)}


for _suffix, _column in (("Flat", "pt1"), ("Jagged", "Muon_Px")):
    for _name, _cls in family(_column).items():
        _cls.__name__ = _cls.__qualname__ = f"{_name}{_suffix}"
        globals()[f"{_name}{_suffix}"] = _cls
