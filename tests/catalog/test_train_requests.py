"""Train requests (catalog/trains/<name>.yaml): each action loads with its own fields, the
schema agrees with the model, and a run's dataset and wagons are checked against the catalog;
the datasets' cron expressions are those croniter takes in five fields."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from controller.catalog.checks import check_catalog
from controller.catalog.cron import cron_problem
from controller.catalog.loader import load_valid_catalog
from controller.catalog.models import TrainRequest
from tests.builders import catalog, dataset, train_request
from tests.conftest import SCHEMA_DIR, CliResult

Run = Callable[..., CliResult]
HEADER = "# yaml-language-server: $schema=../../schema/train-request.schema.json\n"
REQUESTS = {
    "run-now": "name: run-now\naction: run\ndataset: cms-2010-dimuon\n"
    "reason: the new muon calibration\nrequested_by: octocat\n",
    "run-two": "name: run-two\naction: run\ndataset: cms-2010-dimuon\n"
    "wagons: [zmumu/dimuon-mass, muon-kinematics]\nreason: a quick look\n",
    "stop-it": "name: stop-it\naction: kill\ntrain: cms-2010-dimuon-20240102-030405-abcdef\n"
    "reason: it reads the wrong files\n",
    "again": "kind: train-request\nname: again\naction: retry\n"
    "train: hzz-mc-20240102-030405-123456\nreason: the site was down\n",
}


def test_requests_of_each_action_load(catalog_copy: Path, wagonyard: Run) -> None:
    (catalog_copy / "trains").mkdir()
    for name, text in REQUESTS.items():
        (catalog_copy / "trains" / f"{name}.yaml").write_text(HEADER + text)
    result = wagonyard("validate", str(catalog_copy))
    assert result.code == 0, result.output
    assert result.out.endswith(", 1 run list, 4 train requests)\n"), result.out
    trains = load_valid_catalog(catalog_copy).trains
    assert sorted(trains) == ["again", "run-now", "run-two", "stop-it"]
    run = trains["run-two"]
    assert run.path == "catalog/trains/run-two.yaml"
    assert (run.model.action, run.model.dataset, run.model.train) == (
        "run",
        "cms-2010-dimuon",
        None,
    )
    assert run.model.wagons == ["zmumu/dimuon-mass", "muon-kinematics"]
    assert run.where("wagons", 1) == (5, 29)
    assert trains["run-now"].model.wagons == []
    assert trains["run-now"].model.requested_by == "octocat"
    kill = trains["stop-it"].model
    assert (kill.action, kill.train, kill.dataset) == (
        "kill",
        "cms-2010-dimuon-20240102-030405-abcdef",
        None,
    )
    assert trains["again"].model.action == "retry"


def test_a_catalog_without_trains_has_no_requests(catalog_copy: Path) -> None:
    assert not (catalog_copy / "trains").exists()
    assert load_valid_catalog(catalog_copy).trains == {}


@pytest.mark.parametrize("name", REQUESTS)
def test_the_schema_takes_what_the_model_takes(name: str) -> None:
    data = yaml.safe_load(REQUESTS[name])
    TrainRequest.model_validate(data)
    _schema().validate(data)


BROKEN: dict[str, dict[str, Any]] = {
    "run-without-dataset": {"action": "run"},
    "run-with-train": {"action": "run", "dataset": "ds", "train": "ds-1"},
    "kill-without-train": {"action": "kill"},
    "kill-with-dataset": {"action": "kill", "train": "ds-1", "dataset": "ds"},
    "retry-with-wagons": {"action": "retry", "train": "ds-1", "wagons": ["a/w"]},
    "bad-train-id": {"action": "retry", "train": "-ds 1"},
    "empty-reason": {"action": "run", "dataset": "ds", "reason": ""},
    "unknown-field": {"action": "run", "dataset": "ds", "when": "now"},
}


@pytest.mark.parametrize("name", BROKEN)
def test_the_schema_and_the_model_refuse_the_same_requests(name: str) -> None:
    data: dict[str, Any] = {"name": "req", "reason": "because", **BROKEN[name]}
    with pytest.raises(ValidationError):
        TrainRequest.model_validate(data)
    with pytest.raises(jsonschema.ValidationError):
        _schema().validate(data)


def _schema() -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "train-request.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def test_a_wagon_named_without_its_analysis_must_be_the_only_one_of_that_name() -> None:
    request = train_request(wagons=["mass", "b/sel", "sel"])
    cat = catalog(
        {
            "a/mass": {"enabled": [{"dataset": "ds"}]},
            "a/sel": {"enabled": [{"dataset": "ds"}]},
            "b/sel": {"enabled": [{"dataset": "ds"}]},
        },
        requests=[request],
    )
    assert cat.resolve_request_wagon("mass") == "a/mass"
    assert cat.resolve_request_wagon("sel") is None
    assert [(p.json_path, p.message, p.hint) for p in check_catalog(cat)] == [
        (
            "wagons[2]",
            "wagon 'sel' is ambiguous: a/sel, b/sel have this name",
            "write 'a/sel' or 'b/sel'",
        )
    ]


def test_a_request_using_invalid_files_is_not_told_they_are_unknown() -> None:
    """A broken dataset or wagon file is reported there, not also as unknown in the request."""
    request = train_request(dataset="broken", wagons=["a/half", "half"])
    cat = catalog({"a/w": {}}, datasets=[dataset("ds")], requests=[request])
    assert check_catalog(cat, {"dataset": {"broken"}, "wagon": {"a/half"}}) == []


def test_a_request_for_every_wagon_of_a_dataset_needs_only_the_dataset() -> None:
    cat = catalog(
        {"a/w": {}},
        requests=[train_request(), train_request("k", action="kill", dataset=None, train="ds-1")],
    )
    assert check_catalog(cat) == []
    unknown = catalog({"a/w": {}}, requests=[train_request(dataset="dss")])
    assert [(p.message, p.hint) for p in check_catalog(unknown)] == [
        ("unknown dataset 'dss'", "did you mean 'ds'?")
    ]


@pytest.mark.parametrize(
    "expression", ["0 2 * * *", "*/15 8-18 * * mon-fri", "0 0 L * *", "30 4 1,15 * 0", "0 0 29 2 *"]
)
def test_five_field_expressions_croniter_takes_are_taken(expression: str) -> None:
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 25 * * *", "its hour '25' is out of range or malformed (allowed: 0-23"),
        ("61 * * * *", "its minute '61' is out of range"),
        ("0 2 * 13 *", "its month '13' is out of range"),
        ("0 2 * * 8", "its day of week '8' is out of range"),
        ("0 2 * *", "has 4 fields; write the 5 fields minute, hour, day of month"),
        ("0 0 2 * * *", "has 6 fields: seconds are not taken"),
        ("0 0 2 * * * 2030", "has 7 fields: seconds and years are not taken"),
        ("@daily", "is a nickname"),
        ("0 0 31 2 *", "never fires"),
    ],
)
def test_other_expressions_say_what_is_wrong(expression: str, problem: str) -> None:
    found = cron_problem(expression)
    assert found is not None and problem in found, found
