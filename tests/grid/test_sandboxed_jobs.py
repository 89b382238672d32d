"""Grid jobs run their wagons in the sandbox too: no secret, nothing left running, nothing
written outside the job's own directory, and the train's result is still right."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from controller.catalog.loader import load_valid_catalog
from controller.engine.output import read_output
from controller.grid.local import LocalBackend
from controller.trainrun import compose, run
from tests.catalogs import with_analysis
from tests.wagontest.sandbox_tasks import TOKEN
from tests.wagontest.test_sandbox import leftovers

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
WAGONS = {
    "good": "Good",
    "leaves": "LeavesAChild",
    "writes": "WritesFiles",
    "env": "PrintsItsEnvironment",
}


def test_a_train_of_hostile_wagons_on_the_local_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    tasks = HERE.parent / "wagontest" / "sandbox_tasks.py"
    free = {"splitting": {"events_per_job": 800}}
    catalog_dir = with_analysis(tmp_path, "hostile", tasks, WAGONS, "hzz-free", **free)
    catalog = load_valid_catalog(catalog_dir)
    out = tmp_path / "out"
    record, _specs = compose(catalog, "hzz-free", "c0ffee", tmp_path, out, "local")
    record.settings.max_attempts, record.settings.time_limit_s = 1, 120
    record = run(record, LocalBackend(tmp_path / "grid"), poll_s=0.2)
    assert record.state == "done", record.model_dump_json(indent=1)[-3000:]
    assert record.events_processed == 2304
    assert record.versions["numpy"] == np.__version__  # every job agreed: one version
    histograms, _ = read_output(out / record.train_id / "AnalysisResults.root")
    good, writes = (histograms[f"hostile/{w}"]["m"].sum(flow=True) for w in ("good", "writes"))
    assert good == writes == 2304
    assert leftovers() == []
    assert not list(catalog_dir.rglob("planted.txt"))
    assert not (tmp_path / "home" / "planted.txt").exists()
    logs = [p.read_text() for p in (tmp_path / "grid").rglob("log")]
    assert logs and any("environment: [" in text for text in logs)
    for text in (t for t in logs if "environment: [" in t):  # cleared: the job never had it
        seen = text.split("environment: ", 1)[-1].split("\n", 1)[0]
        assert "GITHUB_TOKEN" not in seen and seen.endswith("; token None"), seen
    tails = [a.log_tail for job in record.jobs for a in job.attempts]
    assert any("the token, known some other way: ***" in t for t in tails), tails
    assert not any(TOKEN in t for t in tails)  # what it printed is masked in the record
    assert os.environ["GITHUB_TOKEN"] == TOKEN
