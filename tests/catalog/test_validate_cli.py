"""'wagonyard validate' on the whole catalog: the example is valid, every problem of several
files comes out in one run, the JSON report follows its schema, the catalog is found upwards."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from controller.catalog.loader import load_catalog, load_valid_catalog
from controller.errors import CatalogError
from tests.conftest import EXAMPLE_CATALOG, SCHEMA_DIR, CliResult

Run = Callable[..., CliResult]


def test_the_example_catalog_is_valid(wagonyard: Run) -> None:
    result = wagonyard("validate", str(EXAMPLE_CATALOG))
    assert result.code == 0, result.output
    assert result.out == "catalog OK: 12 files (2 analyses, 6 wagons, 3 datasets, 1 run list)\n"
    assert result.err == ""


def test_the_example_catalog_loads_with_positions() -> None:
    catalog = load_valid_catalog(EXAMPLE_CATALOG)
    assert sorted(catalog.wagons) == [
        "multilepton/four-lepton",
        "multilepton/jets",
        "multilepton/met",
        "zmumu/dimuon-mass",
        "zmumu/muon-kinematics",
        "zmumu/muon-selection",
    ]
    mass = catalog.wagons["zmumu/dimuon-mass"]
    assert mass.path == "catalog/analyses/zmumu/wagons/dimuon-mass.yaml"
    assert mass.where("enabled", 1, "dataset") == (17, 14)
    assert mass.where("variants", "wide", "bins") == (12, 11)
    assert catalog.runlists["run2010b-dimuon"].model.usable_runs() == [148029, 148031]


def break_three_files(catalog: Path) -> None:
    wagon = catalog / "analyses/multilepton/wagons/jets.yaml"
    wagon.write_text(wagon.read_text().replace("pt_min: 30.0", "pt_min: fast"))
    dataset = catalog / "datasets/hzz-mc.yaml"
    dataset.write_text(dataset.read_text().replace("tree: events", "tree: events\ntre: x"))
    runlist = catalog / "runlists/run2010b-dimuon.yaml"
    runlist.write_text(runlist.read_text().replace("quality: good", "quality: great", 1))


def test_every_problem_of_several_files_is_reported_in_one_run(
    catalog_copy: Path, wagonyard: Run
) -> None:
    break_three_files(catalog_copy)
    result = wagonyard("validate", str(catalog_copy))
    assert result.code == 1
    assert result.out.splitlines() == [
        "catalog/analyses/multilepton/wagons/jets.yaml:6:11: config.pt_min: Input should be a "
        "valid number, unable to parse string as a number, got 'fast'",
        "catalog/datasets/hzz-mc.yaml:9:1: tre: unknown field 'tre' (did you mean 'tree'?)",
        "catalog/runlists/run2010b-dimuon.yaml:7:14: runs[0].quality: Input should be 'good', "
        "'bad' or 'limited', got 'great'",
    ]
    assert result.err == "wagonyard: error: 3 errors in 3 of 12 files\n"


def test_the_json_report_lists_the_problems_and_follows_its_schema(
    catalog_copy: Path, wagonyard: Run
) -> None:
    break_three_files(catalog_copy)
    result = wagonyard("validate", "--format", "json", str(catalog_copy))
    assert result.code == 1
    report = json.loads(result.out)
    schema = json.loads((SCHEMA_DIR / "validation-report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["ok"] is False
    assert report["files_checked"] == 12
    assert report["counts"]["errors"] == 3
    assert report["counts"]["files_with_problems"] == 3
    assert report["problems"][1] == {
        "path": "catalog/datasets/hzz-mc.yaml",
        "line": 9,
        "column": 1,
        "message": "unknown field 'tre'",
        "json_path": "tre",
        "hint": "did you mean 'tree'?",
        "severity": "error",
    }


def test_the_json_report_of_a_valid_catalog_is_ok(wagonyard: Run) -> None:
    result = wagonyard("validate", "--format", "json", str(EXAMPLE_CATALOG))
    assert result.code == 0
    report = json.loads(result.out)
    assert report["ok"] is True and report["problems"] == []
    assert report["counts"]["wagons"] == 6


def test_load_valid_catalog_raises_with_every_problem(catalog_copy: Path) -> None:
    break_three_files(catalog_copy)
    with pytest.raises(CatalogError) as raised:
        load_valid_catalog(catalog_copy)
    assert len(raised.value.problems) == 3
    assert "catalog/datasets/hzz-mc.yaml:9:1: tre: unknown field 'tre'" in str(raised.value)
    catalog, problems = load_catalog(catalog_copy)
    assert len(problems) == 3
    assert "zmumu/dimuon-mass" in catalog.wagons and "hzz-mc" not in catalog.datasets


def test_paths_are_relative_to_the_repository_root(catalog_copy: Path) -> None:
    (catalog_copy / "runlists/run2010b-dimuon.yaml").write_text("")
    _, problems = load_catalog(catalog_copy, repo_root=catalog_copy.parent.parent)
    assert problems[0].path == f"{catalog_copy.parent.name}/catalog/runlists/run2010b-dimuon.yaml"


def test_the_catalog_is_found_from_a_subfolder(
    catalog_copy: Path, wagonyard: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(catalog_copy / "analyses" / "zmumu")
    result = wagonyard("validate")
    assert result.code == 0, result.output
    assert result.out.startswith("catalog OK: 12 files")


def test_without_a_catalog_the_error_says_what_to_do(
    tmp_path: Path, wagonyard: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = wagonyard("validate", "nowhere")
    assert result.code == 1
    assert result.err == (
        "wagonyard: error: catalog folder 'nowhere' does not exist: give the folder holding "
        "analyses/, datasets/ and runlists/\n"
    )
    (tmp_path / "empty").mkdir()
    result = wagonyard("validate", "empty")
    assert result.code == 1
    assert "has none of analyses/, datasets/, runlists/" in result.err
    assert "Traceback" not in result.output
