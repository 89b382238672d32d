"""Fill the benchmark's histograms with coffea, configured as its users run it (figure K).

Run by ``benchmarks/train_engine.py`` with an interpreter that has coffea, as
``python coffea_run.py STEP REPEAT FILE...``; prints one JSON line: the best wall and the best
CPU seconds of ``REPEAT`` runs (the statistic the train gets), every histogram's bins, what was
preloaded and what was read, and the versions used.

The set-up is coffea's documented one: ``processor.Runner`` with the iterative executor (one
core, as the train), ``BaseSchema`` (the fields are the branches, as the wagons name them), the
engine's ``chunksize``, every other option at its default, and the dataset's ``preload`` in the
fileset: the branches the wagons read, fetched for each chunk by one ``tree.arrays`` call.
Without it NanoEvents fetches each buffer lazily on its own, so a jagged branch (offsets, then
data) is read twice unless uproot's array cache still holds it. The processor hands coffea's
events to each of the ten wagons' own ``process``, as a coffea user's processor would: only the
framework differs from the train (zipping the wagons' columns into one record first timed the
same, within the noise, so the plain way is kept). Before the timed runs, one chunk runs with
``savemetrics`` to record the branches the processor touched and the bytes it read, so that the
preloading can be checked.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    import awkward
    import coffea
    import uproot
    from coffea import processor
    from coffea.nanoevents import BaseSchema

    from benchmarks.engine.analysis import tasks
    from benchmarks.engine.histograms import bin_contents
    from benchmarks.engine.nanoaod import TREE

    step, repeat, files = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    wagons = [(name, getattr(tasks, cls)()) for name, cls in tasks.WAGONS]
    preload = sorted({c for _, w in wagons for c in type(w).columns})

    class Train(processor.ProcessorABC):  # type: ignore[misc]
        def process(self, events: Any) -> dict[str, Any]:
            out = {}
            for name, w in wagons:
                hists = w.book()
                w.process(events, hists)
                out[name] = hists
            return out

        def postprocess(self, accumulator: Any) -> Any:
            return accumulator

    def fileset(paths: list[str]) -> dict[str, Any]:
        return {"nano": {"files": paths, "treename": TREE, "preload": preload}}

    executor = processor.IterativeExecutor(status=False)
    probe = processor.Runner(
        executor=executor, schema=BaseSchema, chunksize=step, maxchunks=1, savemetrics=True
    )
    _, metrics = probe(fileset(files[:1]), processor_instance=Train())
    touched = sorted({c.rsplit("-", 1)[0] for c in metrics["columns"]})

    runner = processor.Runner(executor=executor, schema=BaseSchema, chunksize=step)
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = runner(fileset(files), processor_instance=Train())
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)

    result = {
        "wall": min(walls),
        "cpu": min(cpus),
        "walls": walls,
        "contents": bin_contents({f"bench/{name}": out[name] for name, _ in wagons}),
        "preload": preload,
        "touched": touched,
        "bytes_read": metrics["bytesread"],
        "bytes_stored": _stored_bytes(uproot, files[0], TREE, touched, metrics["entries"]),
        "versions": f"coffea {coffea.__version__}, uproot {uproot.__version__}, "
        f"awkward {awkward.__version__}",
    }
    print(json.dumps(result))


def _stored_bytes(uproot: Any, path: str, tree: str, branches: list[str], stop: int) -> int:
    """The compressed size of the baskets of ``branches`` holding entries before ``stop``."""
    with uproot.open(path) as f:
        t = f[tree]
        return sum(
            b.basket_compressed_bytes(i)
            for b in (t[name] for name in branches)
            for i in range(b.num_baskets)
            if b.basket_entry_start_stop(i)[0] < stop
        )


if __name__ == "__main__":
    main()
