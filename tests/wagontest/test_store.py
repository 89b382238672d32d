"""`wagonyard test` from the command line: recorded on the history branch, compared with the
previous test, read back by the controller's question 'may this wagon run?'."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from controller.history import HistoryStore
from controller.wagontest.store import may_compose
from tests.gitrepo import catalog_repo, git


def wagonyard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "controller", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = catalog_repo(tmp_path / "repo")
    broken = repo / "catalog" / "analyses" / "broken"
    (broken / "wagons").mkdir(parents=True)
    (broken / "analysis.yaml").write_text(
        "name: broken\ntitle: A wagon that raises\ngroup: QA\nmembers: [qa-bot]\n"
    )
    (broken / "tasks.py").write_text(
        "from controller.engine.task import Task\n\n\n"
        "class Boom(Task):\n"
        "    columns = ('M',)\n\n"
        "    def process(self, events, out):\n"
        "        raise KeyError('no such calibration')\n"
    )
    (broken / "wagons" / "boom.yaml").write_text(
        "name: boom\ntask: tasks:Boom\nenabled:\n  - dataset: cms-2010-dimuon\n"
    )
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "catalog")
    return repo


@pytest.mark.slow
def test_recorded_results_are_compared_next_time_and_gate_composition(repo: Path) -> None:
    args = ["test", "--wagon", "zmumu/muon-kinematics", "--dataset", "cms-2010-dimuon"]
    args += ["--record", "--work", "w"]
    first = wagonyard(*args, "--json", "one.json", cwd=repo)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "| ✅ | zmumu/muon-kinematics |" in first.stdout and "| new |" in first.stdout
    store = HistoryStore(repo)
    assert next(s for _, s in store.log()).startswith("Test 1 wagon(s): all pass")
    assert may_compose(store, "cms-2010-dimuon", "zmumu/muon-kinematics")
    assert not may_compose(store, "cms-2010-dimuon", "zmumu/dimuon-mass")  # never tested
    second = wagonyard(*args, "--json", "two.json", cwd=repo)
    assert second.returncode == 0, second.stderr
    report = json.loads((repo / "two.json").read_text())
    case = next(c for c in report["datasets"][0]["cases"] if c["name"] == "zmumu/muon-kinematics")
    assert case["previous_status"] == "done" and case["previous"]["events"] == 2000
    assert "CPU " in second.stdout and " MB |" in second.stdout  # the change against last time
    assert git(repo, "status", "--porcelain").splitlines() == [
        "?? one.json",
        "?? two.json",
        "?? w/",
    ]


@pytest.mark.slow
def test_a_failing_wagon_fails_the_command_with_a_message_not_a_traceback(repo: Path) -> None:
    done = wagonyard("test", "--wagon", "broken/boom", "--record", "--work", "w", cwd=repo)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "| ❌ | broken/boom |" in done.stdout
    assert "broken/boom raised KeyError" in done.stdout
    assert "wagonyard: error:" in done.stderr and "broken/boom on cms-2010-dimuon" in done.stderr
    assert "wagonyard test --catalog" in done.stdout  # how to reproduce it
    assert not may_compose(HistoryStore(repo), "cms-2010-dimuon", "broken/boom")
