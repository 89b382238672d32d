"""Submit 1,000 small jobs to a real Slurm through wagonyard's Slurm backend, and time it.

Target (issue 5): under 30 s for the 1,000 submissions. Also times one query of all 1,000
states and how long Slurm takes to run them on this machine. Needs a running Slurm: start
one with `bash scripts/slurm-up.sh` (as root) and export the SLURM_CONF it prints.

    python3 benchmarks/slurm_submit.py [--jobs 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from controller.grid.base import JobRequest
from controller.grid.slurm import SlurmBackend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args()
    if not os.environ.get("SLURM_CONF"):
        raise SystemExit("export SLURM_CONF first (bash scripts/slurm-up.sh prints it)")
    work = Path(tempfile.mkdtemp(prefix="wagonyard-slurm-bench-"))
    backend = SlurmBackend(work / "state")
    stamp = int(time.time())
    names = [f"bench-{stamp}-{i:05d}" for i in range(args.jobs)]
    each = []
    t0 = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        backend.submit(JobRequest(name=name, command=["true"], workdir=str(work), time_limit_s=60))
        each.append(time.perf_counter() - t)
    submit_s = time.perf_counter() - t0
    # the same number of jobs again, as one job array (what a train's jobs become)
    arrays = SlurmBackend(work / "state-arrays")
    requests = [
        JobRequest(name=f"{n}-arr", command=["true"], workdir=str(work), time_limit_s=60)
        for n in names
    ]
    t = time.perf_counter()
    arrays.submit_many(requests)
    array_s = time.perf_counter() - t
    t = time.perf_counter()
    states = backend.query(names)
    query_s = time.perf_counter() - t
    ok = "OK" if submit_s < 30 else "FAIL"
    print(f"submitted {args.jobs:,} jobs in {submit_s:.2f} s (target < 30 s): {ok}")
    print(
        f"  per job: median {1000 * statistics.median(each):.1f} ms, max {1000 * max(each):.1f} ms"
    )
    print(f"  as one job array: {array_s:.2f} s for the {args.jobs:,}")
    print(f"  one query of all {args.jobs:,} states: {query_s:.2f} s")
    end = time.monotonic() + 20
    while time.monotonic() < end:
        states = backend.query(names)
        if all(s.state in ("done", "failed", "cancelled") for s in states.values()):
            break
        time.sleep(2)
    done = sum(s.state == "done" for s in states.values())
    print(
        f"  {done:,} of {args.jobs:,} done {time.perf_counter() - t0:.0f} s after the first submission"
    )
    left = [n for n, s in states.items() if s.state in ("pending", "running")]
    backend.cancel(left)
    arrays.cancel([r.name for r in requests])
    if left:
        print(f"  cancelled the {len(left):,} still waiting (2 cores run them two at a time)")


if __name__ == "__main__":
    main()
