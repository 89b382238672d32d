"""Load a train's wagon instances and run every chunk of events through all of them.

The event loop at the heart of every job: each chunk is read once and handed to every wagon in
dependency order; a service wagon's derived columns are added to the chunk for the wagons after
it. CPU time is accounted per wagon. A wagon that raises stops the job with a ``TaskError``
naming the wagon, the file and the entry range.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from controller.catalog.tasks import import_task
from controller.engine.merge import Histograms
from controller.engine.plan import WagonInstance
from controller.engine.source import Chunk
from controller.engine.task import Hist, Task
from controller.errors import TaskError
from controller.records import WagonInTrain


def config_hash(task: str, config: dict[str, Any]) -> str:
    """A short, stable hash of a task and its fully resolved configuration."""
    blob = json.dumps({"task": task, "config": config}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass
class LoadedWagon:
    instance: WagonInstance
    task: Task
    config: dict[str, Any]
    hists: dict[str, Hist] = field(default_factory=dict)
    cpu_s: float = 0.0
    events: int = 0

    @property
    def directory(self) -> str:
        return self.instance.directory

    def describe(self) -> WagonInTrain:
        i = self.instance
        return WagonInTrain(
            ref=i.ref,
            variant=i.variant,
            directory=i.directory,
            task=i.task,
            config=self.config,
            config_hash=config_hash(i.task, self.config),
            enabled=i.enabled,
        )


def load_wagons(catalog_dir: Path, instances: list[WagonInstance]) -> list[LoadedWagon]:
    """Import each instance's task, validate its config and book its histograms."""
    loaded: list[LoadedWagon] = []
    for inst in instances:
        wagon_file = f"{catalog_dir.name}/analyses/{inst.analysis}/wagons/{inst.wagon}.yaml"
        cls = import_task(catalog_dir / "analyses" / inst.analysis, inst.task)
        try:
            config = cls.Config.model_validate(inst.config)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            variant = f" (variant '{inst.variant}')" if inst.variant else ""
            raise TaskError(f"{wagon_file}: config.{where}: {first['msg']}{variant}") from exc
        task = cls(config)
        try:
            booked = task.book()
        except Exception as exc:
            raise TaskError(
                f"wagon {inst.directory} ({wagon_file}) failed to book its outputs: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        loaded.append(LoadedWagon(inst, task, config.model_dump(mode="json"), booked))
    return loaded


def columns_to_read(wagons: list[LoadedWagon]) -> list[str]:
    """The union of the columns the wagons read, less those a service wagon produces."""
    produced = {c for w in wagons for c in type(w.task).produces}
    wanted = {c for w in wagons for c in type(w.task).columns}
    return sorted(wanted - produced)


def run_chunks(
    wagons: list[LoadedWagon],
    chunks: Iterable[Chunk],
    on_chunk: Callable[[Chunk], None] | None = None,
) -> int:
    """Hand every chunk to every wagon in order; return the number of events processed."""
    events_total = 0
    for chunk in chunks:
        events = chunk.events
        for w in wagons:
            t0 = time.process_time()
            try:
                derived = w.task.process(events, w.hists)
            except Exception as exc:
                raise TaskError(
                    f"wagon {w.directory} raised {type(exc).__name__}: {exc} "
                    f"while processing {chunk.path} entries {chunk.entry_start}-{chunk.entry_stop}"
                ) from exc
            if derived and w.instance.variant is None:
                for name, column in derived.items():
                    events[name] = column
            w.cpu_s += time.process_time() - t0
            w.events += len(chunk)
        events_total += len(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return events_total


def histograms_of(wagons: list[LoadedWagon]) -> Histograms:
    """The filled histograms by wagon directory (wagons that book nothing have none)."""
    return {w.directory: w.hists for w in wagons if w.hists}
