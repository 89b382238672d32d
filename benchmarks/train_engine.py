"""The train engine against the physical minimum and against coffea, side by side, as ratios.

On one core, with the files in the page cache, over a NanoAOD-like dataset (default 2,000,000
events in 4 files, ZSTD(5)) and ten wagons:
  R  plain uproot reading the union of the branches the wagons need, in the engine's chunks
  C  each wagon's computation on chunks already in memory (C_i), summed
  T  the engine running the train of all ten: run_job (what jobs run) and its bare event loop
  S  the same ten wagons as ten single-wagon jobs, each reading what the train reads
  K  coffea filling the same histograms: one processor calling the ten wagons, the iterative
     executor, the wagons' branches preloaded (coffea_run.py); its bins checked against T's
then the train job's peak RSS in its own process over half and over all of the files, and two
jobs on two cores against the same two jobs one after the other on one core. Each timed figure,
K's included, is the best of --repeat runs (rounds interleave R, C, T and S so that drifts hit
them alike; K's run back to back in coffea's own interpreter, on the same core). The targets
are printed as PASS/FAIL lines and every figure is written to OUT/results.json.

    python3 benchmarks/train_engine.py [--events N] [--files F] [--repeat 5] [--out DIR]
                                       [--coffea-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.engine import coffea_env, histograms, measure, nanoaod
from benchmarks.engine.analysis.tasks import WAGONS
from benchmarks.engine.measure import JobRun, Timing


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=2_000_000, help="events in the dataset")
    p.add_argument("--files", type=int, default=4, help="files the dataset is split into")
    p.add_argument("--step", type=int, default=100_000, help="entries per chunk (as JobSpec)")
    p.add_argument("--compression", choices=sorted(nanoaod.COMPRESSIONS), default="ZSTD(5)")
    p.add_argument("--out", type=Path, default=Path("/tmp/wagonyard-bench"))
    p.add_argument("--repeat", type=int, default=5, help="runs of each in-process figure")
    p.add_argument("--repeat-jobs", type=int, default=2, help="runs of each multi-process one")
    p.add_argument("--cpu", type=int, default=0, help="the core to run on")
    p.add_argument("--coffea-python", help="an interpreter with coffea (default: find or make)")
    p.add_argument("--no-coffea-install", action="store_true", help="never pip install coffea")
    args = p.parse_args()
    if args.files < 2:
        p.error("--files must be at least 2: the memory and two-core figures halve the files")
    return args


def main() -> None:
    args = parse_args()
    out: Path = args.out
    os.sched_setaffinity(0, {args.cpu})  # one core; the coffea run inherits it
    files = nanoaod.write(out, args.events, args.files, args.compression)
    n = args.events
    catalog = measure.bench_catalog(out)
    columns = measure.columns_of(catalog, WAGONS)
    for path in files:  # warm: every figure below is for files in the page cache
        path.read_bytes()
    size = sum(p.stat().st_size for p in files)
    print(
        f"dataset: {n:,} events in {len(files)} files under {files[0].parent}, "
        f"{size / 1e6:.0f} MB on disk, compression {args.compression}, {args.step:,} per chunk\n"
        f"{len(WAGONS)} wagons read {len(columns)} branches: {', '.join(columns)}\n"
        f"one core (CPU {args.cpu}), warm page cache, each timed figure (K too) the best of "
        f"{args.repeat} runs"
    )

    figures, contents = in_process(args, catalog, files, columns)
    r, c_i, t, loop, s, s_own = (figures[k] for k in ("R", "C_i", "T", "T_loop", "S", "S_own"))
    c = sum(c_i, Timing(0.0, 0.0))
    python = coffea_env.find(out, args.coffea_python, not args.no_coffea_install)
    k, coffea, k_note = None, None, python.note
    if python.python is not None:
        coffea, k_note = coffea_env.run(python.python, files, args.step, args.repeat)
        if coffea is not None:
            k = Timing(coffea["wall"], coffea["cpu"])

    def line(label: str, x: Timing) -> None:
        print(
            f"{label:<44} {n / x.wall / 1e6:6.2f} M ev/s  {x.wall:7.3f} s wall  {x.cpu:7.3f} s CPU"
        )

    print()
    line("(a) R   read the union of branches", r)
    for (name, _), ci in zip(WAGONS, c_i, strict=True):
        line(f"(b) C_i {name}", ci)
    line("(b) C   the ten computations", c)
    line("    R + C   the physical minimum", r + c)
    line("(c) T   the train: run_job, ten wagons", t)
    line("(c) T_loop  its event loop alone", loop)
    line("(d) S   ten single-wagon jobs (union read)", s)
    line("    S_own  ten jobs, each its own branches", s_own)
    if coffea is not None and k is not None:
        line("(e) K   coffea, one processor", k)
        print(f"    K: {k_note}; {python.note}\n    {preloading(coffea)}")
    else:
        print(f"(e) K   skipped: {k_note}")
    empty = histograms.empty(contents)
    if empty:
        print(f"WARNING: T's histograms {', '.join(empty)} are empty: the bins prove nothing there")
    differ = None if coffea is None else histograms.differences(contents, coffea["contents"])
    for problem in (differ or [])[:5]:
        print(f"    K against T: {problem}")

    jobs = in_processes(args, catalog, files)
    overhead = t.wall / (r.wall + c.wall)
    ideal = (len(WAGONS) * r.wall + c.wall) / (r.wall + c.wall)
    gain = s.wall / t.wall
    print(
        f"\nengine overhead T/(R+C) = {overhead:.3f} (run_job {t.wall - loop.wall:+.3f} s over "
        f"its loop; the loop {loop.wall - r.wall - c.wall:+.3f} s over R + C)\n"
        f"sharing gain S/T = {gain:.2f} against the ideal (10·R + C)/(R + C) = {ideal:.2f}; "
        f"against ten jobs reading only their own branches S_own/T = {s_own.wall / t.wall:.2f}"
    )
    if k is not None:
        print(f"train against coffea: T/K = {t.wall / k.wall:.2f}, K/T = {k.wall / t.wall:.2f}")
    print_jobs(n, jobs)

    checks = [
        (overhead <= 1.10, f"engine overhead T/(R+C) = {overhead:.3f}", "<= 1.10"),
        (gain >= 0.9 * ideal, f"sharing gain S/T = {gain:.2f} = {gain / ideal:.3f} x ideal", ">= 0.9 x ideal"),
        (jobs["peak_all"] < 1500, f"peak RSS {jobs['peak_all']:.0f} MB", "< 1500 MB"),
        (jobs["growth"] <= 0.10, f"peak RSS growth as the dataset doubles {jobs['growth']:+.1%}", "flat: <= +10 %"),
        (jobs["scaling"] >= 1.8, f"two cores x{jobs['scaling']:.2f} one core", ">= 1.8"),
    ]  # fmt: skip
    bins = sum(len(v) for v in contents.values())
    if k is not None and differ is not None:
        same = f"K's histograms against T's: {len(contents)} histograms, {bins} bins"
        checks[2:2] = [
            (not differ and not empty, f"{same}, {len(differ)} differ, {len(empty)} empty", "all equal, none empty"),
            (t.wall <= 0.9 * k.wall, f"T/K = {t.wall / k.wall:.2f} (T's and K's best of {args.repeat})", "<= 0.90: T at least 10 % faster"),
        ]  # fmt: skip
    else:
        print(f"SKIP  T against coffea: K not measured ({k_note})")
    for ok, label, target in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}  (target {target})")
    results = {
        "events": n,
        "files": len(files),
        "compression": args.compression,
        "bytes": size,
        **{key: vars(v) for key, v in figures.items() if isinstance(v, Timing)},
        "C_i": {name: vars(ci) for (name, _), ci in zip(WAGONS, c_i, strict=True)},
        "C": vars(c),
        "K": None if k is None else vars(k),
        "K_note": k_note,
        "K_walls": None if coffea is None else coffea["walls"],
        "K_preload": None if coffea is None else coffea["preload"],
        "K_histograms_differ": differ,
        "overhead": overhead,
        "gain": gain,
        "ideal_gain": ideal,
        **{key: v for key, v in jobs.items() if not isinstance(v, JobRun)},
    }
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"\n(figures in {out / 'results.json'})")


def in_process(
    args: argparse.Namespace, catalog: Path, files: list[Path], columns: list[str]
) -> tuple[dict[str, Any], histograms.Contents]:
    """R, C_i, T, T_loop, S and S_own, the best of ``args.repeat`` interleaved rounds each; and
    the bins of the histograms the train job (T) wrote."""
    runs: dict[str, list[Any]] = {k: [] for k in ("R", "C_i", "T", "T_loop", "S", "S_own")}
    out, step = args.out, args.step
    train = measure.job_spec(catalog, files, WAGONS, out / "train", step)
    singles, own = [], []  # each reads what the train reads; each reads only its own branches
    for w in WAGONS:
        singles.append(measure.job_spec(catalog, files, [w], out / f"one-{w[0]}", step, columns))
        own.append(measure.job_spec(catalog, files, [w], out / f"own-{w[0]}", step))
    for round_ in range(args.repeat):
        runs["R"].append(measure.time_read(files, columns, step))
        runs["C_i"].append(measure.time_compute(catalog, WAGONS, files, step))
        # T and T_loop take turns to come first: the first engine run after C_i (which held a
        # whole file's chunks) pays for the memory given back, and neither should always pay
        for key in ("T", "T_loop") if round_ % 2 == 0 else ("T_loop", "T"):
            if key == "T":
                runs["T"].append(measure.time_job(train))
            else:
                runs["T_loop"].append(measure.time_loop(catalog, WAGONS, files, step))
        runs["S"].append([measure.time_job(j) for j in singles])
        runs["S_own"].append([measure.time_job(j) for j in own])
    best: dict[str, Any] = {k: Timing.best(v) for k, v in runs.items() if k in ("R", "T", "T_loop")}
    for key in ("C_i", "S", "S_own"):  # each wagon's (each job's) best, then their sum
        each = [Timing.best(x) for x in zip(*runs[key], strict=True)]
        best[key] = each if key == "C_i" else sum(each, Timing(0.0, 0.0))
    return best, histograms.bin_contents(measure.job_histograms(train))


def preloading(coffea: dict[str, Any]) -> str:
    """How K read: what it preloaded, what its processor touched, bytes read against stored."""
    preload, touched = set(coffea["preload"]), set(coffea["touched"])
    missed = sorted(touched - preload)
    ratio = coffea["bytes_read"] / max(coffea["bytes_stored"], 1)
    return (
        f"preload of the {len(preload)} branches the wagons read; in a probe chunk the processor "
        f"touched {len(touched)} branches, "
        + (f"NOT preloaded: {', '.join(missed)}" if missed else "all preloaded")
        + f"; read {coffea['bytes_read'] / 1e6:.2f} MB for {coffea['bytes_stored'] / 1e6:.2f} MB "
        f"of their baskets (x{ratio:.2f}: "
        + ("each branch fetched once)" if ratio < 1.5 else "WARNING: branches fetched again)")
    )


def in_processes(args: argparse.Namespace, catalog: Path, files: list[Path]) -> dict[str, Any]:
    """Real jobs in their own processes: peak RSS over half and all files; one core or two."""
    out, step, cpu = args.out, args.step, args.cpu
    other = (cpu + 1) % (os.cpu_count() or 1)
    halves = [files[: len(files) // 2], files[len(files) // 2 :]]
    half = measure.job_spec(catalog, halves[0], WAGONS, out / "mem-half", step)
    full = measure.job_spec(catalog, files, WAGONS, out / "mem-all", step)
    pair = [
        measure.job_spec(catalog, h, WAGONS, out / f"half-{i}", step) for i, h in enumerate(halves)
    ]
    mem_half = measure.run_jobs([half], [cpu])[0]
    mem_all = measure.run_jobs([full], [cpu])[0]
    sequential, parallel = [], []
    for _ in range(args.repeat_jobs):
        sequential.append([measure.run_jobs([j], [cpu])[0] for j in pair])
        parallel.append(measure.run_jobs(pair, [cpu, other]))
    seq = min(sequential, key=lambda runs: sum(r.wall for r in runs))
    par = min(parallel, key=lambda runs: max(r.wall for r in runs))
    seq_wall, par_wall = sum(r.wall for r in seq), max(r.wall for r in par)
    seq_own = sum(r.report["wall_s"] for r in seq)
    par_own = max(r.report["wall_s"] for r in par)
    return {
        "mem_half": mem_half,
        "mem_all": mem_all,
        "peak_half": mem_half.peak_rss_mb,
        "peak_all": mem_all.peak_rss_mb,
        "sampled_peak_half": mem_half.report["max_rss_mb"],
        "sampled_peak_all": mem_all.report["max_rss_mb"],
        "growth": mem_all.peak_rss_mb / mem_half.peak_rss_mb - 1,
        "cores": (cpu, other),
        "one_core_wall": seq_wall,
        "two_core_wall": par_wall,
        "one_core_own": seq_own,
        "two_core_own": par_own,
        "scaling": seq_wall / par_wall,
        "scaling_own": seq_own / par_own,
    }


def print_jobs(n: int, jobs: dict[str, Any]) -> None:
    half, full = jobs["mem_half"], jobs["mem_all"]
    print(
        f"train job in its own process (python -m controller job): over half the files "
        f"{half.report['wall_s']:.2f} s, over all {full.report['wall_s']:.2f} s "
        f"({n / full.report['wall_s'] / 1e6:.2f} M ev/s in the job, "
        f"{n / full.wall / 1e6:.2f} M ev/s with interpreter start)\n"
        f"peak RSS (kernel high-water mark): {jobs['peak_half']:.0f} MB over half, "
        f"{jobs['peak_all']:.0f} MB over all ({jobs['growth']:+.1%}); the job's own sampled "
        f"max_rss_mb {jobs['sampled_peak_half']:.0f} and {jobs['sampled_peak_all']:.0f} MB\n"
        f"two jobs of half the files each: one after the other on CPU {jobs['cores'][0]} "
        f"{jobs['one_core_wall']:.2f} s ({n / jobs['one_core_wall'] / 1e6:.2f} M ev/s), at once "
        f"on CPUs {jobs['cores'][0]} and {jobs['cores'][1]} {jobs['two_core_wall']:.2f} s "
        f"({n / jobs['two_core_wall'] / 1e6:.2f} M ev/s): x{jobs['scaling']:.2f} end to end, "
        f"x{jobs['scaling_own']:.2f} in the jobs' own time (report wall_s, no interpreter start)"
    )


if __name__ == "__main__":
    main()
