"""Trains on the grid: the same histograms on local and on a real Slurm; injected failures
(killed, failing twice, corrupt output, hung) recovered with every attempt recorded."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import signal
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml

from controller.catalog.loader import load_valid_catalog
from controller.engine.output import read_output
from controller.grid.base import JobStatus
from controller.grid.local import LocalBackend
from controller.grid.slurm import SlurmBackend
from controller.records import TrainRecord
from controller.trainrun import compose, run
from tests.reference import ZMUMU

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
REPO_CATALOG = HERE.parents[1] / "catalog"


def faulty_catalog(root: Path) -> Path:
    catalog = root / "catalog"
    shutil.copytree(REPO_CATALOG, catalog, ignore=shutil.ignore_patterns("__pycache__"))
    analysis = catalog / "analyses" / "faulty"
    (analysis / "wagons").mkdir(parents=True)
    shutil.copy(HERE / "faulty_tasks.py", analysis / "tasks.py")
    (analysis / "analysis.yaml").write_text(
        "name: faulty\ntitle: Injected faults\ngroup: QA\nmembers: [qa-bot]\n"
    )
    (analysis / "wagons" / "faulty.yaml").write_text(
        "name: faulty\ntask: tasks:Faulty\nenabled:\n  - dataset: zmumu-faulty\n"
    )
    ds = yaml.safe_load((catalog / "datasets" / "cms-2010-dimuon.yaml").read_text())
    ds.update(name="zmumu-faulty", splitting={"events_per_job": 600, "max_attempts": 3})
    ds["limits"] = {"job_timeout_s": 10}
    (catalog / "datasets" / "zmumu-faulty.yaml").write_text(yaml.safe_dump(ds))
    return catalog


class CorruptingBackend(LocalBackend):
    """The local grid, but the first output of job 3 is truncated on its way to storage."""

    def query(self, names: list[str]) -> dict[str, JobStatus]:
        states = super().query(names)
        for name, status in states.items():
            if name.endswith("-j0003-a1") and status.state == "done":
                spec = json.loads((self.jobs_dir / name / "request.json").read_text())
                output = Path(spec["request"]["workdir"]) / "AnalysisResults.root"
                if output.stat().st_size > 1000:
                    output.write_bytes(output.read_bytes()[:700])
        return states


def killer(out: Path, stop: threading.Event) -> None:
    """Kill job 0's first attempt once it is well into its work, as a node failure would:
    every process working in its directory (the job runs in a sandbox with its own PID
    namespace, so the PID it sees is not the host's)."""
    while not stop.is_set():
        found = next(out.glob("*/jobs/0000/attempt-1/started"), None)
        if found is not None:
            where = str(found.parent.resolve())
            for proc in psutil.process_iter(["cwd"]):
                if proc.info["cwd"] == where:
                    with contextlib.suppress(psutil.Error):
                        proc.send_signal(signal.SIGKILL)
            return
        time.sleep(0.1)


def test_injected_failures_are_recovered_and_every_attempt_recorded(tmp_path: Path) -> None:
    catalog = load_valid_catalog(faulty_catalog(tmp_path))
    out = tmp_path / "out"
    record, specs = compose(catalog, "zmumu-faulty", "c0ffee", tmp_path, out, "local")
    assert len(specs) == 4
    stop = threading.Event()
    thread = threading.Thread(target=killer, args=(out, stop), daemon=True)
    thread.start()
    backend = CorruptingBackend(tmp_path / "grid")
    record.settings.merge_fan_in = 2
    record = run(record, backend, poll_s=0.2)
    stop.set()
    assert record.state == "done", record.message
    attempts = {j.index: [(a.state, a.exit_code) for a in j.attempts] for j in record.jobs}
    assert attempts[0][0][0] in ("failed", "lost") and attempts[0][-1] == ("done", 0)
    assert attempts[1] == [("failed", 1), ("failed", 1), ("done", 0)]
    assert attempts[2][0] == ("failed", -9) and attempts[2][-1] == ("done", 0)
    assert attempts[3] == [("failed", 0), ("done", 0)]
    logs = {j.index: [a.log_tail for a in j.attempts] for j in record.jobs}
    assert "injected failure in job 1, attempt 1" in logs[1][0]
    assert "time limit of 10 s" in logs[2][0]
    assert "output is missing or corrupt" in logs[3][0]
    # nothing lost: the merged output counts every event once
    assert record.output is not None and record.output.events == 2304
    _, provenance = read_output(out / record.output.path)
    assert provenance["events"] == 2304
    TrainRecord.model_validate_json(record.model_dump_json())  # the record round-trips
    # merged on the grid in stages: two groups of two jobs, then the final merge
    stages = [(m.stage, m.state, m.events) for m in record.merges]
    # (a group is merged as soon as its jobs are done: the two groups may come in either order)
    assert sorted(stages[:2]) == [("group", "done", 1104), ("group", "done", 1200)]
    assert stages[2:] == [("final", "done", 2304)]
    assert all(m.attempts and m.attempts[-1].exit_code == 0 for m in record.merges)


def test_an_express_train_drops_stragglers_and_records_what_it_lost(tmp_path: Path) -> None:
    catalog_dir = faulty_catalog(tmp_path)
    ds = yaml.safe_load((catalog_dir / "datasets" / "zmumu-faulty.yaml").read_text())
    ds["limits"]["job_timeout_s"] = 60
    ds["schedule"] = {"policy": "express"}
    (catalog_dir / "datasets" / "zmumu-faulty.yaml").write_text(yaml.safe_dump(ds))
    catalog = load_valid_catalog(catalog_dir)
    out = tmp_path / "out"
    record, _specs = compose(catalog, "zmumu-faulty", "c0ffee", tmp_path, out, "local")
    assert record.settings.express
    # four jobs only: stop waiting at half done (a real train waits for 98 %)
    record.settings.express_done_fraction, record.settings.express_factor = 0.5, 2.0
    # four slots: the two stragglers do not hold up the others' queue
    record = run(record, LocalBackend(tmp_path / "grid", slots=4), poll_s=0.2)
    assert record.state == "done", record.message
    assert record.policy == "express"
    assert sorted(d.name.rsplit("-", 1)[-1] for d in record.dropped) == ["j0000", "j0002"]
    assert [j.state for j in record.jobs] == ["dropped", "done", "dropped", "done"]
    assert sum(d.events or 0 for d in record.dropped) == 1200
    assert record.events_processed == 1104
    assert record.events_lost_fraction == round(1200 / 2304, 6)
    _, provenance = read_output(out / record.output.path)  # type: ignore[union-attr]
    assert provenance["events"] == 1104


def test_a_job_failing_every_attempt_fails_the_train_with_a_record_saying_which(
    tmp_path: Path,
) -> None:
    catalog_dir = faulty_catalog(tmp_path)
    ds = yaml.safe_load((catalog_dir / "datasets" / "zmumu-faulty.yaml").read_text())
    ds["splitting"]["max_attempts"] = 2
    (catalog_dir / "datasets" / "zmumu-faulty.yaml").write_text(yaml.safe_dump(ds))
    catalog = load_valid_catalog(catalog_dir)
    out = tmp_path / "out"
    record, specs = compose(catalog, "zmumu-faulty", "c0ffee", tmp_path, out, "local")
    specs, record.jobs = specs[1:2], record.jobs[1:2]  # only job 1: it fails twice
    record = run(record, LocalBackend(tmp_path / "grid"), poll_s=0.2)
    assert record.state == "failed"
    assert record.output is None
    assert "zmumu-faulty" in record.message and "j0001 (exit 1)" in record.message
    assert [a.exit_code for a in record.jobs[0].attempts] == [1, 1]


def test_the_same_train_on_local_and_on_slurm_gives_identical_histograms(
    tmp_path: Path, slurm_conf: str
) -> None:
    catalog = load_valid_catalog(REPO_CATALOG)
    merged = {}
    for name, backend in (
        ("local", LocalBackend(tmp_path / "local-grid")),
        ("slurm", SlurmBackend(tmp_path / "slurm-grid")),
    ):
        out = tmp_path / name
        record, _specs = compose(catalog, "cms-2010-dimuon", "c0ffee", tmp_path, out, name)
        record = run(record, backend, poll_s=0.3)
        assert record.state == "done", record.message
        assert record.output is not None
        merged[name], _ = read_output(out / record.output.path)
        if name == "slurm":  # the three jobs went as one job array
            assert all(
                a.backend_id and re.fullmatch(r"\d+_\d+", a.backend_id)
                for j in record.jobs
                for a in j.attempts
            )
    assert merged["local"].keys() == merged["slurm"].keys()
    for directory, hists in merged["local"].items():
        for hname, h in hists.items():
            other = merged["slurm"][directory][hname]
            assert (h.values(flow=True) == other.values(flow=True)).all(), f"{directory}/{hname}"


def test_jobs_waiting_for_their_own_site_run_anywhere_once_locality_is_relaxed(
    tmp_path: Path,
) -> None:
    catalog_dir = tmp_path / "catalog"
    shutil.copytree(REPO_CATALOG, catalog_dir, ignore=shutil.ignore_patterns("__pycache__"))
    far = tmp_path / "far-away.root"
    shutil.copy(ZMUMU, far)
    ds = yaml.safe_load((catalog_dir / "datasets" / "cms-2010-dimuon.yaml").read_text())
    ds["files"] = [
        {"paths": ["testdata:uproot-Zmumu.root"], "storage_element": "local"},
        {"paths": [str(far)], "storage_element": "far-away"},  # a site this machine is not
    ]
    (catalog_dir / "datasets" / "cms-2010-dimuon.yaml").write_text(yaml.safe_dump(ds))
    catalog = load_valid_catalog(catalog_dir)
    out = tmp_path / "out"
    record, specs = compose(catalog, "cms-2010-dimuon", "c0ffee", tmp_path, out, "local")
    assert len(specs) == 6
    # half the jobs are at the other site: relax at half done (a real train waits for 90 %)
    record.settings.locality_done_fraction = 0.5
    record = run(record, LocalBackend(tmp_path / "grid", site="local"), poll_s=0.2)
    assert record.state == "done", record.message
    assert record.locality_relaxed_at is not None
    attempts = [(j.files[0].storage_element, [a.state for a in j.attempts]) for j in record.jobs]
    assert sorted(attempts) == [("far-away", ["moved", "done"])] * 3 + [("local", ["done"])] * 3
    assert record.events_processed == 2 * 2304  # nothing lost
