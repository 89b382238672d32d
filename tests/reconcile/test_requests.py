"""Operators' train requests (run, kill, retry), bad requests on main, and the wagons' code
taken from a git tag or from an approved pull request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from controller.engine.output import read_output
from tests.gitrepo import git
from tests.reconcile.yard import DATASET, Yard
from tests.reference import zmumu_reference

pytestmark = pytest.mark.slow

ELSEWHERE = {"WAGONYARD_LOCAL_SITE": "elsewhere"}  # the local grid starts no job of site 'local'


def _request(yard: Yard, name: str, body: str) -> None:
    yard.write(f"catalog/trains/{name}.yaml", f"name: {name}\n{body}", f"Request {name}")


def _mass(path: Path) -> np.ndarray:
    hists, _ = read_output(path)
    return np.asarray(hists["zmumu/dimuon-mass"]["mass"].values())


def test_run_kill_and_retry_requests_each_carried_out_once(tmp_path: Path) -> None:
    yard = Yard(tmp_path / "yard", cron=None)
    yard.enable("dimuon-mass")
    yard.settle()
    _request(yard, "go", f"action: run\ndataset: {DATASET}\nreason: new calibration\n")
    for _ in range(5):  # composed, tested, submitted: the jobs wait for their site
        assert yard.reconcile(env=ELSEWHERE).returncode == 0
    (record,) = yard.records().values()
    assert record.state == "submitted" and record.request == "go"
    assert yard.read("requests/go.json")["outcome"] == "carried out"

    _request(yard, "stop", f"action: kill\ntrain: {record.train_id}\nreason: wrong files\n")
    done = yard.reconcile(env=ELSEWHERE)
    assert done.returncode == 0, done.stderr
    record = yard.records()[record.train_id]
    assert record.state == "killed" and "wrong files" in record.message
    assert all(j.attempts[-1].state == "cancelled" for j in record.jobs)
    jobs = yard.home / "grid" / "jobs"
    assert all((d / "cancelled.json").exists() and not (d / "launched.json").exists()
               for d in jobs.iterdir())  # fmt: skip

    # carried out once: the next pass only tells the analysts, then nothing more happens
    notified = yard.reconcile(env=ELSEWHERE)
    assert f"train {record.train_id} killed" in notified.stdout
    tip = yard.history_tip()
    assert "nothing to do" in yard.reconcile(env=ELSEWHERE).stdout
    assert yard.history_tip() == tip
    _request(yard, "stop-again", f"action: kill\ntrain: {record.train_id}\nreason: sure\n")
    assert yard.reconcile().returncode == 0
    assert yard.read("requests/stop-again.json")["outcome"] == "refused"
    assert "already ended killed" in yard.read("requests/stop-again.json")["why"]

    _request(yard, "again", f"action: retry\ntrain: {record.train_id}\nreason: files fixed\n")
    yard.settle()
    record = yard.records()[record.train_id]
    assert record.state == "done" and record.round == 1
    assert all([(a.round, a.state) for a in j.attempts] == [(0, "cancelled"), (1, "done")]
               for j in record.jobs)  # fmt: skip
    expected = zmumu_reference()["zmumu/dimuon-mass"]["mass"]
    np.testing.assert_array_equal(_mass(yard.output(record)), expected)
    assert len(yard.records()) == 1


def test_a_bad_request_on_main_is_refused_whole_and_nothing_happens(tmp_path: Path) -> None:
    yard = Yard(tmp_path / "yard", cron=None)
    _request(yard, "broken", f"action: kill\ndataset: {DATASET}\nreason: oops\n")
    done = yard.reconcile()
    assert done.returncode == 1
    assert "main's catalog at" in done.stderr and "is not valid" in done.stderr
    assert "catalog/trains/broken.yaml" in done.stderr and "Traceback" not in done.stderr
    assert not yard.has_history()


def test_wagon_code_from_a_tag_runs_though_main_is_broken(tmp_path: Path) -> None:
    yard = Yard(tmp_path / "yard", cron="0 2 * * *")
    git(yard.analyst, "tag", "v1")
    git(yard.analyst, "push", "-q", "origin", "v1")
    tag_commit = git(yard.analyst, "rev-parse", "v1^{commit}")
    tasks = yard.analyst / "catalog" / "analyses" / "zmumu" / "tasks.py"
    tasks.write_text(tasks.read_text().replace(
        "        sel = events[events.good_pair]\n",
        "        raise RuntimeError('main is broken')\n",
    ))  # fmt: skip
    yard.commit("Break DimuonMass on main")
    yard.enable("dimuon-mass", code={"source": "tag", "tag": "v1"})
    yard.settle()
    (record,) = yard.records().values()
    assert record.state == "done", record.message
    (wagon,) = [w for w in record.wagons if w.ref == "zmumu/dimuon-mass" and not w.variant]
    assert wagon.code_commit == tag_commit
    np.testing.assert_array_equal(
        _mass(yard.output(record)), zmumu_reference()["zmumu/dimuon-mass"]["mass"]
    )


def test_a_pull_requests_code_runs_only_once_a_member_approved_it(tmp_path: Path) -> None:
    yard = Yard(tmp_path / "yard", settings={"controller": {"approvals_file": "approvals.yaml"}})
    # the pull request: its head on the remote as GitHub keeps it, refs/pull/7/head
    git(yard.analyst, "checkout", "-q", "-b", "halve")
    tasks = yard.analyst / "catalog" / "analyses" / "zmumu" / "tasks.py"
    tasks.write_text(tasks.read_text().replace(
        "out[\"mass\"].fill(mass=np.sqrt(np.clip(m2, 0, None)))",
        "out[\"mass\"].fill(mass=0.75 * np.sqrt(np.clip(m2, 0, None)))",
    ))  # fmt: skip
    git(yard.analyst, "commit", "-q", "-am", "Scale the mass")
    head = git(yard.analyst, "rev-parse", "HEAD")
    git(yard.analyst, "push", "-q", "origin", "HEAD:refs/pull/7/head")
    git(yard.analyst, "checkout", "-q", "main")
    yard.enable("dimuon-mass", code={"source": "pull-request", "pull_request": 7})

    approvals = yard.controller / "approvals.yaml"
    approvals.write_text(yaml.safe_dump([{"pull_request": 7, "by": "someone-else", "head": head}]))
    waiting = yard.reconcile()
    assert waiting.returncode == 0, waiting.stderr
    assert (
        "pull request #7" in waiting.stdout
        and "waits for the approval of a member of zmumu" in (waiting.stdout)
    )
    assert "nothing to do" in waiting.stdout  # not tested, not run

    approvals.write_text(
        yaml.safe_dump([{"pull_request": 7, "by": "zmumu-convener", "head": head}])
    )
    yard.settle()
    (record,) = yard.records().values()
    assert record.state == "done", record.message
    (wagon,) = [w for w in record.wagons if w.ref == "zmumu/dimuon-mass" and not w.variant]
    assert wagon.code_commit == head
    # the pull request's code made the histogram: a direct run of that commit gives the same
    checkout = tmp_path / "pr"
    git(yard.analyst, "worktree", "add", "-q", str(checkout), head)
    direct = tmp_path / "direct"
    done = subprocess.run(
        [sys.executable, "-m", "controller", "run", "--dataset", DATASET, "--wagon",
         "zmumu/dimuon-mass", "--catalog", str(checkout / "catalog"), "-o", str(direct)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pr_mass = _mass(yard.output(record))
    np.testing.assert_array_equal(pr_mass, _mass(direct / "AnalysisResults.root"))
    assert not np.array_equal(pr_mass, zmumu_reference()["zmumu/dimuon-mass"]["mass"])


def test_a_wagon_tested_and_recorded_in_ci_is_not_tested_again_once_merged(
    tmp_path: Path,
) -> None:
    yard = Yard(tmp_path / "yard", cron=None)
    yard.enable("dimuon-mass")
    # CI on the pull request: the wagon tests, recorded on the history branch and pushed
    done = subprocess.run(
        [sys.executable, "-m", "controller", "test", "--wagon", "zmumu/dimuon-mass",
         "--catalog", str(yard.analyst / "catalog"), "--record", "--work", str(tmp_path / "w")],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    git(yard.analyst, "push", "-q", "origin", "wagonyard/history")
    plan = yard.reconcile("--plan")
    assert plan.returncode == 0, plan.stderr
    assert "nothing to do" in plan.stdout, plan.stdout
    # a change of the analysis's code makes the recorded test stale: tested again
    tasks = yard.analyst / "catalog" / "analyses" / "zmumu" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n# a comment is a change of code too\n")
    yard.commit("Touch the code")
    again = yard.reconcile("--plan")
    assert "test cms-2010-dimuon: 1 wagon(s) enabled here, changed since its last test" in (
        again.stdout
    )


def test_a_dataset_whose_files_vanished_fails_its_train_naming_them(tmp_path: Path) -> None:
    import shutil

    from tests.reference import ZMUMU

    data = tmp_path / "data"
    data.mkdir()
    for name in ("zmumu-a.root", "zmumu-b.root"):
        shutil.copyfile(ZMUMU, data / name)
    yard = Yard(tmp_path / "yard", cron=None)
    yard.change(
        f"catalog/datasets/{DATASET}.yaml",
        lambda d: d.update(
            files=[{"paths": ["zmumu-a.root", "zmumu-b.root"], "storage_element": "local"}],
            splitting={"files_per_job": 1, "max_attempts": 2},
        ),
        "Read two copies of the events from the data directory",
    )
    yard.enable("dimuon-mass")
    env = {"WAGONYARD_DATA": str(data)}
    _request(yard, "go", f"action: run\ndataset: {DATASET}\nreason: two files\n")
    for _ in range(10):  # tested and submitted; its jobs wait for their site
        assert yard.reconcile(env={**env, **ELSEWHERE}).returncode == 0
        records = yard.records()
        if records and next(iter(records.values())).state == "submitted":
            break
    (record,) = yard.records().values()
    assert record.state == "submitted"
    (data / "zmumu-b.root").unlink()  # gone between composition and the jobs
    for _ in range(60):
        done = yard.reconcile(env=env)
        assert done.returncode == 0, done.stderr
        if "nothing to do" in done.stdout:
            break
    record = yard.records()[record.train_id]
    assert record.state == "failed", record.message
    assert "zmumu-b.root" in record.message, record.message

    _request(yard, "again", f"action: run\ndataset: {DATASET}\nreason: once more\n")
    done = yard.reconcile(env=env)
    assert done.returncode == 0, done.stderr
    (failed,) = [r for r in yard.records().values() if r.request == "again"]
    assert failed.state == "failed" and "zmumu-b.root" in failed.message, failed.message
    assert any("failed at composition" in s and "zmumu-b.root" in s for s in yard.subjects())
