"""Read and write ``AnalysisResults.root``: one directory per wagon instance, plus provenance.

The layout ALICE users know: ``<analysis>/<wagon>[_<variant>]/<histogram>`` as TH1D/TH2D and
``wagonyard/provenance``, a TObjString of JSON (train id, catalog commit, config hashes,
events). Adapter around uproot; the merging arithmetic is in ``controller.engine.merge``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import uproot

from controller.engine.merge import Histograms
from controller.engine.task import Hist
from controller.errors import DataError

PROVENANCE_KEY = "wagonyard/provenance"
HIST_CLASSES = ("TH1", "TH2", "TH3")


def write_output(path: Path, histograms: Histograms, provenance: dict[str, Any]) -> int:
    """Write the file atomically (temporary name, then rename); return its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with uproot.recreate(tmp) as f:
            for directory in sorted(histograms):
                for name in sorted(histograms[directory]):
                    f[f"{directory}/{name}"] = histograms[directory][name]
            f[PROVENANCE_KEY] = json.dumps(provenance, sort_keys=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path.stat().st_size


def read_output(path: Path) -> tuple[Histograms, dict[str, Any]]:
    """The histograms by wagon directory and the provenance of one output file."""
    try:
        f = uproot.open(path)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such output file") from exc
    except Exception as exc:
        raise DataError(f"{path}: not a readable ROOT file ({type(exc).__name__}: {exc})") from exc
    with f:
        try:
            classes = f.classnames(recursive=True, cycle=False)
            histograms: Histograms = {}
            for key, cls in classes.items():
                if not cls.startswith(HIST_CLASSES):
                    continue
                directory, _, name = key.rpartition("/")
                histograms.setdefault(directory, {})[name] = f[key].to_hist()
            if PROVENANCE_KEY not in classes:
                raise DataError(
                    f"{path}: no '{PROVENANCE_KEY}' in the file: not a wagonyard output"
                )
            provenance = json.loads(str(f[PROVENANCE_KEY]))
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"{path}: corrupt output file ({type(exc).__name__}: {exc})") from exc
    return histograms, provenance


def histogram_bytes(h: Hist) -> int:
    """The in-memory size of a histogram's bins, a stand-in for its share of the output."""
    return int(h.view(flow=True).nbytes)
