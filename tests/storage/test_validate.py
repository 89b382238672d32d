"""``wagonyard validate`` checks the storage elements a dataset's replicas name against the
repository's wagonyard.yaml, with the line and a suggestion, as it checks every reference."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO_CATALOG = Path(__file__).resolve().parents[2] / "catalog"


def test_a_replica_on_an_unknown_storage_element_is_an_error_at_its_line(tmp_path: Path) -> None:
    shutil.copytree(
        REPO_CATALOG, tmp_path / "catalog", ignore=shutil.ignore_patterns("__pycache__")
    )
    elements = {"se-a": {"url": "root://127.0.0.1:1094//"}, "se-b": {"url": "/srv/se-b"}}
    (tmp_path / "wagonyard.yaml").write_text(yaml.safe_dump({"storage": {"elements": elements}}))
    path = tmp_path / "catalog" / "datasets" / "cms-2010-dimuon.yaml"
    ds = yaml.safe_load(path.read_text())
    ds["files"] = [{"paths": ["z.root"], "storage_element": "se-a", "replicas": ["se-bb"]}]
    path.write_text(yaml.safe_dump(ds, sort_keys=False))
    done = subprocess.run(
        [sys.executable, "-m", "controller", "validate", str(tmp_path / "catalog")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "se-bb" in t)
    assert f"catalog/datasets/cms-2010-dimuon.yaml:{line}" in said
    assert "unknown storage element 'se-bb'" in said and "se-b" in said
    assert "Traceback" not in said
