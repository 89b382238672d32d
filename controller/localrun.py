"""``wagonyard run``: a train over a dataset (or some of its files) in this process.

The same engine as a grid job, over all the chosen files in one pass, with a progress
callback; for analysts trying a train at their desk and for benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.config import Storage
from controller.engine.chunk import Chunk
from controller.engine.files import input_files, run_filter
from controller.engine.plan import plan_train
from controller.engine.train import load_wagons
from controller.job import JobSpec, run_job
from controller.records import FileSlice, JobReport


def run_local(
    catalog: Catalog,
    dataset: str,
    wagons: list[str] | None,
    data_root: Path,
    output_dir: Path,
    max_files: int | None = None,
    step: int = 100_000,
    on_start: Callable[[int], None] | None = None,
    on_chunk: Callable[[Chunk], None] | None = None,
    slices: list[FileSlice] | None = None,
    storage: Storage | None = None,
) -> JobReport:
    """Run the train; ``on_start`` gets the total number of events before the first chunk.
    ``slices``: these parts of files instead of the dataset's files (a test sample)."""
    instances = plan_train(catalog, dataset, wagons)
    ds = catalog.datasets[dataset].model
    if slices is None:
        files = input_files(catalog, ds, data_root, True, storage)[:max_files]
        slices = [f.slice() for f in files]
        total = sum(f.entries or 0 for f in files)
    else:
        total = sum((s.entry_stop or 0) - s.entry_start for s in slices)
    if on_start is not None:
        on_start(total)
    now = datetime.now(UTC)
    spec = JobSpec(
        name=f"{dataset}-local-{now:%Y%m%d-%H%M%S}",
        train_id=f"{dataset}-local-{now:%Y%m%d-%H%M%S}",
        catalog_dir=str(catalog.root.resolve()),
        catalog_commit="working-tree",
        dataset=dataset,
        tree=ds.tree,
        wagons=[w.describe() for w in load_wagons(catalog.root, instances)],
        slices=slices,
        output_dir=str(output_dir),
        step=step,
        skip_bad_files=ds.splitting.skip_bad_files,
        run_filter=run_filter(catalog, ds),
    )
    return run_job(spec, on_chunk)
