"""End to end: an analyst's commit on main becomes a tested wagon, a train, a merged result.

Real git with a bare remote, the real `wagonyard reconcile` in a process per pass, the real
local grid (and the real Slurm), the real CMS events, a real SMTP server.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from controller.engine.output import read_output
from tests.reconcile.conftest import Inbox
from tests.reconcile.yard import DATASET, Yard

pytestmark = pytest.mark.slow


def _direct_run(yard: Yard, tmp_path: Path) -> dict[str, dict[str, np.ndarray]]:
    """The same wagons run directly with ``wagonyard run`` over the same catalog."""
    out = tmp_path / "direct"
    done = subprocess.run(
        [sys.executable, "-m", "controller", "run", "--dataset", DATASET,
         "--wagon", "zmumu/dimuon-mass", "--catalog", str(yard.analyst / "catalog"),
         "-o", str(out)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    histograms, _ = read_output(out / "AnalysisResults.root")
    return {d: {n: h.values(flow=True) for n, h in hs.items()} for d, hs in histograms.items()}


def _flow(yard: Yard, smtp: Inbox, tmp_path: Path) -> None:
    # nothing is enabled yet: the cron is due but no wagon is ready, and nothing is committed
    first = yard.reconcile()
    assert first.returncode == 0, first.stderr
    assert "0 wagon(s) ready of min_wagons 1" in first.stdout
    assert "nothing to do" in first.stdout
    assert not yard.has_history()

    main = yard.enable("dimuon-mass")  # the analyst's merged pull request
    plan = yard.reconcile("--plan")
    assert plan.returncode == 0, plan.stderr
    assert "test cms-2010-dimuon: 1 wagon(s) enabled here, no test yet: zmumu/dimuon-mass" in (
        plan.stdout
    )
    assert not yard.has_history()  # --plan changes nothing

    yard.settle()
    subjects = yard.subjects()
    records = yard.records()
    assert len(records) == 1, subjects
    (record,) = records.values()
    tid = record.train_id
    story = [s for s in subjects if "lease" not in s]
    expected = [
        "wagon test on cms-2010-dimuon: zmumu/dimuon-mass done",
        f"train {tid}: composed on cms-2010-dimuon with 1 wagon(s), 3 jobs",
        f"train {tid}: testing: the full train and the merge on the test sample",
        f"train {tid}: train test passed; 3 jobs submitted to {record.backend}",
    ]
    assert story[: len(expected)] == expected, subjects
    assert f"train {tid}: done: 2,304 events" in story
    assert story[-1].startswith("notify ") and f"train {tid} done" in story[-1]
    assert record.state == "done" and record.catalog_commit == main
    assert record.trigger.startswith("dataset cms-2010-dimuon: 1 wagon(s) tested done")
    assert "cron 0 2 * * * due at 2026-11-28 02:00" in record.trigger
    assert {w.ref for w in record.wagons} == {"zmumu/muon-selection", "zmumu/dimuon-mass"}
    assert all(w.version for w in record.wagons if w.enabled)
    assert record.test is not None and record.test.status == "done"

    # the merged histograms equal a direct run of the same wagons
    merged, _ = read_output(yard.output(record))
    direct = _direct_run(yard, tmp_path)
    assert set(merged) == set(direct)
    for directory, hists in direct.items():
        for name, values in hists.items():
            np.testing.assert_array_equal(merged[directory][name].values(flow=True), values)

    # the members and the notify addresses got an e-mail with the result and the output's path
    (mail,) = [m for m in smtp.messages if tid in str(m["Subject"])]
    assert "alice-analyst@users.noreply.github.com" in str(mail["To"])
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert "ended: done" in body and str(yard.output(record)) in body
    assert f"https://trains.example.org/trains/{tid}.html" in body

    # idempotent: the next pass has nothing to do and commits nothing
    tip = yard.history_tip()
    again = yard.reconcile()
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout
    assert yard.history_tip() == tip

    # the operator's views
    status = subprocess.run(
        [sys.executable, "-m", "controller", "status", "--repo", str(yard.controller)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert status.returncode == 0 and tid in status.stdout and "done" in status.stdout
    history = subprocess.run(
        [sys.executable, "-m", "controller", "history", tid, "--repo", str(yard.controller)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert history.returncode == 0
    assert "composed on cms-2010-dimuon" in history.stdout and "done: 2,304" in history.stdout


def _settings(smtp: Inbox) -> dict[str, dict[str, object]]:
    return {
        "notifications": {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "site_url": "https://trains.example.org",
        }
    }


def test_a_commit_enabling_a_wagon_flows_to_a_merged_train_on_the_local_grid(
    tmp_path: Path, smtp: Inbox
) -> None:
    yard = Yard(tmp_path / "yard", settings=_settings(smtp))
    _flow(yard, smtp, tmp_path)
    # the local grid's own accounting: every attempt recorded was submitted exactly once
    (record,) = yard.records().values()
    recorded = {f"{u.name}-a{a.number}" for u in (*record.jobs, *record.merges) for a in u.attempts}
    submitted = {p.name for p in (yard.home / "grid" / "jobs").iterdir()}
    assert recorded == submitted


def test_the_same_flow_on_the_real_slurm(tmp_path: Path, smtp: Inbox, slurm_conf: str) -> None:
    yard = Yard(tmp_path / "yard", backend="slurm", settings=_settings(smtp))
    _flow(yard, smtp, tmp_path)
