"""The train engine against the physical minimum, side by side in one run, as ratios.

On one core, over a NanoAOD-like dataset (default 2,000,000 events in 4 files, ZSTD(5)):
  R  plain uproot reading the union of the branches the 10 wagons need
  C  each wagon's computation on arrays already in memory (C_i), summed
  T  the real engine (controller.job.run_job) running the train of all 10 wagons
  S  the same 10 wagons as 10 single-wagon jobs
  K  coffea filling the same histograms in one processor (if coffea can be run)
and the job's peak RSS over half and over all of the dataset, and two jobs on two cores.

    python3 benchmarks/engine/run.py [--events 2000000] [--files 4] [--out DIR]
                                     [--coffea-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import uproot

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.engine import nanoaod
from benchmarks.engine.analysis.tasks import WAGONS
from controller.engine.plan import WagonInstance
from controller.engine.train import columns_to_read, load_wagons
from controller.job import JobSpec, run_job
from controller.records import FileSlice

HERE = Path(__file__).resolve().parent


def instances(names: list[tuple[str, str]]) -> list[WagonInstance]:
    return [WagonInstance(f"bench/{n}", None, f"tasks:{c}", {}, True) for n, c in names]


def spec(
    catalog: Path,
    files: list[Path],
    names: list[tuple[str, str]],
    out: Path,
    step: int,
    read: list[str] | None = None,
) -> JobSpec:
    wagons = [w.describe() for w in load_wagons(catalog, instances(names))]
    return JobSpec(
        name=out.name,
        train_id="bench",
        catalog_dir=str(catalog),
        catalog_commit="bench",
        dataset="nano",
        tree="Events",
        wagons=wagons,
        slices=[FileSlice(path=str(f)) for f in files],
        output_dir=str(out),
        step=step,
        read_columns=read or [],
    )


def read_only(files: list[Path], columns: list[str], step: int) -> float:
    t0 = time.perf_counter()
    for path in files:
        with uproot.open(path, array_cache=None, object_cache=None) as f:
            tree = f["Events"]
            for start in range(0, tree.num_entries, step):
                tree.arrays(columns, entry_start=start, entry_stop=start + step)
    return time.perf_counter() - t0


def compute_only(catalog: Path, files: list[Path], columns: list[str], step: int) -> list[float]:
    """Each wagon's own time over chunks already in memory (read one file at a time)."""
    wagons = load_wagons(catalog, instances(WAGONS))
    spent = [0.0] * len(wagons)
    for path in files:
        with uproot.open(path, array_cache=None, object_cache=None) as f:
            tree = f["Events"]
            chunks = [
                tree.arrays(columns, entry_start=s, entry_stop=s + step)
                for s in range(0, tree.num_entries, step)
            ]
        for i, w in enumerate(wagons):
            t0 = time.perf_counter()
            for chunk in chunks:
                w.task.process(chunk, w.hists)
            spent[i] += time.perf_counter() - t0
        del chunks
    return spent


def job_in_subprocess(job: JobSpec, where: Path) -> subprocess.Popen[bytes]:
    where.mkdir(parents=True, exist_ok=True)
    path = where / "job.json"
    path.write_text(job.model_dump_json())
    return subprocess.Popen(
        [sys.executable, "-m", "controller", "job", str(path)],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def report_of(job: JobSpec) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((Path(job.output_dir) / "report.json").read_text())
    return data


def coffea_time(python: str, files: list[Path], step: int) -> tuple[float | None, str]:
    done = subprocess.run(
        [python, str(HERE / "coffea_run.py"), str(step), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None, (done.stderr.strip().splitlines() or ["no output"])[-1]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), f"coffea {result['version']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--step", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/wagonyard-bench"))
    parser.add_argument("--coffea-python", default=sys.executable)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    out: Path = args.out
    files = nanoaod.write(out / "data", args.events, args.files)
    n = args.events // args.files * args.files
    size = sum(p.stat().st_size for p in files)
    catalog = out / "catalog"
    (catalog / "analyses").mkdir(parents=True, exist_ok=True)
    link = catalog / "analyses" / "bench"
    if not link.exists():
        link.symlink_to(HERE / "analysis")
    columns = columns_to_read(load_wagons(catalog, instances(WAGONS)))
    for p in files:  # warm the page cache: every figure below is for files in memory
        p.read_bytes()
    print(
        f"dataset: {n:,} events in {len(files)} files, {size / 1e6:.0f} MB, "
        f"{nanoaod.COMPRESSION}; {len(columns)} branches read; chunks of {args.step:,}; "
        "warm cache; one core; best of "
        f"{args.repeat}"
    )

    r = min(read_only(files, columns, args.step) for _ in range(args.repeat))
    c_i = [
        min(x)
        for x in zip(
            *(compute_only(catalog, files, columns, args.step) for _ in range(args.repeat)),
            strict=True,
        )
    ]
    c = sum(c_i)
    t = min(
        _timed(lambda k=k: run_job(spec(catalog, files, WAGONS, out / f"train-{k}", args.step)))
        for k in range(args.repeat)
    )
    # without a train every analysis reads the dataset itself: each single-wagon job reads
    # the same branches as the train (as each ALICE analysis read the whole AOD)
    s_each = [
        _timed(
            lambda w=w: run_job(
                spec(catalog, files, [w], out / f"single-{w[0]}", args.step, columns)
            )
        )
        for w in WAGONS
    ]
    s = sum(s_each)
    k_s, k_label = coffea_time(args.coffea_python, files, args.step)

    def rate(seconds: float) -> str:
        return f"{n / seconds / 1e6:6.2f} M events/s  ({seconds:7.2f} s)"

    print(f"(a) R  read the union of branches   {rate(r)}")
    for (name, _), ci in zip(WAGONS, c_i, strict=True):
        print(f"(b) C  {name:<28}  {rate(ci)}")
    print(f"(b) C  all 10 computations         {rate(c)}")
    print(f"    R + C  the physical minimum     {rate(r + c)}")
    print(f"(c) T  the train, 10 wagons         {rate(t)}")
    print(f"(d) S  10 single-wagon jobs         {rate(s)}")
    if k_s is not None:
        print(f"(e) K  {k_label:<28}  {rate(k_s)}")
    else:
        print(f"(e) K  skipped: coffea could not run ({k_label})")

    overhead = t / (r + c)
    ideal = (10 * r + c) / (r + c)
    gain = s / t
    results: dict[str, Any] = {
        "events": n, "R": r, "C": c, "C_i": dict(zip([w for w, _ in WAGONS], c_i, strict=True)),
        "T": t, "S": s, "K": k_s, "overhead": overhead, "gain": gain, "ideal_gain": ideal,
    }  # fmt: skip

    # memory: the real job in its own process, over half and all of the dataset
    half = files[: len(files) // 2]
    peaks = {}
    for label, subset in (("half", half), ("all", files)):
        job = spec(catalog, subset, WAGONS, out / f"mem-{label}", args.step)
        proc = job_in_subprocess(job, out / f"mem-{label}")
        proc.wait()
        peaks[label] = report_of(job)["max_rss_mb"]
    # two cores: two train jobs at once, each over the whole dataset (two trains sharing the
    # machine), against one. Throughput in the jobs' own time (their reports' wall_s: reading,
    # wagons, output) and end to end (with each Python process's start-up, about a second).
    one = spec(catalog, files, WAGONS, out / "one-core", args.step)
    t0 = time.perf_counter()
    job_in_subprocess(one, out / "one-core").wait()
    e2e_one = n / (time.perf_counter() - t0)
    loop_one = n / report_of(one)["wall_s"]
    pair = [spec(catalog, files, WAGONS, out / f"two-core-{i}", args.step) for i in (0, 1)]
    t0 = time.perf_counter()
    procs = [job_in_subprocess(j, out / f"two-core-{i}") for i, j in enumerate(pair)]
    for p in procs:
        p.wait()
    e2e_two = 2 * n / (time.perf_counter() - t0)
    loop_two = sum(n / report_of(j)["wall_s"] for j in pair)
    scaling, scaling_e2e = loop_two / loop_one, e2e_two / e2e_one
    results.update(
        peak_rss_half_mb=peaks["half"],
        peak_rss_all_mb=peaks["all"],
        two_core_speedup=scaling,
        two_core_speedup_end_to_end=scaling_e2e,
    )

    print(
        f"peak RSS of the train job: {peaks['half']:.0f} MB over half, {peaks['all']:.0f} MB over all"
    )
    print(
        f"two jobs on two cores: {loop_two / 1e6:.2f} M events/s against {loop_one / 1e6:.2f} "
        f"on one: x{scaling:.2f} in the jobs' own time; x{scaling_e2e:.2f} end to end "
        f"({e2e_two / 1e6:.2f} against {e2e_one / 1e6:.2f} M events/s, with start-up)"
    )
    print()
    checks = [
        (f"engine overhead T/(R+C) = {overhead:.3f}", overhead <= 1.10, "<= 1.10"),
        (f"sharing gain S/T = {gain:.2f}, ideal {ideal:.2f}, ratio {gain / ideal:.2f}", gain >= 0.9 * ideal, ">= 0.9 x ideal"),
        (f"peak RSS {peaks['all']:.0f} MB", peaks["all"] < 1500, "< 1500 MB"),
        (f"peak RSS growth as the dataset doubles x{peaks['all'] / peaks['half']:.2f}", peaks["all"] <= 1.1 * peaks["half"] + 20, "flat (<= x1.1 + 20 MB)"),
        (f"two cores x{scaling:.2f} (jobs' own time)", scaling >= 1.8, ">= 1.8"),
    ]  # fmt: skip
    if k_s is not None:
        checks.insert(2, (f"T against coffea: T/K = {t / k_s:.2f}", t <= 0.9 * k_s, "<= 0.90"))
    for label, ok, target in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}  (target {target})")
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
