"""Builders for in-memory catalogs, for the pure-core tests (no files, no YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from controller.catalog.catalog import Catalog, Entry
from controller.catalog.models import Analysis, Dataset, RunList, TrainRequest, Wagon


def dataset(name: str = "ds", **extra: Any) -> Dataset:
    data: dict[str, Any] = {
        "name": name,
        "type": "mc",
        "system": "pp",
        "energy_tev": 7.0,
        "period": "p1",
        "tree": "events",
        "files": [{"paths": ["testdata:uproot-Zmumu.root"]}],
    }
    data.update(extra)
    return Dataset.model_validate(data)


def train_request(name: str = "req", **fields: Any) -> TrainRequest:
    """A request to run a train on dataset 'ds', unless ``fields`` say otherwise."""
    data: dict[str, Any] = {"name": name, "action": "run", "dataset": "ds", "reason": "because"}
    data.update(fields)
    return TrainRequest.model_validate(data)


def catalog(
    wagons: dict[str, dict[str, Any]],
    datasets: list[Dataset] | None = None,
    requests: list[TrainRequest] | None = None,
) -> Catalog:
    """A catalog from {'analysis/wagon': wagon fields}; analyses are made up as needed."""
    cat = Catalog(root=Path("catalog"))
    for request in requests or []:
        cat.trains[request.name] = Entry(request, f"catalog/trains/{request.name}.yaml")
    for ds in datasets or [dataset()]:
        cat.datasets[ds.name] = Entry(ds, f"catalog/datasets/{ds.name}.yaml")
    for ref, fields in wagons.items():
        analysis, name = ref.split("/")
        if analysis not in cat.analyses:
            a = Analysis(name=analysis, title=analysis, group="EW", members=["someone"])
            cat.analyses[analysis] = Entry(a, f"catalog/analyses/{analysis}/analysis.yaml")
        w = Wagon.model_validate({"name": name, "task": "tasks:T", **fields})
        cat.wagons[ref] = Entry(w, f"catalog/analyses/{analysis}/wagons/{name}.yaml")
    return cat


def runlist(name: str, runs: list[int]) -> RunList:
    return RunList(name=name, period="p1", runs=[{"run": r} for r in runs])  # type: ignore[misc]
