"""``wagonyard demo`` end to end: real events, real local grid, real git, a real site."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from controller.engine.output import read_output
from tests.browser import CHROMIUM, chromium
from tests.gitrepo import git
from tests.reference import assert_matches, hzz_reference, zmumu_reference
from tests.sitegen.helpers import read_page

RECORD_SCHEMA = json.loads(
    (Path(__file__).parents[1] / "schema" / "train-record.schema.json").read_text()
)


def run_demo(cwd: Path, *args: str) -> str:
    """``wagonyard demo ARGS`` in ``cwd`` as a user runs it (no input); what it said."""
    done = subprocess.run(
        [sys.executable, "-m", "controller", "demo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("demo")
    return cwd / "yard", run_demo(cwd, "--workdir", "yard")  # relative, as a user types it


@pytest.mark.slow
def test_demo_merges_histograms_equal_to_an_independent_computation(demo: tuple[Path, str]) -> None:
    workdir, output = demo
    assert "Traceback" not in output
    merged = sorted(workdir.glob("outputs/*/AnalysisResults.root"))
    assert len(merged) == 2, output
    assert re.search(r"train cms-2010-dimuon-\S+: done, 2,304 events", output), output
    zmumu = next(p for p in merged if p.parent.name.startswith("cms-2010-dimuon"))
    hzz = next(p for p in merged if p.parent.name.startswith("hzz-mc"))
    for path, reference, events in ((zmumu, zmumu_reference(), 2304), (hzz, hzz_reference(), 2421)):
        histograms, provenance = read_output(path)
        bins = assert_matches(histograms, reference)
        assert bins > 100
        assert provenance["events"] == events
        assert len(provenance["merged_from"]) >= 3  # the train really ran as several jobs
        assert str(path) in output


@pytest.mark.slow
def test_demo_records_each_train_on_the_history_branch_and_pushes_it(
    demo: tuple[Path, str],
) -> None:
    workdir, _ = demo
    repo = workdir / "repo"
    subjects = git(repo, "log", "--format=%s", "wagonyard/history").splitlines()
    # the controller tested the wagons of both datasets, then composed, tested, ran, merged
    assert sum(s.startswith("wagon test on ") for s in subjects) == 2, subjects
    assert sum(" composed on " in s for s in subjects) == 2
    assert sum(": train test passed; 3 jobs submitted to local" in s for s in subjects) == 2
    assert sum(": done: " in s for s in subjects) == 2
    assert git(repo, "branch", "--show-current") == "main"
    assert git(repo, "log", "--format=%s", "main").splitlines() == [
        "Request demo trains on cms-2010-dimuon, hzz-mc",
        "Import the example catalog",
    ]
    origin = workdir / "origin.git"
    assert git(origin, "rev-parse", "wagonyard/history") == git(
        repo, "rev-parse", "wagonyard/history"
    )
    names = git(repo, "ls-tree", "-r", "--name-only", "wagonyard/history", "trains").splitlines()
    assert len(names) == 2
    for name in names:
        record = json.loads(git(repo, "show", f"wagonyard/history:{name}"))
        jsonschema.Draft202012Validator(RECORD_SCHEMA).validate(record)
        assert record["state"] == "done"
        assert record["catalog_commit"] == git(repo, "rev-parse", "main")
        output = workdir / "outputs" / record["output"]["path"]
        assert hashlib.sha256(output.read_bytes()).hexdigest() == record["output"]["sha256"]
        assert record["output"]["events"] == sum(j["report"]["events"] for j in record["jobs"])
        assert all(j["state"] == "done" and j["attempts"] for j in record["jobs"])


@pytest.mark.slow
def test_demo_builds_a_site_with_a_dashboard_and_train_pages(demo: tuple[Path, str]) -> None:
    workdir, output = demo
    index = workdir / "site" / "index.html"
    assert str(index.resolve()) in output
    html = index.read_text()
    trains = sorted((workdir / "site" / "trains").glob("*.html"))
    train_pages = [t for t in trains if t.name != "index.html"]
    assert len(train_pages) >= 2
    for page in train_pages:
        assert page.stem in html or page.name in html
        # the histograms the page draws (train.js), as SVG in its data
        found = re.search(r'<script type="application/json" id="train-data">(.*?)</script>',
                          page.read_text())  # fmt: skip
        assert found is not None, page
        wagons = json.loads(found.group(1))["output"]["wagons"]
        assert any(h["svg"].startswith("<svg") for _, drawn in wagons for h in drawn), page


@pytest.mark.slow
@pytest.mark.chromium
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium at /usr/bin/chromium or on PATH")
def test_the_demo_site_opens_in_a_real_browser(demo: tuple[Path, str], tmp_path: Path) -> None:
    workdir, _ = demo
    index = read_page(chromium(tmp_path, "--dump-dom", (workdir / "site" / "index.html").as_uri()))
    assert index.title.startswith("Dashboard") and index.h1 == ["Dashboard"]
    train = next(p for p in (workdir / "site" / "trains").glob("cms-2010-dimuon-*.html"))
    page = read_page(chromium(tmp_path, "--dump-dom", train.as_uri()))
    assert page.h1 and page.h1[0].startswith("Train cms-2010-dimuon-")
    plotted = [svg for svg in page.svgs if any(d for _, d in svg.paths)]
    assert len(plotted) >= 5  # mass, mass_wide, pt, eta, phi


@pytest.mark.slow
def test_demo_runs_again_in_the_same_workdir_keeping_what_was_there_now_on_xrootd(
    demo: tuple[Path, str],
) -> None:
    """A second demo in the same working directory keeps the first one's history and outputs;
    this one runs with ``--storage xrootd``: real XRootD servers, two sites, output on storage."""
    import shutil

    if shutil.which("xrootd") is None:
        pytest.fail("Debian's xrootd-server is not installed (bash scripts/install.sh --test)")
    workdir, _ = demo
    output = run_demo(
        workdir.parent, "--workdir", str(workdir), "--dataset", "hzz-mc", "--storage", "xrootd"
    )
    subjects = git(workdir / "repo", "log", "--format=%s", "wagonyard/history").splitlines()
    assert sum(" composed on " in s for s in subjects) == 3
    outputs = sorted(
        workdir.glob("outputs/*/AnalysisResults.root"), key=lambda p: p.stat().st_mtime
    )
    assert len(outputs) == 3
    merged = outputs[-1]  # the new hzz-mc train's, read from XRootD
    assert merged.parent.name.startswith("hzz-mc") and str(merged) in output
    assert_matches(read_output(merged)[0], hzz_reference())
    base = Path(output.split("XRootD storage elements se-a and se-b serve ")[1].split("/se-*")[0])
    stored = base / "se-b" / "data" / "trains" / merged.parent.name / "AnalysisResults.root"
    assert stored.read_bytes() == merged.read_bytes()
    assert "(checksum verified)" in output and "root://127.0.0.1:" in output
    assert not list(base.glob("*/xrootd.pid"))  # the servers were stopped
    record = json.loads(
        git(workdir / "repo", "show", f"wagonyard/history:trains/{merged.parent.name}/record.json")
    )
    assert record["output"]["url"].endswith(f"//trains/{merged.parent.name}/AnalysisResults.root")
    read = [j["report"]["replicas_read"][0]["storage_element"] for j in record["jobs"]]
    sites = [j["attempts"][-1]["site"] for j in record["jobs"]]
    # each job read the copy at the site it ran at
    assert [f"site-{se[-1]}" for se in read] == sites and set(sites) <= {"site-a", "site-b"}
