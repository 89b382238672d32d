"""``wagonyard consolidate`` over real XRootD servers: a dataset spread over three storage
elements copied onto one (xrdcp, verified), its job count before and after, and the dataset
change written as a catalog edit with the old storage elements kept as replicas."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from controller.catalog.loader import load_valid_catalog
from controller.config import load_config
from controller.trainrun import compose
from tests.reference import ZMUMU
from tests.storage.conftest import Server

REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog"
HEADER = "# the CMS 2010 dimuon events, on three storage elements\n"


def repository(root: Path, servers: dict[str, Server]) -> Path:
    repo = root / "repo"
    shutil.copytree(REPO_CATALOG, repo / "catalog", ignore=shutil.ignore_patterns("__pycache__"))
    elements = {n: {"url": s.url, "site": f"site-{n[-1]}"} for n, s in servers.items()}
    (repo / "wagonyard.yaml").write_text(yaml.safe_dump({"storage": {"elements": elements}}))
    files = []
    for name, server in servers.items():
        paths = [f"dimuon/{name}-{i}.root" for i in range(3)]
        for p in paths:
            server.put(Path(ZMUMU), p)
        files.append({"paths": paths, "storage_element": name})
    path = repo / "catalog" / "datasets" / "cms-2010-dimuon.yaml"
    ds = yaml.safe_load(path.read_text())
    ds.update(files=files, splitting={"files_per_job": 10})
    path.write_text(HEADER + yaml.safe_dump(ds, sort_keys=False))
    return repo


def consolidate(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controller", "consolidate", "--dataset", "cms-2010-dimuon", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_consolidating_a_dataset_spread_over_three_storage_elements(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    repo = repository(tmp_path, xrootd)
    dataset = repo / "catalog" / "datasets" / "cms-2010-dimuon.yaml"
    before = dataset.read_text()

    planned = consolidate(repo, "--to", "se-a", "--plan")
    assert planned.returncode == 0, planned.stderr
    assert "9 files, 3 jobs now, 1 once on se-a (2 fewer, 67%)" in planned.stdout
    assert "6 file(s) to copy to se-a" in planned.stdout
    assert dataset.read_text() == before  # --plan copies and edits nothing
    assert sorted(p.name for p in (xrootd["se-a"].data / "dimuon").iterdir()) == [
        f"se-a-{i}.root" for i in range(3)
    ]

    done = consolidate(repo, "--to", "se-a")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(" verified\n") == 6 + 1  # each file, then all of them
    assert "git switch -c consolidate-cms-2010-dimuon" in done.stdout
    for name in ("se-b", "se-c"):
        for i in range(3):
            copied = xrootd["se-a"].data / "dimuon" / f"{name}-{i}.root"
            assert copied.read_bytes() == Path(ZMUMU).read_bytes()
    text = dataset.read_text()
    assert text.startswith(HEADER)  # the edit keeps the file's comments
    files = yaml.safe_load(text)["files"]
    assert [(f["storage_element"], f.get("replicas", [])) for f in files] == [
        ("se-a", []),
        ("se-a", ["se-b"]),
        ("se-a", ["se-c"]),
    ]
    # the edited catalog is valid, and its trains need one job, reading se-a
    catalog = load_valid_catalog(repo / "catalog")
    storage = load_config(repo).storage
    record, _ = compose(
        catalog, "cms-2010-dimuon", "c0ffee", tmp_path, tmp_path / "out", "local", storage=storage
    )
    [job] = record.jobs
    assert len(job.files) == 9 and all(f.path.startswith(xrootd["se-a"].url) for f in job.files)
    assert {r.storage_element for f in job.files for r in f.replicas} == {"se-b", "se-c"}

    again = consolidate(repo, "--to", "se-a")
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_an_unknown_storage_element_is_refused_naming_the_known_ones(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    repo = repository(tmp_path, xrootd)
    refused = consolidate(repo, "--to", "se-z")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "se-z" in refused.stderr and "se-a, se-b, se-c" in refused.stderr
