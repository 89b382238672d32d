"""Run one job of a train: read its file slices once, run every wagon, write the outputs.

A job leaves three files in its directory: ``AnalysisResults.root`` (histograms and
provenance), ``report.json`` (events, per-wagon CPU and output size, skipped files) and
``metrics.json`` (memory and CPU sampled over time). The grid runs it as
``wagonyard job SPEC.json``; tests and ``wagonyard run`` call ``run_job`` directly.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from controller.engine import source
from controller.engine.chunk import Chunk
from controller.engine.output import histogram_bytes, write_output
from controller.engine.plan import WagonInstance, instance_of
from controller.engine.progress import PROGRESS_NAME, Progress
from controller.engine.runs import RunCut
from controller.engine.train import (
    columns_to_read,
    histograms_of,
    load_wagons,
    missing_columns,
    run_chunks,
)
from controller.errors import DataError
from controller.metrics import Sampler
from controller.records import (
    SITE_ENV,
    FileSlice,
    JobReport,
    ReplicaRead,
    RunFilter,
    SkippedFile,
    WagonInTrain,
    WagonUsage,
)
from controller.storage.client import set_client_defaults
from controller.versions import versions

OUTPUT_NAME = "AnalysisResults.root"


class JobSpec(BaseModel):
    """Everything a job needs, written as JSON beside it so that it can be rerun by hand."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    train_id: str
    catalog_dir: str
    catalog_commit: str
    dataset: str
    tree: str
    wagons: list[WagonInTrain]
    slices: list[FileSlice]
    output_dir: str
    step: int = 100_000
    skip_bad_files: bool = False
    metrics_interval_s: float = 0.25
    read_columns: list[str] = []  # read these too, even if no wagon asks (the baseline test)
    run_filter: RunFilter | None = None  # a 'data' dataset's run list, applied per event
    memory_mb: int | None = None  # the dataset's limit: the sandbox's hard limit derives from it
    sample_each_chunk: bool = False
    storage_timeout_s: int | None = None  # wagonyard.yaml's storage.timeout_s, for XRootD

    def instances(self) -> list[WagonInstance]:
        return [instance_of(w) for w in self.wagons]


def run_job(spec: JobSpec, on_chunk: Callable[[Chunk], None] | None = None) -> JobReport:
    """Run the job; raise ``TaskError``/``DataError`` naming what failed."""
    out_dir = Path(spec.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    skipped: list[SkippedFile] = []

    def skip(s: FileSlice, exc: DataError) -> None:
        skipped.append(SkippedFile(path=s.path, reason=str(exc), events=_entries(s)))

    t0, sampler = time.monotonic(), Sampler(interval=spec.metrics_interval_s)
    set_client_defaults(spec.storage_timeout_s)  # before XRootD's client starts
    site = os.environ.get(SITE_ENV) or None  # the grid says where the job runs
    reads: list[ReplicaRead] = []

    def chunk_done(chunk: Chunk) -> None:
        sampler.events += len(chunk)
        if spec.sample_each_chunk:
            sampler.sample()
        if on_chunk is not None:
            on_chunk(chunk)

    progress = Progress(out_dir / PROGRESS_NAME, [s.path for s in spec.slices])
    with sampler:
        process0, thread0 = time.process_time(), time.thread_time()
        wagons = load_wagons(Path(spec.catalog_dir), spec.instances())
        read = set(columns_to_read(wagons)) | set(spec.read_columns)
        cut = RunCut(spec.run_filter) if spec.run_filter is not None else None
        chunks = source.iterate(
            spec.slices,
            spec.tree,
            sorted(read | ({cut.rule.branch} if cut else set())),
            spec.step,
            on_bad_file=skip if spec.skip_bad_files else None,
            missing=missing_columns(wagons),
            site=site,
            on_read=reads.append,
        )
        events = run_chunks(
            wagons, cut.apply(chunks) if cut else chunks, chunk_done, progress.wagon
        )
        progress.done()
        other_threads = (time.process_time() - process0) - (time.thread_time() - thread0)
        excluded = cut.excluded() if cut else []
        used = versions()
        histograms = histograms_of(wagons)
        provenance: dict[str, Any] = {
            "train_id": spec.train_id,
            "job": spec.name,
            "catalog_commit": spec.catalog_commit,
            "dataset": spec.dataset,
            "events": events,
            "wagons": [w.describe().model_dump(mode="json") for w in wagons],
            "inputs": [s.model_dump(mode="json") for s in spec.slices],
            "replicas_read": [r.model_dump(mode="json") for r in reads],
            "skipped": [s.model_dump(mode="json") for s in skipped],
            "excluded": [e.model_dump(mode="json") for e in excluded],
            "versions": used,
        }
        output = out_dir / OUTPUT_NAME
        size = write_output(output, histograms, provenance)
    report = JobReport(
        job=spec.name,
        events=events,
        files=spec.slices,
        wagons=[
            WagonUsage(
                directory=w.directory,
                cpu_s=round(w.cpu_s, 6),
                events=w.events,
                output_bytes=sum(histogram_bytes(h) for h in w.hists.values()),
            )
            for w in wagons
        ],
        wall_s=round(time.monotonic() - t0, 3),
        other_threads_cpu_s=round(max(0.0, other_threads), 6),
        cpu_s=sampler.samples[-1].cpu_s,
        max_rss_mb=sampler.max_rss_mb(),
        max_pss_mb=sampler.max_pss_mb(),
        skipped=skipped,
        replicas_read=reads,
        site=site,
        excluded=excluded,
        versions=used,
        output=str(output),
        output_bytes=size,
    )
    (out_dir / "report.json").write_text(report.model_dump_json(indent=2) + "\n")
    (out_dir / "metrics.json").write_text(json.dumps(sampler.to_json(), indent=1) + "\n")
    return report


def _entries(s: FileSlice) -> int | None:
    if s.entry_stop is not None:
        return s.entry_stop - s.entry_start
    return None
