"""--changed-since picks exactly the wagons a change affects, in a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.catalog.loader import load_valid_catalog
from controller.errors import WagonyardError
from controller.wagontest.changes import changed_paths
from controller.wagontest.select import affected_wagons
from tests.gitrepo import catalog_repo, git


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = catalog_repo(tmp_path / "repo")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "catalog")
    git(repo, "tag", "base")
    return repo


def affected(repo: Path, since: str = "base") -> dict[str, str]:
    catalog = load_valid_catalog(repo / "catalog")
    return affected_wagons(catalog, changed_paths(repo, since), "catalog")


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "-qm", message)


def test_nothing_changed_nothing_picked(repo: Path) -> None:
    assert affected(repo) == {}


def test_a_changed_service_wagon_picks_itself_and_its_dependents(repo: Path) -> None:
    edit(repo / "catalog/analyses/zmumu/wagons/muon-selection.yaml", "pt_min: 20.0", "pt_min: 25.0")
    commit(repo, "tighter muons")
    assert affected(repo) == {
        "zmumu/muon-selection": "wagon file changed",
        "zmumu/dimuon-mass": "depends on zmumu/muon-selection",
    }


def test_changed_task_code_picks_the_wagons_running_it(repo: Path) -> None:
    edit(repo / "catalog/analyses/multilepton/tasks.py", "iso_max: float", "iso_max:  float")
    commit(repo, "touch tasks")
    assert set(affected(repo)) == {
        "multilepton/four-lepton",
        "multilepton/jets",
        "multilepton/met",
    }


def test_a_shared_module_of_an_analysis_picks_all_its_wagons(repo: Path) -> None:
    (repo / "catalog/analyses/zmumu/common.py").write_text("MUON_MASS = 0.105658\n")
    # not committed: the work tree counts too, as in a developer's checkout
    assert set(affected(repo)) == {
        "zmumu/muon-selection",
        "zmumu/dimuon-mass",
        "zmumu/muon-kinematics",
    }


def test_a_changed_dataset_or_run_list_picks_the_wagons_enabled_on_it(repo: Path) -> None:
    edit(repo / "catalog/datasets/hzz-mc.yaml", "events_per_job: 1000", "events_per_job: 900")
    commit(repo, "split finer")
    assert affected(repo, "HEAD~1") == {
        "multilepton/four-lepton": "dataset hzz-mc changed",
        "multilepton/jets": "dataset hzz-mc changed",
        "multilepton/met": "dataset hzz-mc changed",
    }
    edit(repo / "catalog/runlists/run2010b-dimuon.yaml", "quality: good\n", "quality: limited\n")
    commit(repo, "downgrade a run")
    picked = affected(repo, "HEAD~1")
    assert set(picked) == {"zmumu/dimuon-mass", "zmumu/muon-kinematics"}
    assert picked["zmumu/muon-kinematics"].startswith("run list run2010b-dimuon")


def test_over_several_commits_the_union_is_picked(repo: Path) -> None:
    edit(repo / "catalog/analyses/zmumu/wagons/muon-kinematics.yaml", "pt_bins: 50", "pt_bins: 40")
    commit(repo, "one")
    edit(repo / "catalog/analyses/multilepton/wagons/met.yaml", "weighted: true", "weighted: false")
    commit(repo, "two")
    assert set(affected(repo)) == {"zmumu/muon-kinematics", "multilepton/met"}
    assert set(affected(repo, "HEAD~1")) == {"multilepton/met"}


def test_an_unknown_revision_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(WagonyardError, match="no such commit"):
        changed_paths(repo, "nope")
