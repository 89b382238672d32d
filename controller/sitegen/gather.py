"""Read a train's merged ``AnalysisResults.root`` into the site's plain histogram data.

For every wagon directory, each TH1 and TH2: name, title, axis edges and labels, contents,
errors, entries, means, whether it was filled with weights, and the bytes the directory's
objects take in the file. A missing or unreadable file becomes a plain ``problem`` on the
train's page, never an exception out of the build. Adapter around uproot; draws nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import uproot

from controller.errors import DataError
from controller.records import TrainRecord
from controller.sitegen.model import Axis, Hist1D, Hist2D, Histogram, TrainOutput, WagonOutput

PROVENANCE_KEY = "wagonyard/provenance"


def under(recorded: str, outputs_root: Path) -> str:
    """``recorded`` under ``outputs_root`` unless absolute (``os.path``: a big site asks
    200,000 times, and ``pathlib`` took a tenth of a rebuild's time of the trains)."""
    return recorded if os.path.isabs(recorded) else os.path.join(outputs_root, recorded)


def read_train_output(record: TrainRecord, outputs_root: Path) -> TrainOutput:
    """The histograms of the train's output, or why there are none to show."""
    o = record.output
    return read_output((o.path, o.sha256) if o else None, record.state, outputs_root)


def read_output(recorded: tuple[str, str] | None, state: str, outputs_root: Path) -> TrainOutput:
    """The histograms of a train's output recorded as (path, sha256), or why there are none
    to show (``state``: the train's)."""
    if recorded is None:
        why = "it failed before merging" if state == "failed" else f"it is {state}"
        return TrainOutput(path="", problem=f"This train has no merged output yet: {why}.")
    shown, sha256 = recorded
    found = under(shown, outputs_root)
    if not os.path.isfile(found):
        return TrainOutput(path=shown, problem=f"The output file {found} is missing.")
    path = Path(found)
    try:
        wagons, provenance = read_histograms(path)
    except DataError as exc:
        return TrainOutput(path=shown, problem=f"The output file cannot be read: {exc}")
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return TrainOutput(shown, wagons, provenance, None, digest == sha256)


def read_histograms(path: Path) -> tuple[tuple[WagonOutput, ...], str]:
    """Every wagon directory's 1D and 2D histograms, and the provenance as indented JSON."""
    try:
        with uproot.open(path) as f:
            classes: dict[str, str] = f.classnames(recursive=True, cycle=False)
            by_dir: dict[str, list[Histogram]] = {}
            sizes: dict[str, int] = {}
            for key, cls in classes.items():
                if cls.startswith(("TH1", "TH2")):
                    directory, _, name = key.rpartition("/")
                    by_dir.setdefault(directory, []).append(to_histogram(name, f[key], cls))
                    sizes[directory] = sizes.get(directory, 0) + int(f.key(key).fNbytes)
            provenance = ""
            if classes.get(PROVENANCE_KEY) == "TObjString":
                provenance = _pretty(str(f[PROVENANCE_KEY]))
    except Exception as exc:  # uproot raises many kinds on a corrupt file
        raise DataError(f"{path}: {type(exc).__name__}: {exc}") from exc
    wagons = tuple(WagonOutput(d, tuple(hs), sizes[d]) for d, hs in by_dir.items())
    return wagons, provenance


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True)
    except ValueError:
        return text


def to_histogram(name: str, obj: Any, cls: str) -> Histogram:
    """Plain data from an uproot TH1 or TH2 model."""
    title = str(obj.member("fTitle") or "")
    entries = float(obj.member("fEntries"))
    # filled with weights: the variances differ from the contents (for counts they are equal)
    weighted = not np.allclose(
        np.asarray(obj.variances(flow=True), dtype=np.float64),
        np.asarray(obj.values(flow=True), dtype=np.float64),
    )
    if cls.startswith("TH2"):
        x, y = _axis(obj.axis(0)), _axis(obj.axis(1))
        values = np.asarray(obj.values(), dtype=np.float64)
        return Hist2D(
            name=name,
            title=title,
            x=x,
            y=y,
            values=tuple(tuple(float(v) for v in row) for row in values),
            entries=entries,
            mean_x=_mean_std(x.edges, values.sum(axis=1))[0],
            mean_y=_mean_std(y.edges, values.sum(axis=0))[0],
            weighted=weighted,
        )
    x = _axis(obj.axis(0))
    values = np.asarray(obj.values(), dtype=np.float64)
    flow = np.asarray(obj.values(flow=True), dtype=np.float64)
    mean, std = _mean_std(x.edges, values)
    return Hist1D(
        name=name,
        title=title,
        x=x,
        values=tuple(float(v) for v in values),
        errors=tuple(float(e) for e in np.asarray(obj.errors(), dtype=np.float64)),
        entries=entries,
        mean=mean,
        std=std,
        underflow=float(flow[0]),
        overflow=float(flow[-1]),
        weighted=weighted,
    )


def _axis(axis: Any) -> Axis:
    edges = tuple(float(e) for e in np.asarray(axis.edges(), dtype=np.float64))
    return Axis(label=str(axis.member("fTitle") or ""), edges=edges)


def _mean_std(edges: Sequence[float], weights: Any) -> tuple[float | None, float | None]:
    """Mean and standard deviation of the bin centres weighted by the contents, like ROOT's."""
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum())
    if total <= 0 or not math.isfinite(total):
        return None, None
    e = np.asarray(edges, dtype=np.float64)
    centres = (e[:-1] + e[1:]) / 2
    mean = float((w * centres).sum() / total)
    variance = float((w * (centres - mean) ** 2).sum() / total)
    return mean, math.sqrt(max(variance, 0.0))
