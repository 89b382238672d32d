"""Write a large multi-file dataset by resampling the real CMS dimuon events with a fixed seed.

For each run of the real sample, events of that run are drawn with replacement into
``files_per_run`` files (``zmumu-large/run<run>/part-<k>.root``), each event keeping its run
number and getting a fresh event number. Same seed, same files. Adapter around uproot.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import uproot

COMPRESSIONS: dict[str, Callable[[], object]] = {
    "zlib": lambda: uproot.ZLIB(1),
    "lz4": lambda: uproot.LZ4(1),
    "zstd": lambda: uproot.ZSTD(5),
    "none": lambda: None,
}


def real_dimuon_events() -> dict[str, np.ndarray]:
    import skhep_testdata

    with uproot.open(skhep_testdata.data_path("uproot-Zmumu.root")) as f:
        arrays: dict[str, np.ndarray] = f["events"].arrays(library="np")
    arrays.pop("Type", None)  # a string branch; the numeric branches are what analyses read
    return arrays


def write_demo_data(
    out_dir: Path,
    events: int = 1_000_000,
    files: int = 20,
    seed: int = 20101,
    compression: str = "zstd",
    basket: int = 25_000,
) -> list[Path]:
    """Write ``files`` files holding ``events`` events in all; return their paths."""
    source = real_dimuon_events()
    runs = np.unique(source["Run"])
    rng = np.random.default_rng(seed)
    per_run = max(1, files // len(runs))
    per_file = events // (per_run * len(runs))
    written: list[Path] = []
    event_number = 1
    for run in runs:
        pool = np.flatnonzero(source["Run"] == run)
        for k in range(per_run):
            path = out_dir / "zmumu-large" / f"run{run}" / f"part-{k:03d}.root"
            path.parent.mkdir(parents=True, exist_ok=True)
            pick = rng.choice(pool, size=per_file, replace=True)
            chunk = {name: values[pick] for name, values in source.items()}
            chunk["Event"] = np.arange(event_number, event_number + per_file, dtype=np.int32)
            event_number += per_file
            tmp = path.with_suffix(".tmp")
            with uproot.recreate(tmp, compression=COMPRESSIONS[compression]()) as f:
                f.mktree("events", {name: v.dtype for name, v in chunk.items()})
                for start in range(0, per_file, basket):
                    f["events"].extend({n: v[start : start + basket] for n, v in chunk.items()})
            tmp.replace(path)
            written.append(path)
    return written
