"""Time the pieces of the train-engine benchmark, in this process or in a job's own process.

Reading (R), each wagon's computation on chunks in memory (C_i), the engine's event loop and
``run_job`` (T), and real jobs as ``python -m controller job SPEC`` in a child process whose
peak RSS and CPU come from the kernel (through GNU time). Measures only: the judging is the
caller's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import awkward as ak
import uproot

from benchmarks.engine import nanoaod
from controller.engine import source
from controller.engine.merge import Histograms
from controller.engine.output import read_output
from controller.engine.plan import WagonInstance
from controller.engine.train import LoadedWagon, columns_to_read, load_wagons, run_chunks
from controller.job import OUTPUT_NAME, JobSpec, run_job
from controller.records import FileSlice

ANALYSIS = Path(__file__).resolve().parent / "analysis"
TIME = "/usr/bin/time"  # GNU time: the peak RSS and CPU of the job alone
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float

    @staticmethod
    def of(fn: Callable[[], object]) -> Timing:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        return Timing(time.perf_counter() - w0, time.process_time() - c0)

    @staticmethod
    def best(timings: Sequence[Timing]) -> Timing:
        return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


def bench_catalog(out: Path) -> Path:
    """A catalog folder whose analysis ``bench`` is this package's ``analysis/`` (a symlink)."""
    catalog = out / "catalog"
    link = catalog / "analyses" / "bench"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(ANALYSIS, target_is_directory=True)
    return catalog


def instances(wagons: Sequence[tuple[str, str]]) -> list[WagonInstance]:
    return [WagonInstance(f"bench/{name}", None, f"tasks:{cls}", {}, True) for name, cls in wagons]


def columns_of(catalog: Path, wagons: Sequence[tuple[str, str]]) -> list[str]:
    return columns_to_read(load_wagons(catalog, instances(wagons)))


def job_spec(
    catalog: Path,
    files: Sequence[Path],
    wagons: Sequence[tuple[str, str]],
    out: Path,
    step: int,
    read: Sequence[str] = (),
) -> JobSpec:
    return JobSpec(
        name=out.name,
        train_id="bench",
        catalog_dir=str(catalog),
        catalog_commit="bench",
        dataset="nano",
        tree=nanoaod.TREE,
        wagons=[w.describe() for w in load_wagons(catalog, instances(wagons))],
        slices=[FileSlice(path=str(f)) for f in files],
        output_dir=str(out),
        step=step,
        read_columns=list(read),
    )


def chunks(path: Path, columns: Sequence[str], step: int) -> Iterator[ak.Array]:
    """The engine's reading, without the engine: one open per file, ``arrays`` per chunk."""
    with uproot.open(path, array_cache=None, object_cache=None) as f:
        tree = f[nanoaod.TREE]
        for start in range(0, tree.num_entries, step):
            yield tree.arrays(columns, entry_start=start, entry_stop=start + step, library="ak")


def time_read(files: Sequence[Path], columns: Sequence[str], step: int) -> Timing:
    """R: read every chunk of the union of the branches, and nothing else."""

    def read() -> None:
        for path in files:
            for _ in chunks(path, columns, step):
                pass

    return Timing.of(read)


def time_compute(
    catalog: Path, wagons: Sequence[tuple[str, str]], files: Sequence[Path], step: int
) -> list[Timing]:
    """C_i: each wagon's ``process`` over the chunks of one file at a time, read beforehand."""
    loaded = load_wagons(catalog, instances(wagons))
    columns = columns_to_read(loaded)
    spent = [Timing(0.0, 0.0)] * len(loaded)
    for path in files:
        in_memory = list(chunks(path, columns, step))
        for i, w in enumerate(loaded):
            spent[i] = spent[i] + Timing.of(partial(_process_all, w, in_memory))
    return spent


def _process_all(w: LoadedWagon, in_memory: list[ak.Array]) -> None:
    for events in in_memory:
        w.task.process(events, w.hists)


def time_loop(
    catalog: Path, wagons: Sequence[tuple[str, str]], files: Sequence[Path], step: int
) -> Timing:
    """T_loop: the engine's event loop alone (load_wagons + source.iterate + run_chunks)."""

    def loop() -> None:
        loaded = load_wagons(catalog, instances(wagons))
        slices = [FileSlice(path=str(f)) for f in files]
        run_chunks(loaded, source.iterate(slices, nanoaod.TREE, columns_to_read(loaded), step))

    return Timing.of(loop)


def time_job(spec: JobSpec) -> Timing:
    """T: ``run_job`` as a job runs it (metrics sampler, output file and report included)."""
    return Timing.of(lambda: run_job(spec))


def job_histograms(spec: JobSpec) -> Histograms:
    """What the job filled, read back from the output file it wrote."""
    histograms, _ = read_output(Path(spec.output_dir) / OUTPUT_NAME)
    return histograms


@dataclass(frozen=True)
class JobRun:
    """A job run in a child process: its own report and the kernel's accounting of it."""

    wall: float  # end to end, from spawning the interpreter to its exit
    cpu: float
    peak_rss_mb: float  # the kernel's high-water mark, through /usr/bin/time
    report: dict[str, Any]


def start_job(spec: JobSpec, cpu: int | None) -> subprocess.Popen[bytes]:
    """``python -m controller job SPEC`` under ``/usr/bin/time``, pinned to ``cpu`` if given.

    Not ``wait4`` on the job itself: a child's ru_maxrss keeps the RSS it had between fork and
    exec, that of this (large) process; /usr/bin/time is small, and reports its child's own.
    """
    out = Path(spec.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "job.json").write_text(spec.model_dump_json())
    job = [sys.executable, "-m", "controller", "job", str(out / "job.json")]
    return subprocess.Popen(
        [TIME, "-f", "%M %U %S", "-o", str(out / "time.txt"), *job],
        stdout=subprocess.DEVNULL,
        env={**os.environ, **ONE_THREAD},
        preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}),
    )


def finish_job(proc: subprocess.Popen[bytes], spec: JobSpec, started: float) -> JobRun:
    if proc.wait() != 0:
        raise RuntimeError(f"job {spec.name} exited with {proc.returncode}")
    wall = time.perf_counter() - started
    out = Path(spec.output_dir)
    report = json.loads((out / "report.json").read_text())
    max_kb, user, system = (out / "time.txt").read_text().split()[-3:]
    return JobRun(wall, float(user) + float(system), int(max_kb) / 1024, report)


def run_jobs(specs: Sequence[JobSpec], cpus: Sequence[int | None]) -> list[JobRun]:
    """Start every job at once, each on its CPU, and wait for all of them."""
    started = time.perf_counter()
    procs = [start_job(s, c) for s, c in zip(specs, cpus, strict=True)]
    return [finish_job(p, s, started) for p, s in zip(procs, specs, strict=True)]
