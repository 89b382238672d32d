"""Memory stays flat when the dataset doubles: chunks are read, used and dropped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from controller.demodata import write_demo_data
from controller.records import FileSlice, JobReport
from tests.engine.test_job import spec


@pytest.mark.slow
def test_peak_rss_is_flat_over_a_dataset_twice_the_size(tmp_path: Path) -> None:
    files = write_demo_data(tmp_path / "data", events=1_600_000, files=8, basket=50_000)
    runs = {}
    for n in (4, 8):
        slices = [FileSlice(path=str(p)) for p in sorted(files)[:n]]
        # a fresh process for each, so that one run's peak does not hide the other's
        job = spec(tmp_path, f"n{n}", slices, step=50_000)
        spec_path = tmp_path / f"n{n}.json"
        spec_path.write_text(job.model_dump_json())
        subprocess.run(
            [sys.executable, "-m", "controller", "job", str(spec_path)], check=True, timeout=300
        )
        report = JobReport.model_validate_json((tmp_path / f"n{n}" / "report.json").read_text())
        runs[n] = report
    assert runs[8].events == 2 * runs[4].events == 1_600_000
    small, large = runs[4].max_rss_mb, runs[8].max_rss_mb
    assert large < small * 1.10 + 10, f"peak RSS grew from {small:.0f} MB to {large:.0f} MB"
