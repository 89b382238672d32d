"""``wagonyard demo``: the whole loop once, on the embedded local grid, in a working directory.

Validate the catalog, put it in a git repository (with a bare origin), compose and run one
train per dataset on the local grid, merge, record every step on the history branch, and
build the static site. Every stage is the real code the controller uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from controller.catalog.loader import load_valid_catalog
from controller.config import load_config
from controller.grid import backend_for
from controller.history import GitRepo, HistoryStore
from controller.records import TrainRecord
from controller.sitegen.build import build_site
from controller.trainrun import compose, run
from controller.workspace import init_demo_repo

DEFAULT_DATASETS = ("cms-2010-dimuon", "hzz-mc")


@dataclass
class DemoResult:
    records: list[TrainRecord]
    outputs_root: Path
    site_index: Path
    repo: Path


def record_path(train_id: str) -> str:
    return f"trains/{train_id}/record.json"


def load_records(store: HistoryStore) -> list[TrainRecord]:
    """Every train record on the history branch, newest first."""
    records = []
    for path in store.files("trains"):
        if path.endswith("/record.json"):
            data = store.read(path)
            if data is not None:
                records.append(TrainRecord.model_validate_json(data))
    return sorted(records, key=lambda r: r.created, reverse=True)


def run_demo(
    workdir: Path,
    catalog_src: Path,
    data_root: Path,
    datasets: tuple[str, ...] = DEFAULT_DATASETS,
    say: Callable[[str], None] = print,
    backend_name: str | None = None,
) -> DemoResult:
    workdir, data_root = workdir.resolve(), data_root.resolve()
    say(f"1/5 validate {catalog_src}")
    load_valid_catalog(catalog_src)
    repo = init_demo_repo(workdir, catalog_src)
    catalog = load_valid_catalog(repo / "catalog")
    commit = GitRepo(repo).git("rev-parse", "HEAD")
    say(f"    catalog OK; committed to {repo} main at {commit[:10]}")
    config = load_config(catalog_src.resolve().parent)
    store = HistoryStore(repo, branch=config.history.branch, remote="origin")
    backend = backend_for(backend_name or config.backend(), workdir / "grid", config)
    say(f"    grid backend: {backend.name}")
    outputs_root = workdir / "outputs"
    records = []
    for dataset in datasets:
        say(f"2/5 compose a train over '{dataset}'")
        record, specs = compose(
            catalog,
            dataset,
            commit,
            data_root,
            outputs_root,
            backend.name,
            merge_fan_in=config.grid.merge_fan_in,
            trigger="wagonyard demo",
        )
        wagons = ", ".join(w.directory for w in record.wagons)
        say(f"    {record.train_id}: {len(specs)} jobs, wagons {wagons}")
        store.commit(
            {record_path(record.train_id): record.model_dump_json(indent=1).encode() + b"\n"},
            f"Compose train {record.train_id}: {len(record.wagons)} wagons, {len(specs)} jobs",
        )
        say("3/5 run the jobs on the local grid, then merge")
        last = [""]

        def progress(r: TrainRecord, last: list[str] = last) -> None:
            counts: dict[str, int] = {}
            for j in r.jobs:
                counts[j.state] = counts.get(j.state, 0) + 1
            line = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            if line != last[0]:
                say(f"    jobs: {line}")
                last[0] = line

        record = run(record, backend, progress=progress)
        summary = (
            f"Train {record.train_id} {record.state}: {record.events_processed} events, "
            f"{len(record.jobs)} jobs"
        )
        say("4/5 record the run on the history branch")
        sha = store.commit(
            {record_path(record.train_id): record.model_dump_json(indent=1).encode() + b"\n"},
            summary + (f"\n\n{record.message}" if record.message else ""),
        )
        say(f"    {summary} (history commit {sha[:10]})")
        records.append(record)
    say("5/5 build the site")
    site_dir = workdir / "site"
    build_site(catalog, load_records(store), site_dir, outputs_root)
    return DemoResult(records, outputs_root, site_dir / "index.html", repo)
