"""Storage elements that are local directories (no server): resolution of relative paths,
replicas, the sites a job may run at, and a verified copy refusing a mismatch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from controller.catalog.loader import load_catalog, load_valid_catalog
from controller.config import Storage, StorageElement
from controller.errors import DataError, StorageError
from controller.storage import transfer
from controller.trainrun import compose
from controller.trainrun.advance import local_sites
from tests.reference import ZMUMU

REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog"


def setup(tmp_path: Path, files: list[dict[str, object]]) -> tuple[Path, Storage]:
    shutil.copytree(
        REPO_CATALOG, tmp_path / "catalog", ignore=shutil.ignore_patterns("__pycache__")
    )
    path = tmp_path / "catalog" / "datasets" / "cms-2010-dimuon.yaml"
    ds = yaml.safe_load(path.read_text())
    ds.update(files=files, splitting={"files_per_job": 2})
    path.write_text(yaml.safe_dump(ds))
    storage = Storage(
        elements={
            "disk-a": StorageElement(url=str(tmp_path / "disk-a"), site="site-a"),
            "disk-b": StorageElement(url=str(tmp_path / "disk-b")),  # its own name is its site
        }
    )
    config = {"storage": storage.model_dump(mode="json", exclude_defaults=True)}
    (tmp_path / "wagonyard.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "catalog", storage


def test_relative_paths_are_read_on_their_storage_element_with_replicas(tmp_path: Path) -> None:
    for disk in ("disk-a", "disk-b"):
        (tmp_path / disk / "d").mkdir(parents=True)
        shutil.copy(ZMUMU, tmp_path / disk / "d" / "z0.root")
    shutil.copy(ZMUMU, tmp_path / "disk-b" / "d" / "z1.root")  # z1 is missing on disk-a
    files = [
        {"paths": ["d/z0.root", "d/z1.root"], "storage_element": "disk-a", "replicas": ["disk-b"]}
    ]
    catalog_dir, storage = setup(tmp_path, files)
    record, _ = compose(
        load_valid_catalog(catalog_dir), "cms-2010-dimuon", "c0", tmp_path, tmp_path / "o", "local",
        storage=storage,
    )  # fmt: skip
    [job] = record.jobs
    assert [f.path for f in job.files] == [
        str(tmp_path / "disk-a/d/z0.root"),
        str(tmp_path / "disk-a/d/z1.root"),
    ]
    assert [f.entry_stop for f in job.files] == [2304, 2304]  # z1 counted on its replica
    assert [r.url for r in job.files[1].replicas] == [str(tmp_path / "disk-b/d/z1.root")]
    assert local_sites(job) == ["disk-b", "site-a"]


def test_replicas_on_an_unknown_storage_element_or_of_an_absolute_path_are_refused(
    tmp_path: Path,
) -> None:
    catalog_dir, storage = setup(
        tmp_path, [{"paths": ["d/z0.root"], "storage_element": "disk-a", "replicas": ["tape"]}]
    )
    catalog, problems = load_catalog(catalog_dir)  # validate says so; compose does too
    assert ["unknown storage element 'tape'" in p.message for p in problems] == [True]
    with pytest.raises(DataError, match=r"storage element 'tape' is not in wagonyard\.yaml"):
        compose(catalog, "cms-2010-dimuon", "c0", tmp_path, tmp_path, "local", storage=storage)
    catalog_dir, storage = setup(
        tmp_path / "2", [{"paths": [ZMUMU], "storage_element": "disk-a", "replicas": ["disk-b"]}]
    )
    with pytest.raises(DataError, match="must be a path relative to the storage"):
        compose(load_valid_catalog(catalog_dir), "cms-2010-dimuon", "c0", tmp_path, tmp_path, "local", storage=storage)  # fmt: skip


def test_a_copy_is_verified_and_a_mismatch_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size, checksum = transfer.copy_verified(ZMUMU, str(tmp_path / "se" / "z.root"))
    assert size == Path(ZMUMU).stat().st_size and checksum == transfer.adler32_of(Path(ZMUMU))
    # a copy that arrives damaged (the destination's checksum differs) is an error naming both
    real = transfer.checksum_of
    monkeypatch.setattr(
        transfer, "checksum_of", lambda url: "00000000" if "bad" in url else real(url)
    )
    with pytest.raises(StorageError, match="adler32 00000000; the source"):
        transfer.copy_verified(ZMUMU, str(tmp_path / "bad" / "z.root"))


def test_the_storage_timeout_reaches_the_jobs_xrootd_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controller.job import run_job

    (tmp_path / "disk-a" / "d").mkdir(parents=True)
    shutil.copy(ZMUMU, tmp_path / "disk-a" / "d" / "z0.root")
    catalog_dir, storage = setup(tmp_path, [{"paths": ["d/z0.root"], "storage_element": "disk-a"}])
    storage = storage.model_copy(update={"timeout_s": 3})
    _, specs = compose(
        load_valid_catalog(catalog_dir), "cms-2010-dimuon", "c0", tmp_path, tmp_path / "o", "local",
        storage=storage,
    )  # fmt: skip
    assert [s.storage_timeout_s for s in specs] == [3]
    monkeypatch.delenv("XRD_CONNECTIONWINDOW", raising=False)  # restored after the test
    run_job(specs[0])
    assert os.environ["XRD_CONNECTIONWINDOW"] == "3"  # set before XRootD's client starts
