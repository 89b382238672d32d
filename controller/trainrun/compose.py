"""Compose a train: its wagons, its jobs' file slices and everything its jobs share, as a record.

The ``TrainRecord`` composed here holds all a later step needs (the job template, the run
settings, each wagon's resolved config and code), so that any process can advance the train
from the record alone. Nothing is submitted here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.config import Storage
from controller.engine.files import excluded_files, input_files, run_filter
from controller.engine.plan import plan_train
from controller.engine.split import split_files
from controller.job import JobSpec
from controller.records import JobRecord, JobTemplate, TrainRecord, WagonInTrain
from controller.trainrun.policies import settings_of


def train_id_of(dataset: str, now: datetime, key: str) -> str:
    """``<dataset>-<time>-<hash>``; the same trigger (``key``) gives the same id at one time."""
    digest = hashlib.sha256(f"{dataset}{now.isoformat()}{key}".encode()).hexdigest()[:6]
    return f"{dataset}-{now:%Y%m%d-%H%M%S}-{digest}"


def compose(
    catalog: Catalog,
    dataset: str,
    catalog_commit: str,
    data_root: Path,
    output_root: Path,
    backend: str,
    wagons: list[str] | None = None,
    now: datetime | None = None,
    described: list[WagonInTrain] | None = None,
    train_id: str | None = None,
    trigger: str = "",
    request: str | None = None,
    merge_fan_in: int = 16,
    code_dirs: Mapping[str, str] | None = None,
    storage: Storage | None = None,
) -> tuple[TrainRecord, list[JobSpec]]:
    """The train's record (state 'composed') and its jobs' specs.

    ``described`` are the wagons as a sandboxed child described them (the controller never
    imports analysts' code itself); without it they are loaded here (``wagonyard run``, tests).
    """
    now = now or datetime.now(UTC)
    # jobs run elsewhere (another directory, another host): every path they get is absolute
    output_root, data_root = output_root.resolve(), data_root.resolve()
    instances = plan_train(catalog, dataset, wagons, code_dirs)  # refuses an unknown dataset
    ds = catalog.datasets[dataset].model
    if described is None:
        from controller.engine.train import load_wagons  # imports analysts' code

        described = [w.describe() for w in load_wagons(catalog.root, instances)]
    storage = storage or Storage()
    files = input_files(catalog, ds, data_root, True, storage)  # every job's events, known
    record = TrainRecord(
        train_id=train_id or train_id_of(dataset, now, catalog_commit),
        dataset=dataset,
        catalog_commit=catalog_commit,
        backend=backend,
        created=now,
        trigger=trigger,
        request=request,
        settings=settings_of(ds, merge_fan_in),
        policy="express" if ds.schedule.policy == "express" else "slow",
        template=JobTemplate(
            catalog_dir=str(catalog.root.resolve()),
            tree=ds.tree,
            output_root=str(output_root),
            skip_bad_files=ds.splitting.skip_bad_files,
            run_filter=run_filter(catalog, ds),
            memory_mb=ds.limits.memory_mb,
            output_url=storage.output_url(),
            storage_timeout_s=storage.timeout_s,
        ),
        wagons=described,
        excluded=excluded_files(catalog, ds, data_root, storage),
    )
    for index, slices in enumerate(split_files(files, ds.splitting)):
        record.jobs.append(
            JobRecord(index=index, name=f"{record.train_id}-j{index:04d}", files=slices)
        )
    return record, specs_of(record)


def train_dir(record: TrainRecord) -> Path:
    assert record.template is not None, "a composed train has its job template"
    return Path(record.template.output_root) / record.train_id


def job_dir(record: TrainRecord, job: JobRecord) -> Path:
    return train_dir(record) / "jobs" / f"{job.index:04d}"


def spec_of(record: TrainRecord, job: JobRecord, output_dir: Path | None = None) -> JobSpec:
    """Job ``job``'s spec, from the train's template and the job's slices."""
    t = record.template
    assert t is not None, "a composed train has its job template"
    return JobSpec(
        name=job.name,
        train_id=record.train_id,
        catalog_dir=t.catalog_dir,
        catalog_commit=record.catalog_commit,
        dataset=record.dataset,
        tree=t.tree,
        wagons=record.wagons,
        slices=job.files,
        output_dir=str(output_dir or job_dir(record, job)),
        skip_bad_files=t.skip_bad_files,
        run_filter=t.run_filter,
        memory_mb=t.memory_mb,
        storage_timeout_s=t.storage_timeout_s,
    )


def specs_of(record: TrainRecord) -> list[JobSpec]:
    return [spec_of(record, j) for j in record.jobs]
