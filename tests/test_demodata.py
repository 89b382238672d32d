"""The resampled multi-file dataset: deterministic, per run, and found by the dataset's pattern."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import uproot

from controller.catalog.catalog import Catalog, Entry
from controller.catalog.models import RunList
from controller.demodata import real_dimuon_events, write_demo_data
from controller.engine.files import dataset_files
from tests.builders import dataset


def digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        with uproot.open(p) as f:
            for name, values in sorted(f["events"].arrays(library="np").items()):
                h.update(name.encode() + np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def test_same_seed_same_events_and_runs_kept_apart(tmp_path: Path) -> None:
    a = write_demo_data(tmp_path / "a", events=20_000, files=4, seed=7, basket=3000)
    b = write_demo_data(tmp_path / "b", events=20_000, files=4, seed=7, basket=3000)
    c = write_demo_data(tmp_path / "c", events=20_000, files=4, seed=8, basket=3000)
    assert len(a) == 4
    assert digest(a) == digest(b) != digest(c)
    real = real_dimuon_events()
    total = 0
    for path in a:
        run = int(path.parent.name.removeprefix("run"))
        with uproot.open(path) as f:
            ev = f["events"].arrays(["Run", "Event", "M"], library="np")
        assert set(ev["Run"]) == {run}
        # every event is a real event of that run
        assert set(ev["M"]) <= set(real["M"][real["Run"] == run])
        total += len(ev["M"])
    assert total == 20_000


def test_the_large_dataset_pattern_finds_the_files_of_good_runs_only(tmp_path: Path) -> None:
    write_demo_data(tmp_path, events=4000, files=4, basket=1000)
    ds = dataset(
        "large",
        type="derived",
        runlist="rl",
        files=[{"pattern": "zmumu-large/run{run}/*.root", "storage_element": "local"}],
    )
    cat = Catalog(root=tmp_path)
    rl = RunList.model_validate(
        {"name": "rl", "period": "p1", "runs": [{"run": 148029}, {"run": 148031, "quality": "bad"}]}
    )
    cat.runlists["rl"] = Entry(rl, "catalog/runlists/rl.yaml")
    files = dataset_files(cat, ds, tmp_path)
    assert [Path(f.path).parent.name for f in files] == ["run148029", "run148029"]
    assert all(f.storage_element == "local" for f in files)
