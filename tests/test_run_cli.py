"""`wagonyard run`: a train over a dataset in one process, with a progress bar."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from controller.engine.output import read_output
from tests.reference import assert_matches, zmumu_reference

CATALOG = Path(__file__).resolve().parents[1] / "catalog"


def test_run_writes_the_merged_result_of_the_dataset(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "controller", "run", "--dataset", "cms-2010-dimuon",
         "--catalog", str(CATALOG), "-o", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2,304 events in" in done.stdout
    assert "zmumu/dimuon-mass_wide" in done.stdout  # per-wagon CPU, variants included
    histograms, provenance = read_output(tmp_path / "out" / "AnalysisResults.root")
    assert_matches(histograms, zmumu_reference())
    assert provenance["events"] == 2304


def test_run_refuses_an_unknown_wagon_or_dataset_without_a_traceback(tmp_path: Path) -> None:
    for args in (["--dataset", "nope"], ["--dataset", "hzz-mc", "--wagon", "zmumu/nope"]):
        done = subprocess.run(
            [sys.executable, "-m", "controller", "run", *args, "--catalog", str(CATALOG)],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 1
        assert "Traceback" not in done.stderr and "wagonyard: error:" in done.stderr


def test_merge_in_stages_from_the_command_line(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "controller", "run", "--dataset", "cms-2010-dimuon"]
    subprocess.run(
        [*run, "--catalog", str(CATALOG), "-o", str(tmp_path / "a")],
        check=True,
        capture_output=True,
    )
    one = str(tmp_path / "a" / "AnalysisResults.root")
    done = subprocess.run(
        [sys.executable, "-m", "controller", "merge", "-o", str(tmp_path / "m.root"),
         "--fan-in", "2", one, one, one],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "merged 3 files in 2 stage(s), 6,912 events" in done.stdout
    histograms, _ = read_output(tmp_path / "m.root")
    single, _ = read_output(Path(one))
    mass = "zmumu/dimuon-mass"
    assert (histograms[mass]["mass"].values() == 3 * single[mass]["mass"].values()).all()
