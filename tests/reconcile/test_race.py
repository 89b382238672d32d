"""Two controllers on one repository (two clones of its remote, one shared grid), racing.

Both run ``wagonyard reconcile --watch`` at once while an analyst enables a wagon and an
operator asks for a train. The history branch's compare-and-swap and the lease recorded
there let exactly one of them act: one train per composition, every job submitted once.

"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.reconcile.yard import DATASET, NOW, Yard

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _watch(yard: Yard, clone: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "controller", "reconcile", "--watch", "--interval", "0.3",
         "--repo", str(yard.controllers[clone]), "--now", NOW],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_two_controllers_compose_each_train_once_and_submit_each_job_once(tmp_path: Path) -> None:
    yard = Yard(tmp_path / "yard", clones=2)
    racers = [_watch(yard, 0), _watch(yard, 1)]
    try:
        yard.enable("dimuon-mass")
        _request(yard, "first")
        _wait_for(yard, 1)
        # a second composition: the wagon changes (tested again) and another train is asked for
        yard.change(
            "catalog/analyses/zmumu/wagons/dimuon-mass.yaml",
            lambda w: w["config"].update(bins=30),
            "Coarser mass bins",
        )
        _request(yard, "second")
        _wait_for(yard, 2)
        time.sleep(2)  # a few more passes of both: nothing more may happen
    finally:
        for racer in racers:
            racer.send_signal(signal.SIGTERM)
        outputs = [racer.communicate(timeout=300)[0] for racer in racers]
    assert [r.returncode for r in racers] == [0, 0], outputs
    assert all("stopped between two passes" in out for out in outputs)

    records = yard.records()
    subjects = yard.subjects()
    composed = [s for s in subjects if "composed on" in s]
    # two compositions (each request's train is also the cron's: due at 02:00, composed
    # after), each made by one controller, once
    assert len(records) == len(composed) == 2, subjects
    assert sorted(str(r.request) for r in records.values()) == ["first", "second"]
    assert all(r.state == "done" for r in records.values()), subjects
    tests = [s for s in subjects if s.startswith("wagon test on")]
    assert len(tests) == 2, subjects  # each version of the wagon tested once, by one of them
    # every recorded attempt submitted exactly once on the shared grid, and nothing else
    recorded = Counter(
        f"{u.name}-a{a.number}"
        for r in records.values()
        for u in (*r.jobs, *r.merges)
        for a in u.attempts
    )
    assert set(recorded.values()) == {1}
    submitted = {p.name for p in (yard.home / "grid" / "jobs").iterdir()}
    assert submitted == set(recorded)
    # they did race: one found the other's lease, or lost a compare-and-swap and read again
    assert any("holds the lease" in out or "moved meanwhile" in out for out in outputs), outputs


def _request(yard: Yard, name: str) -> None:
    yard.write(
        f"catalog/trains/{name}.yaml",
        f"name: {name}\naction: run\ndataset: {DATASET}\nreason: race {name}\n",
        f"Request train {name}",
    )


def _wait_for(yard: Yard, trains: int) -> None:
    """Until ``trains`` trains are done and notified."""
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        records = yard.records() if "wagonyard/history" in _branches(yard) else {}
        ended = [r for r in records.values() if r.state == "done"]
        notices = _notices(yard)
        if len(ended) == trains and all(f"train/{r.train_id}" in notices for r in ended):
            return
        time.sleep(1)
    raise AssertionError(f"{trains} train(s) did not end in time")


def _branches(yard: Yard) -> str:
    return subprocess.run(
        ["git", "-C", str(yard.origin), "branch", "--list"], capture_output=True, text=True
    ).stdout


def _ls(yard: Yard, prefix: str) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(yard.origin), "ls-tree", "-r", "--name-only", "wagonyard/history",
         prefix],
        capture_output=True, text=True, env={**os.environ},
    ).stdout  # fmt: skip
    return out.splitlines()


def _notices(yard: Yard) -> set[str]:
    return {
        p.removeprefix("notifications/").removesuffix(".json") for p in _ls(yard, "notifications")
    }


def _requests(yard: Yard) -> set[str]:
    return {p.removeprefix("requests/").removesuffix(".json") for p in _ls(yard, "requests")}
