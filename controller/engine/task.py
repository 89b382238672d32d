"""The task API that analysts write against: configurables, columns, booking, processing.

A task is a small class, like coffea's processor: it declares its configurables as a pydantic
model, the columns it reads, books its histograms, and fills them from one chunk of events at a
time. It holds no global state and is picklable. Pure: no file or network I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import awkward as ak
import hist
from pydantic import BaseModel, ConfigDict

# A booked histogram of any storage (hist.Hist is generic in its storage type).
Hist = hist.Hist[Any]


class TaskConfig(BaseModel):
    """Base of every task's configurables: typed fields with defaults and descriptions."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Task:
    """Base class of analysis tasks.

    Subclasses set ``Config`` (a ``TaskConfig`` subclass), ``columns`` (the branches or derived
    columns they read) and, for service wagons, ``produces`` (the derived columns they add).
    """

    Config: ClassVar[type[TaskConfig]] = TaskConfig
    columns: ClassVar[tuple[str, ...]] = ()
    produces: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: TaskConfig | None = None) -> None:
        self.config: Any = config if config is not None else self.Config()

    def book(self) -> dict[str, Hist]:
        """Return the empty histograms this task fills, by name."""
        return {}

    def process(self, events: ak.Array, out: dict[str, Hist]) -> Mapping[str, ak.Array] | None:
        """Fill ``out`` from one chunk of ``events``; service tasks return derived columns."""
        raise NotImplementedError(f"{type(self).__name__}.process is not written")
