"""Merge job output files into one: histograms added, provenance combined, events summed.

Reads one input at a time, so memory holds one file's histograms plus the running sum.
Adapter around ``controller.engine.output``; the arithmetic is ``controller.engine.merge``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from controller.engine.merge import Histograms, add_into
from controller.engine.output import read_output, write_output
from controller.errors import MergeError


def merge_files(inputs: list[Path], output: Path) -> dict[str, Any]:
    """Merge ``inputs`` into ``output``; return the merged provenance."""
    if not inputs:
        raise MergeError("nothing to merge: give at least one input file")
    total: Histograms = {}
    events = 0
    parts: list[dict[str, Any]] = []
    first = str(inputs[0])
    for i, path in enumerate(inputs):
        histograms, provenance = read_output(path)
        if i == 0:
            total = histograms
            base = provenance
        else:
            add_into(total, histograms, first, str(path))
        events += int(provenance.get("events", 0))
        parts.append(
            {"file": str(path), "job": provenance.get("job"), "events": provenance.get("events")}
        )
    merged = {
        "train_id": base.get("train_id"),
        "catalog_commit": base.get("catalog_commit"),
        "dataset": base.get("dataset"),
        "wagons": base.get("wagons", []),
        "events": events,
        "merged_from": parts,
    }
    write_output(output, total, merged)
    return merged
