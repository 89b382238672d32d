"""The full-train test compares each wagon's histograms there with its histograms alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.catalog.loader import load_valid_catalog
from controller.wagontest.report import CaseReport, TestReport
from controller.wagontest.run import run_tests
from tests.catalogs import with_analysis

HERE = Path(__file__).parent
ZMUMU = ["zmumu/dimuon-mass", "zmumu/muon-kinematics"]


def make_catalog(root: Path) -> Path:
    """The example catalog plus a wagon that patches numpy, on the real dimuon events."""
    patcher = {"patcher": "PatchesNumpy"}
    return with_analysis(root, "sneaky", HERE / "misfits_tasks.py", patcher, "cms-2010-dimuon")


def passing(dataset: str, name: str) -> CaseReport | None:
    """The previous tests: the zmumu wagons passed, so the full train takes them in."""
    if name in ZMUMU:
        return CaseReport(kind="wagon", name=name, dataset=dataset, status="done")
    return None


def cases(report: TestReport) -> dict[str, CaseReport]:
    (tests,) = report.datasets
    return {c.name: c for c in tests.cases}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("interactions")
    make_catalog(root)
    return root


@pytest.mark.slow
def test_a_wagon_changing_shared_state_fails_the_full_train_naming_victim_and_suspect(
    root: Path,
) -> None:
    catalog = load_valid_catalog(root / "catalog")
    report = run_tests(
        catalog, {"sneaky/patcher": "changed"}, root / "data", root / "work-1", "c0ffee",
        previous=passing, datasets=["cms-2010-dimuon"],
    )  # fmt: skip
    found = cases(report)
    assert found["sneaky/patcher"].status == "done"  # alone it does nothing wrong to itself
    train = found["full train"]
    assert train.status == "failed"
    reason, wide = [r for r in train.reasons if r.startswith("interaction:")]
    assert reason.startswith(
        "interaction: zmumu/dimuon-mass fills mass differently in the full train than alone"
    )
    assert "(tested now: sneaky/patcher)" in reason
    # the mass of the variant too; muon-kinematics uses no sqrt and is not named
    assert wide.startswith("interaction: zmumu/dimuon-mass_wide fills mass differently")


@pytest.mark.slow
def test_well_behaved_wagons_pass_the_interaction_check(root: Path) -> None:
    catalog = load_valid_catalog(root / "catalog")
    report = run_tests(
        catalog, {"zmumu/dimuon-mass": "changed"}, root / "data", root / "work-2", "c0ffee",
        previous=passing, datasets=["cms-2010-dimuon"],
    )  # fmt: skip
    train = cases(report)["full train"]
    assert train.status == "done", train.reasons
    assert {w.ref for w in train.wagons} >= {*ZMUMU, "zmumu/muon-selection"}
