"""Trains over real XRootD storage elements on a local grid of several sites: a storage element
killed mid-train (the jobs read the replicas, the histograms stay the same), locality and its
relaxation over two sites, and the merged output written to an output storage element and
verified there."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from controller.catalog.loader import load_valid_catalog
from controller.config import Storage, StorageElement
from controller.engine.output import read_output
from controller.grid.local import LocalBackend
from controller.records import TrainRecord
from controller.trainrun import compose, run
from tests.reference import ZMUMU, assert_matches, zmumu_reference
from tests.storage.conftest import Server

pytestmark = pytest.mark.slow
REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog"


def storage_of(servers: dict[str, Server], output: str | None = None) -> Storage:
    elements = {
        name: StorageElement(url=s.url, site=f"site-{name[-1]}") for name, s in servers.items()
    }
    return Storage(elements=elements, output=output)


def catalog_with(root: Path, files: list[dict[str, object]], storage: Storage) -> Path:
    """The example catalog with the dataset's files on storage, and the repository's
    wagonyard.yaml naming the storage elements (validate checks the replicas against it)."""
    config = {"storage": storage.model_dump(mode="json", exclude_defaults=True)}
    (root / "wagonyard.yaml").write_text(yaml.safe_dump(config))
    catalog = root / "catalog"
    shutil.copytree(REPO_CATALOG, catalog, ignore=shutil.ignore_patterns("__pycache__"))
    path = catalog / "datasets" / "cms-2010-dimuon.yaml"
    ds = yaml.safe_load(path.read_text())
    ds["files"] = files
    ds["splitting"] = {"files_per_job": 1}
    path.write_text(yaml.safe_dump(ds))
    return catalog


def scaled(times: int) -> dict[str, dict[str, np.ndarray]]:
    return {d: {n: v * times for n, v in h.items()} for d, h in zmumu_reference().items()}


def test_a_storage_element_killed_mid_train_its_jobs_read_the_replicas(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    names = [f"dimuon/zmumu-{i}.root" for i in range(4)]
    for name in names:
        xrootd["se-a"].put(Path(ZMUMU), name)
        xrootd["se-b"].put(Path(ZMUMU), name)
    files = [{"paths": names, "storage_element": "se-a", "replicas": ["se-b"]}]
    storage = storage_of(xrootd, output="se-c")
    catalog = load_valid_catalog(catalog_with(tmp_path, files, storage))
    out = tmp_path / "out"
    record, _ = compose(
        catalog, "cms-2010-dimuon", "c0ffee", tmp_path, out, "local", storage=storage
    )
    assert len(record.jobs) == 4 and record.jobs[0].files[0].replicas[0].storage_element == "se-b"
    killed: list[str] = []

    def kill_after_the_first_job(r: TrainRecord) -> None:
        if not killed and any(j.state == "done" for j in r.jobs):
            xrootd["se-a"].kill()  # the storage element goes down with jobs still to run
            killed.append(next(j.name for j in r.jobs if j.state == "done"))

    backend = LocalBackend(tmp_path / "grid", sites={"site-a": 1})  # one job at a time
    record = run(record, backend, poll_s=0.2, progress=kill_after_the_first_job)
    assert record.state == "done", record.message
    assert killed
    reads = {j.name: j.report.replicas_read[0] for j in record.jobs if j.report}
    assert reads[killed[0]].storage_element == "se-a"
    fell_back = [n for n, r in reads.items() if r.storage_element == "se-b"]
    assert len(fell_back) >= 2  # the jobs after the kill (one may have started before it)
    assert all(xrootd["se-a"].url.rstrip("/") in reads[n].failed[0] for n in fell_back)
    assert all(j.attempts[-1].site == "site-a" for j in record.jobs)
    # the same histograms as four good reads of the file
    assert record.output is not None
    merged, provenance = read_output(out / record.output.path)
    assert provenance["events"] == 4 * 2304
    assert_matches(merged, scaled(4))
    # the merged output is on the output storage element, verified, linked by URL
    assert record.output.url == f"{xrootd['se-c'].url}trains/{record.train_id}/AnalysisResults.root"
    stored = xrootd["se-c"].data / "trains" / record.train_id / "AnalysisResults.root"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == record.output.sha256
    assert record.message == ""


def test_jobs_wait_for_their_sites_until_locality_is_relaxed(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    on_a = [f"dimuon/a-{i}.root" for i in range(2)]
    on_b = [f"dimuon/b-{i}.root" for i in range(5)]
    for name in on_a:
        xrootd["se-a"].put(Path(ZMUMU), name)
    for name in on_b:
        xrootd["se-b"].put(Path(ZMUMU), name)
    files = [
        {"paths": on_a, "storage_element": "se-a"},
        {"paths": on_b, "storage_element": "se-b"},
    ]
    storage = storage_of(xrootd)
    catalog = load_valid_catalog(catalog_with(tmp_path, files, storage))
    out = tmp_path / "out"
    record, _ = compose(
        catalog, "cms-2010-dimuon", "c0ffee", tmp_path, out, "local", storage=storage
    )
    # site-b has one slot for five jobs: site-a idles once its two are done, until relaxation
    # (at half done here, so that it shows with few jobs; a real train waits for 90 %)
    record.settings.locality_done_fraction = 0.5
    backend = LocalBackend(tmp_path / "grid", sites={"site-a": 2, "site-b": 1})
    record = run(record, backend, poll_s=0.2)
    assert record.state == "done", record.message
    assert record.locality_relaxed_at is not None
    relaxed = record.locality_relaxed_at
    for job in record.jobs:
        home = f"site-{job.files[0].storage_element[-1]}"  # type: ignore[index]
        for attempt in job.attempts:
            if attempt.state == "done" and attempt.submitted and attempt.submitted < relaxed:
                assert attempt.site == home, f"{job.name} ran away from home before relaxation"
    moved = [j for j in record.jobs if [a.state for a in j.attempts] == ["moved", "done"]]
    assert moved and all(j.files[0].storage_element == "se-b" for j in moved)
    assert any(j.attempts[-1].site == "site-a" for j in moved)  # and ran at the idle site
    assert record.events_processed == 7 * 2304
