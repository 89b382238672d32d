"""The controller killed with SIGKILL at each lifecycle step in turn, then restarted.

A train is asked for by a request; the pass that reaches a step dies right after the step's
commit (before it acts on the grid), the next pass is a new controller that carries on, until
it dies at the next step. Then: no job submitted twice (in the backend's own accounting), no
record lost, and the histograms of a train never killed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from controller.engine.output import read_output
from controller.records import TrainRecord
from tests.reconcile.yard import DATASET, Yard
from tests.reference import zmumu_reference

pytestmark = pytest.mark.slow

STEPS = ["composed on", "testing:", "jobs submitted", "running", "merging", "done:", "notify"]


def _crash_at_each_step(yard: Yard, name: str) -> list[str]:
    """Request a train and kill the controller after each step in turn; the steps it died at."""
    yard.write(
        f"catalog/trains/{name}.yaml",
        f"name: {name}\naction: run\ndataset: {DATASET}\nreason: killed at every step\n",
        f"Request a train: {name}",
    )
    died = []
    for step in STEPS:
        for _ in range(60):
            done = yard.reconcile(env={"WAGONYARD_FAULT_AFTER_COMMIT": step})
            if done.returncode == -signal.SIGKILL:
                died.append(step)
                break
            assert done.returncode == 0, done.stdout + done.stderr
            time.sleep(0.2)
    yard.settle()
    return died


def _histograms(path: Path) -> dict[str, np.ndarray]:
    hists, _ = read_output(path)
    return {f"{d}/{n}": h.values(flow=True) for d, hs in hists.items() for n, h in hs.items()}


def _check(yard: Yard, names: list[str], submissions: dict[str, int]) -> None:
    records = yard.records()
    by_request = {r.request: r for r in records.values()}
    assert sorted(by_request) == sorted(names)  # one train per request, none lost
    reference = None
    for name in names:
        record: TrainRecord = by_request[name]
        assert record.state == "done", (name, record.message)
        assert yard.read(f"requests/{name}.json")["outcome"] == "carried out"
        yard.read(f"notifications/train/{record.train_id}.json")
        attempts = [
            f"{u.name}-a{a.number}" for u in (*record.jobs, *record.merges) for a in u.attempts
        ]
        assert all(len(u.attempts) == 1 for u in (*record.jobs, *record.merges)), name
        for attempt in attempts:
            assert submissions.get(attempt) == 1, (name, attempt, submissions.get(attempt))
        hists = _histograms(yard.output(record))
        reference = reference or hists
        assert hists.keys() == reference.keys()
        for key, values in reference.items():
            np.testing.assert_array_equal(hists[key], values)


def _local_submissions(yard: Yard) -> dict[str, int]:
    """The local grid's accounting: a job directory per submitted name, launched once."""
    counts = {}
    for job in (yard.home / "grid" / "jobs").iterdir():
        launched = job / "launched.json"
        counts[job.name] = 1 if launched.exists() else 0
    return counts


def _slurm_submissions(yard: Yard) -> dict[str, int]:
    """Slurm's accounting (sacct): how many times each job name was submitted."""
    out = subprocess.run(
        ["sacct", "-c", "-n", "-P", "-o", "jobid,jobname"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    arrays = yard.home / "grid" / "arrays"
    counts: dict[str, int] = {}
    seen_arrays: set[str] = set()
    for line in out.splitlines():
        job_id, _, name = line.partition("|")
        base = job_id.split("_", 1)[0]
        if "+" in name:  # one of our job arrays: its tasks' names are in its table
            table = arrays / f"{name}.json"
            if not table.exists() or base in seen_arrays:
                continue
            seen_arrays.add(base)
            data = json.loads(table.read_text())
            if str(data["array_id"]) != base:
                continue
            for task in data["names"]:
                counts[task] = counts.get(task, 0) + 1
        else:
            counts[name] = counts.get(name, 0) + 1
    return counts


def test_killed_at_each_step_the_local_train_ends_the_same_with_nothing_twice(
    tmp_path: Path,
) -> None:
    yard = Yard(tmp_path / "yard", cron=None)
    yard.enable("dimuon-mass")
    yard.settle()  # the wagon test
    _request(yard, "calm")  # a train never killed: the reference
    yard.settle()
    assert _crash_at_each_step(yard, "crash") == STEPS
    _check(yard, ["calm", "crash"], _local_submissions(yard))


def test_killed_at_each_step_on_slurm_nothing_is_submitted_twice(
    tmp_path: Path, slurm_conf: str
) -> None:
    yard = Yard(tmp_path / "yard", backend="slurm", cron=None)
    yard.enable("dimuon-mass")
    yard.settle()
    assert _crash_at_each_step(yard, "crash") == STEPS
    _check(yard, ["crash"], _slurm_submissions(yard))
    (record,) = yard.records().values()
    hists, _ = read_output(yard.output(record))
    expected = zmumu_reference()["zmumu/dimuon-mass"]["mass"]
    np.testing.assert_array_equal(hists["zmumu/dimuon-mass"]["mass"].values(), expected)


def _request(yard: Yard, name: str) -> None:
    yard.write(
        f"catalog/trains/{name}.yaml",
        f"name: {name}\naction: run\ndataset: {DATASET}\nreason: a train\n",
        f"Request a train: {name}",
    )
