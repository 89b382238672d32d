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
        # an intermediate merge passes on the jobs it holds, so the final file names them all
        parts.extend(
            provenance.get("merged_from")
            or [
                {
                    "file": str(path),
                    "job": provenance.get("job"),
                    "events": provenance.get("events"),
                }
            ]
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


def merge_staged(
    inputs: list[Path], output: Path, fan_in: int = 16, scratch: Path | None = None
) -> dict[str, Any]:
    """Merge in stages of at most ``fan_in`` files each, as a grid's merging jobs would.

    Each stage writes intermediate files beside ``output`` (or in ``scratch``); memory holds
    one running sum and one input at a time whatever the number of inputs.
    """
    if fan_in < 2:
        raise MergeError(f"a merge fan-in of {fan_in} cannot converge; use 2 or more")
    work = scratch or output.parent / f".{output.name}.stages"
    level, current = 0, list(inputs)
    intermediates: list[Path] = []
    while len(current) > fan_in:
        nxt = []
        for i in range(0, len(current), fan_in):
            part = work / f"stage{level}-{i // fan_in:05d}.root"
            merge_files(current[i : i + fan_in], part)
            nxt.append(part)
        intermediates.extend(nxt)
        current, level = nxt, level + 1
    merged = merge_files(current, output)
    merged["stages"] = level + 1
    for p in intermediates:
        p.unlink(missing_ok=True)
    if work.exists() and not any(work.iterdir()):
        work.rmdir()
    return merged
