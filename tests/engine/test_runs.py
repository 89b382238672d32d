"""Run lists apply to every 'data' dataset: per event through its run branch, per file through
'{run}' patterns; what is left out is counted by run and reason. Dataset paths of every form."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import uproot

from controller.catalog.models import Quality
from controller.engine.files import dataset_files, excluded_files, resolve_path, run_filter
from controller.engine.output import read_output
from controller.errors import DataError
from controller.job import run_job
from controller.records import ExcludedEvents, FileSlice, RunFilter
from tests.builders import catalog, dataset, runlist
from tests.engine.test_job import spec
from tests.reference import ZMUMU, assert_matches, zmumu_reference

GOOD, OTHER = 148029, 148031


def events_of(run: int) -> int:
    with uproot.open(ZMUMU) as f:
        return int(np.count_nonzero(f["events"]["Run"].array(library="np") == run))


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        (RunFilter(branch="Run", usable=[GOOD], bad=[OTHER]), "bad run"),
        (RunFilter(branch="Run", usable=[GOOD]), "run not in the run list"),
    ],
)
def test_events_of_unusable_runs_are_not_processed_and_are_counted(
    tmp_path: Path, rule: RunFilter, reason: str
) -> None:
    report = run_job(spec(tmp_path, "job", [FileSlice(path=ZMUMU)], step=300, run_filter=rule))
    kept, left = events_of(GOOD), events_of(OTHER)
    assert kept > 0 and left > 0 and kept + left == 2304
    assert report.events == kept
    assert report.excluded == [ExcludedEvents(run=OTHER, reason=reason, events=left)]  # type: ignore[arg-type]
    histograms, provenance = read_output(Path(report.output))
    assert_matches(histograms, zmumu_reference(runs=[GOOD]))
    assert provenance["excluded"] == [e.model_dump(mode="json") for e in report.excluded]
    assert all(w.events == kept for w in report.wagons)


def test_a_data_dataset_gets_its_run_list_a_simulated_one_does_not() -> None:
    rl = runlist("rl", [GOOD, OTHER])
    rl = rl.model_copy(
        update={"runs": [rl.runs[0], rl.runs[1].model_copy(update={"quality": Quality.BAD})]}
    )
    data = dataset("d", type="data", runlist="rl", run_branch="Run")
    cat = catalog({}, [data])
    cat.runlists["rl"] = type(cat.datasets["d"])(rl, "catalog/runlists/rl.yaml")  # type: ignore[arg-type]
    assert run_filter(cat, data) == RunFilter(branch="Run", usable=[GOOD], bad=[OTHER])
    assert run_filter(cat, dataset("m")) is None


def test_a_pattern_reads_usable_runs_only_and_reports_the_files_left_out(tmp_path: Path) -> None:
    for run in (GOOD, OTHER, 999):
        (tmp_path / f"run{run}").mkdir()
        shutil.copy(ZMUMU, tmp_path / f"run{run}" / "part-0.root")
    (tmp_path / "runx").mkdir()  # not a run: ignored
    shutil.copy(ZMUMU, tmp_path / "runx" / "part-0.root")
    rl = runlist("rl", [GOOD, OTHER])
    rl = rl.model_copy(
        update={"runs": [rl.runs[0], rl.runs[1].model_copy(update={"quality": Quality.BAD})]}
    )
    data = dataset("d", type="data", runlist="rl", files=[{"pattern": "run{run}/*.root"}])
    cat = catalog({}, [data])
    cat.runlists["rl"] = type(cat.datasets["d"])(rl, "catalog/runlists/rl.yaml")  # type: ignore[arg-type]
    found = [(f.path, f.storage_element) for f in dataset_files(cat, data, tmp_path)]
    assert found == [(str(tmp_path / f"run{GOOD}/part-0.root"), None)]
    assert excluded_files(cat, data, tmp_path) == [
        ExcludedEvents(run=999, reason="run not in the run list", events=2304, files=1),
        ExcludedEvents(run=OTHER, reason="bad run", events=2304, files=1),
    ]


def test_paths_of_every_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    root = tmp_path / "data"
    assert resolve_path("/abs/x.root", root) == "/abs/x.root"
    assert resolve_path("file:///abs/my%20x.root", root) == "/abs/my x.root"
    assert resolve_path("~/x.root", root) == str(tmp_path / "x.root")
    assert resolve_path("sub/x.root", root) == str(root / "sub/x.root")
    assert resolve_path("root://eos.example//x.root", root) == "root://eos.example//x.root"


def test_a_missing_relative_file_names_the_data_directory_and_how_to_choose_it(
    tmp_path: Path,
) -> None:
    data = dataset("d", files=[{"paths": ["zmumu/part-0.root"]}])
    with pytest.raises(DataError) as err:
        dataset_files(catalog({}, [data]), data, tmp_path)
    assert str(err.value) == (
        f"dataset 'd': files[0].paths: 'zmumu/part-0.root': no such file under the data "
        f"directory {tmp_path} (relative paths are read there: choose it with --data-dir or the "
        "environment variable WAGONYARD_DATA)"
    )
