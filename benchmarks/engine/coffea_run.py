"""Fill the benchmark's histograms with coffea, one processor, iterative executor.

Run by benchmarks/engine/run.py with an interpreter that has coffea; prints one JSON line
{"seconds": ..., "version": ...}. The processor does the same computations as the ten
wagons (it calls their process methods on coffea's chunks), so only the framework differs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    import coffea
    from coffea import processor
    from coffea.nanoevents import BaseSchema

    from benchmarks.engine.analysis import tasks

    step, files = int(sys.argv[1]), sys.argv[2:]
    wagons = [getattr(tasks, cls)() for _, cls in tasks.WAGONS]
    columns = sorted({c for w in wagons for c in type(w).columns})

    class Train(processor.ProcessorABC):  # type: ignore[misc]
        def process(self, events):  # type: ignore[no-untyped-def]
            import awkward as ak

            arrays = ak.zip({c: events[c] for c in columns}, depth_limit=1)
            out = {}
            for (name, _), w in zip(tasks.WAGONS, wagons, strict=True):
                hists = w.book()
                w.process(arrays, hists)
                out[name] = hists
            return out

        def postprocess(self, accumulator):  # type: ignore[no-untyped-def]
            return accumulator

    runner = processor.Runner(
        executor=processor.IterativeExecutor(), schema=BaseSchema, chunksize=step, savemetrics=False
    )
    t0 = time.perf_counter()
    runner({"nano": files}, processor_instance=Train(), treename="Events")
    print(json.dumps({"seconds": time.perf_counter() - t0, "version": coffea.__version__}))


if __name__ == "__main__":
    main()
