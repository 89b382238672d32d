"""Example catalogs on disk with an analysis of test wagons added, for integration tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[1] / "catalog"


def with_analysis(
    root: Path,
    analysis: str,
    tasks_file: Path,
    wagons: dict[str, str],
    dataset: str,
    like: str = "cms-2010-dimuon",
    **dataset_fields: Any,
) -> Path:
    """A copy of the example catalog as ``root/catalog``, plus ``analysis`` (its tasks module
    copied from ``tasks_file``) whose wagons (name -> task class) are enabled on ``dataset``;
    ``dataset`` is the example dataset ``like`` renamed, with ``dataset_fields`` changed."""
    catalog = root / "catalog"
    shutil.copytree(EXAMPLE, catalog, ignore=shutil.ignore_patterns("__pycache__"))
    folder = catalog / "analyses" / analysis
    (folder / "wagons").mkdir(parents=True)
    shutil.copy(tasks_file, folder / "tasks.py")
    about = {"name": analysis, "title": analysis, "group": "QA", "members": ["qa-bot"]}
    (folder / "analysis.yaml").write_text(yaml.safe_dump(about))
    for name, cls in wagons.items():
        wagon = {"name": name, "task": f"tasks:{cls}", "enabled": [{"dataset": dataset}]}
        (folder / "wagons" / f"{name}.yaml").write_text(yaml.safe_dump(wagon))
    if dataset not in (p.stem for p in (catalog / "datasets").glob("*.yaml")):
        fields = yaml.safe_load((catalog / "datasets" / f"{like}.yaml").read_text())
        fields.update(name=dataset, **dataset_fields)
        (catalog / "datasets" / f"{dataset}.yaml").write_text(yaml.safe_dump(fields))
    return catalog
