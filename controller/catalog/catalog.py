"""The loaded catalog: every valid file's model with where it came from.

Pure data. ``controller.catalog.loader`` fills it from a directory; everything downstream
(train planning, tests, the site) reads it and never the YAML again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from controller.catalog.models import Analysis, Dataset, RunList, TrainRequest, Wagon

M = TypeVar("M")

# A JSON path as a tuple of keys and indices, mapped to (line, column), both 1-based.
Positions = dict[tuple[str | int, ...], tuple[int, int]]


@dataclass(frozen=True)
class Entry(Generic[M]):
    """A validated model, the file it came from (relative to the repository) and positions."""

    model: M
    path: str
    positions: Positions = field(default_factory=dict, compare=False, repr=False)

    def where(self, *json_path: str | int) -> tuple[int, int]:
        """The line and column of ``json_path``, or of its nearest ancestor that has one."""
        keys = tuple(json_path)
        while keys:
            if keys in self.positions:
                return self.positions[keys]
            keys = keys[:-1]
        return self.positions.get((), (1, 1))


@dataclass(frozen=True)
class Catalog:
    """All valid catalog entries by name. Wagons are keyed 'analysis/wagon'; ``trains`` holds
    the operators' requests of catalog/trains/, by the request's name."""

    root: Path
    analyses: dict[str, Entry[Analysis]] = field(default_factory=dict)
    wagons: dict[str, Entry[Wagon]] = field(default_factory=dict)
    datasets: dict[str, Entry[Dataset]] = field(default_factory=dict)
    runlists: dict[str, Entry[RunList]] = field(default_factory=dict)
    trains: dict[str, Entry[TrainRequest]] = field(default_factory=dict)

    def analysis_dir(self, analysis: str) -> Path:
        return self.root / "analyses" / analysis

    def wagons_of(self, analysis: str) -> dict[str, Entry[Wagon]]:
        prefix = analysis + "/"
        return {k: v for k, v in self.wagons.items() if k.startswith(prefix)}

    def enabled_on(self, dataset: str) -> list[str]:
        """The wagons ('analysis/wagon') enabled on ``dataset``, sorted."""
        return sorted(
            ref
            for ref, entry in self.wagons.items()
            if any(e.dataset == dataset for e in entry.model.enabled)
        )

    def resolve_ref(self, analysis: str, ref: str) -> str:
        """Turn a ``depends_on`` entry into a full 'analysis/wagon' key."""
        return ref if "/" in ref else f"{analysis}/{ref}"

    def wagons_named(self, ref: str) -> list[str]:
        """The wagons ('analysis/wagon') a train request's ``ref`` may mean, sorted: itself if
        it names its analysis, else every wagon of that name."""
        if "/" in ref:
            return [ref] if ref in self.wagons else []
        suffix = "/" + ref
        return sorted(key for key in self.wagons if key.endswith(suffix))

    def resolve_request_wagon(self, ref: str) -> str | None:
        """A train request's wagon as 'analysis/wagon'; None if unknown or ambiguous."""
        found = self.wagons_named(ref)
        return found[0] if len(found) == 1 else None
