"""How long ``wagonyard site build`` takes on a big repository (target: under 60 s).

A generated git repository (written with ``git fast-import``): 10,000 wagons in 1,000 analyses
(500 members, 10 groups) enabled on 20 datasets, and a history branch with 100,000 train records
(8 wagons and 4 jobs each, over 200 days; most done, some failed, a few running) and 200
wagon-test reports (20,000 wagon tests with their memory samples: each wagon tested twice, on
the datasets it is enabled on, so that every wagon page shows tests). Timed, end to end in this
process: a first build into an empty folder (nothing cached), then a rebuild of the same inputs
(which rewrites nothing and takes every train page from the page cache the first build left in
the site's folder, ``.wagonyard-cache/``); both must take under 60 s. Also prints the size of
the biggest pages, to show they stay usable.

    python3 benchmarks/site.py [--wagons 10000] [--trains 100000] [--keep /tmp/wy-site-bench]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from controller.sitegen.build import build_from_repository

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
TARGET_S = 60.0
WAGONS_PER_ANALYSIS = 10
DATASETS = 20
GROUPS = ("EW", "HIGGS", "TOP", "BPH", "SUSY", "EXO", "HIN", "JME", "MUO", "TRK")


def _blob(out: list[bytes], path: str, data: bytes) -> None:
    out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")


def catalog_files(
    analyses: int, rng: random.Random
) -> tuple[dict[str, bytes], dict[str, list[str]]]:
    """The catalog's files, and the datasets each wagon is enabled on."""
    example = Path(__file__).resolve().parents[1] / "catalog"
    files: dict[str, bytes] = {
        "catalog/runlists/run2010b-dimuon.yaml": (
            example / "runlists/run2010b-dimuon.yaml"
        ).read_bytes()
    }
    template = (example / "datasets/cms-2010-dimuon.yaml").read_text()
    enabled_on: dict[str, list[str]] = {}
    for d in range(DATASETS):
        text = template.replace("name: cms-2010-dimuon", f"name: ds-{d:02d}")
        files[f"catalog/datasets/ds-{d:02d}.yaml"] = text.encode()
    for a in range(analyses):
        name = f"ana-{a:04d}"
        members = sorted({f"analyst-{rng.randrange(500):03d}" for _ in range(2)})
        files[f"catalog/analyses/{name}/analysis.yaml"] = (
            f"name: {name}\ntitle: Analysis number {a}\ngroup: {GROUPS[a % len(GROUPS)]}\n"
            f"members: [{', '.join(members)}]\n"
        ).encode()
        for w in range(WAGONS_PER_ANALYSIS):
            ds = sorted({rng.randrange(DATASETS) for _ in range(2)})
            enabled_on[f"{name}/w{w}"] = [f"ds-{d:02d}" for d in ds]
            enabled = "".join(f"  - dataset: ds-{d:02d}\n" for d in ds)
            files[f"catalog/analyses/{name}/wagons/w{w}.yaml"] = (
                f"name: w{w}\ntask: tasks:DimuonMass\nconfig:\n  bins: {40 + w}\n"
                f"enabled:\n{enabled}"
            ).encode()
    return files, enabled_on


def record(i: int, rng: random.Random, analyses: int) -> tuple[str, bytes]:
    created = NOW - timedelta(minutes=i * 200 * 24 * 60 / 100_000 + rng.random())
    ds = f"ds-{rng.randrange(DATASETS):02d}"
    train_id = f"{ds}-{created:%Y%m%d-%H%M%S}-{i:06x}"
    state = "running" if i < 20 else ("failed" if rng.random() < 0.05 else "done")
    finished = None if state == "running" else created + timedelta(minutes=rng.randrange(10, 300))
    refs = [
        f"ana-{rng.randrange(analyses):04d}/w{rng.randrange(WAGONS_PER_ANALYSIS)}" for _ in range(8)
    ]
    wagons = [
        {"ref": r, "directory": r, "task": "tasks:DimuonMass", "config": {"bins": 60},
         "config_hash": f"{hash(r) & 0xFFFFFFFF:08x}", "enabled": True}
        for r in refs
    ]  # fmt: skip
    jobs = []
    for j in range(4):
        start = created + timedelta(seconds=30)
        job_state = (
            "running"
            if state == "running"
            else ("failed" if state == "failed" and j == 3 else "done")
        )
        attempt = {"number": 1, "state": job_state, "exit_code": 0 if job_state == "done" else None,
                   "host": f"wn{j:02d}", "started": start.isoformat(),
                   "finished": finished.isoformat() if finished else None}  # fmt: skip
        files = [{"path": f"/data/{ds}/f{j}.root", "entry_start": 0, "entry_stop": 100_000}]
        report = None
        if job_state == "done":
            report = {"job": f"{train_id}-j{j:04d}", "events": 100_000, "files": files,
                      "wagons": [], "wall_s": 300.0, "cpu_s": 280.0, "max_rss_mb": 900.0,
                      "output": "x", "output_bytes": 200_000}  # fmt: skip
        jobs.append({"index": j, "name": f"{train_id}-j{j:04d}", "files": files,
                     "state": job_state, "attempts": [attempt], "report": report})  # fmt: skip
    rec = {
        "train_id": train_id, "dataset": ds, "catalog_commit": "0" * 40, "backend": "slurm",
        "state": state, "created": created.isoformat(),
        "finished": finished.isoformat() if finished else None, "wagons": wagons, "jobs": jobs,
        "events_processed": 400_000 if state == "done" else 0,
        "wagon_usage": [{"directory": r, "cpu_s": 100.0 + k, "events": 400_000,
                         "output_bytes": 20_000} for k, r in enumerate(refs)],
        "output": {"path": f"{train_id}/AnalysisResults.root", "sha256": "0" * 64,
                   "bytes": 1_000_000, "events": 400_000} if state == "done" else None,
    }  # fmt: skip
    return train_id, json.dumps(rec).encode()


def report(n: int, cases: list[tuple[str, str]], rng: random.Random) -> tuple[str, bytes]:
    created = NOW - timedelta(days=n % 30, minutes=n)
    test_id = f"test-{created:%Y%m%d-%H%M%S}-{n:04d}"
    by_ds: dict[str, list[dict[str, object]]] = {}
    for ref, ds in cases:
        status = rng.choice(("done",) * 18 + ("warning", "failed"))
        samples = [{"t": 0.1 * k, "rss_mb": 150.0 + k, "pss_mb": 120.0 + k, "cpu_s": 0.09 * k,
                    "events": 100 * k} for k in range(20)]  # fmt: skip
        by_ds.setdefault(ds, []).append(
            {
                "kind": "wagon",
                "name": ref,
                "dataset": ds,
                "status": status,
                "reasons": [] if status == "done" else ["CPU per event above the limit"],
                "figures": {"events": 2000, "cpu_ms_per_event": rng.random()},
                "samples": samples,
            }
        )
    doc = {"test_id": test_id, "created": created.isoformat(), "catalog_commit": "0" * 40,
           "selected": {}, "datasets": [{"dataset": d, "cases": c} for d, c in by_ds.items()]}  # fmt: skip
    return test_id, json.dumps(doc).encode()


def generate(repo: Path, wagons: int, trains: int) -> None:
    rng = random.Random(7)
    analyses = wagons // WAGONS_PER_ANALYSIS
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(repo)], check=True)
    stream: list[bytes] = []
    stamp = f"wagonyard <bench@example.org> {int(NOW.timestamp())} +0000"
    stream.append(
        f"commit refs/heads/main\ncommitter {stamp}\ndata 16\nImport catalog\n\n".encode()
    )
    files, enabled_on = catalog_files(analyses, rng)
    for path, data in files.items():
        _blob(stream, path, data)
    stream.append(
        f"commit refs/heads/wagonyard/history\ncommitter {stamp}\ndata 7\nRecord\n".encode()
    )
    for i in range(trains):
        train_id, data = record(i, rng, analyses)
        _blob(stream, f"trains/{train_id}/record.json", data)
    # two tests of each wagon, on the datasets it is enabled on (twice on its one dataset)
    cases = [(ref, on[k % len(on)]) for k in range(2) for ref, on in enabled_on.items()]
    for n in range(0, len(cases), 100):
        test_id, data = report(n // 100, cases[n : n + 100], rng)
        _blob(stream, f"wagon-tests/{test_id}/report.json", data)
    stream.append(b"\n")
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )


def time_phases() -> None:
    """Print the wall and CPU time of each step of the build, in the main process and in each
    shard (the steps are wrapped here, from outside: the build itself prints nothing)."""
    from controller.sitegen import build, shards, trains

    def timed(owner: Any, name: str, label: str) -> None:
        real = getattr(owner, name)

        def report(w: float, c: float) -> None:
            who = "main " if os.getpid() == main_pid else f"shard {os.getpid()}"
            print(f"    {who} {label:<34} {time.perf_counter() - w:6.1f} s wall "
                  f"{time.process_time() - c:6.1f} s CPU", flush=True)  # fmt: skip

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            w, c = time.perf_counter(), time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                report(w, c)

        def generator(*args: Any, **kwargs: Any) -> Any:  # timed until its last item
            w, c = time.perf_counter(), time.process_time()
            yield from real(*args, **kwargs)
            report(w, c)

        setattr(owner, name, generator if inspect.isgeneratorfunction(real) else wrapper)

    main_pid = os.getpid()
    timed(build, "locate", "list the history branch")
    timed(build, "read_repository", "read catalog, tests, changes")
    timed(shards.Shards, "summaries", "wait for the shards' summaries")
    timed(build, "site_model", "assemble the other pages' model")
    timed(build, "write_files", "render and write pages / feeds")
    timed(build, "feeds", "make the feeds")
    timed(shards.Shards, "finish", "wait for the shards' pages")
    timed(trains.RecordSource, "read", "read and validate records")
    timed(trains.TrainShard, "summaries", "summarize, send (chunks)")
    timed(trains.TrainShard, "write", "render and write train pages")


def _cpu() -> tuple[float, float]:
    """CPU seconds (user, system) of this process and of its children that ended (the
    workers, git). System time is mostly the files written: it grows when the file system is
    slow to create files (see the README on deleting a built site just before measuring)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + kids.ru_utime, own.ru_stime + kids.ru_stime


def _since(start: tuple[float, float]) -> tuple[float, float]:
    now = _cpu()
    return now[0] - start[0], now[1] - start[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wagons", type=int, default=10_000)
    parser.add_argument("--trains", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build here and keep the repository and site")
    parser.add_argument("--phases", action="store_true", help="print the time of each step")
    args = parser.parse_args()
    if args.phases:
        time_phases()
    base = args.keep or Path(tempfile.mkdtemp(prefix="wy-site-bench-"))
    repo, out = base / "repo", base / "public"
    if not (repo / ".git").exists():
        t0 = time.perf_counter()
        generate(repo, args.wagons, args.trains)
        print(f"generated {args.wagons:,} wagons and {args.trains:,} train records in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    t0, c0 = time.perf_counter(), _cpu()
    pages, warnings = build_from_repository(repo, out, base / "outputs")
    first, first_cpu = time.perf_counter() - t0, _since(c0)
    t0, c0 = time.perf_counter(), _cpu()
    build_from_repository(repo, out, base / "outputs")
    again, again_cpu = time.perf_counter() - t0, _since(c0)
    cache = [p for p in (out / ".wagonyard-cache").rglob("*") if p.is_file()]
    files = [p for p in out.rglob("*") if p.is_file() and ".wagonyard-cache" not in p.parts]
    biggest = sorted(files, key=lambda p: p.stat().st_size, reverse=True)[:3]
    print(f"site build: {len(pages):,} pages, {len(files):,} files, "
          f"{sum(p.stat().st_size for p in files) / 1e9:.2f} GB")  # fmt: skip
    for p in biggest:
        print(f"  biggest: {p.relative_to(out)} {p.stat().st_size / 1e6:.1f} MB")
    print(f"  cache (not published: page manifest, catalog): "
          f"{sum(p.stat().st_size for p in cache) / 1e6:.1f} MB")  # fmt: skip
    for w in warnings[:3]:
        print(f"  warning: {w}")
    verdict = "PASS" if max(first, again) < TARGET_S else "FAIL"
    print(f"first build {first:.1f} s, rebuild of the same inputs {again:.1f} s "
          f"(target < {TARGET_S:.0f} s each): {verdict}")  # fmt: skip
    print(f"  CPU of this process and its children (workers, git): first build {sum(first_cpu):.1f} s "
          f"(user {first_cpu[0]:.1f} s, system {first_cpu[1]:.1f} s), rebuild {sum(again_cpu):.1f} s "
          f"(user {again_cpu[0]:.1f} s, system {again_cpu[1]:.1f} s); "
          f"load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
