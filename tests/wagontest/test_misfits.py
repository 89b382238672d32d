"""Wagons that misbehave each get the right verdict, naming the cause; the good stay good."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from controller.catalog.loader import load_valid_catalog
from controller.wagontest.report import TestReport, markdown
from controller.wagontest.run import run_tests
from tests.catalogs import with_analysis

HERE = Path(__file__).parent

MISFITS = {
    "good": "Good",
    "raises": "Raises",
    "leaks": "Leaks",
    "burns-cpu": "BurnsCpu",
    "oversized": "Oversized",
    "chatty": "Chatty",
    "hangs": "Hangs",
    "unmergeable": "Unmergeable",
}


def make_catalog(root: Path) -> Path:
    """The example catalog plus an analysis of misfit wagons on a dataset of tight limits."""
    limits = {"memory_mb": 250, "cpu_ms_per_event": 0.2, "output_mb": 1.0, "log_kb": 64,
              "test_timeout_s": 20}  # fmt: skip
    return with_analysis(
        root, "misfits", HERE / "misfits_tasks.py", MISFITS, "zmumu-tight",
        test_sample={"files": 1, "events": 2000}, limits=limits,
    )  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> TestReport:
    root = tmp_path_factory.mktemp("misfits")
    catalog = load_valid_catalog(make_catalog(root))
    selected = {f"misfits/{n}": "named" for n in MISFITS}
    return run_tests(catalog, selected, root / "data", root / "work", "c0ffee")


def case(report: TestReport, name: str):  # type: ignore[no-untyped-def]
    (tests,) = report.datasets
    return next(c for c in tests.cases if c.name == name)


@pytest.mark.slow
def test_the_good_wagon_and_the_baseline_are_done(report: TestReport) -> None:
    assert case(report, "baseline").status == "done"
    good = case(report, "misfits/good")
    assert good.status == "done", good.reasons
    assert good.figures and good.figures.events == 2000
    assert good.delta is not None
    assert "wagonyard test" in good.reproduce and "--wagon misfits/good" in good.reproduce


@pytest.mark.slow
def test_an_exception_fails_the_wagon_and_names_the_cause(report: TestReport) -> None:
    c = case(report, "misfits/raises")
    assert c.status == "failed"
    assert "misfits/raises raised RuntimeError: the calibration table is missing" in c.reasons[0]
    assert "Traceback" not in c.reasons[0]


@pytest.mark.slow
def test_a_leak_warns(report: TestReport) -> None:
    c = case(report, "misfits/leaks")
    assert c.status == "warning"
    assert any("possible memory leak" in r for r in c.reasons), c.reasons
    assert any(r.startswith("memory: max PSS") for r in c.reasons), c.reasons
    assert c.figures and c.figures.pss_slope_kb_per_event > 1


@pytest.mark.slow
def test_cpu_over_the_limit_warns(report: TestReport) -> None:
    c = case(report, "misfits/burns-cpu")
    assert c.status == "warning"
    assert any(r.startswith("CPU:") for r in c.reasons), c.reasons


@pytest.mark.slow
def test_an_oversized_output_warns(report: TestReport) -> None:
    c = case(report, "misfits/oversized")
    assert c.status == "warning"
    assert any(r.startswith("output:") for r in c.reasons), c.reasons


@pytest.mark.slow
def test_a_log_too_large_warns_and_is_kept_head_and_tail(report: TestReport) -> None:
    c = case(report, "misfits/chatty")
    assert c.status == "warning"
    assert any(r.startswith("log:") for r in c.reasons), c.reasons
    assert c.figures and c.figures.log_bytes > 64 * 1024
    assert "bytes of the log left out" in c.log and len(c.log) < 12_000


@pytest.mark.slow
def test_a_hung_wagon_times_out(report: TestReport) -> None:
    c = case(report, "misfits/hangs")
    assert c.status == "failed"
    assert c.reasons[0].startswith("timeout: still running after 20 s")


@pytest.mark.slow
def test_outputs_that_do_not_merge_fail_that_wagon_only(report: TestReport) -> None:
    c = case(report, "misfits/unmergeable")
    assert c.status == "failed"
    assert any("outputs do not merge" in r and "mismatched binning" in r for r in c.reasons)
    merge = case(report, "merge")
    assert merge.status == "failed"
    assert [r.split(":")[0] for r in merge.reasons] == ["misfits/unmergeable"]


@pytest.mark.slow
def test_bad_wagons_never_mark_the_others_failed(report: TestReport) -> None:
    statuses = {c.name: c.status for c in report.datasets[0].cases if c.kind == "wagon"}
    assert statuses == {
        "misfits/good": "done",
        "misfits/raises": "failed",
        "misfits/leaks": "warning",
        "misfits/burns-cpu": "warning",
        "misfits/oversized": "warning",
        "misfits/chatty": "warning",
        "misfits/hangs": "failed",
        "misfits/unmergeable": "failed",
    }
    assert case(report, "full train").status == "failed"


@pytest.mark.slow
def test_the_markdown_summary_has_a_row_per_test_with_icons(report: TestReport) -> None:
    text = markdown(report)
    assert "#### dataset `zmumu-tight`" in text
    for name in ["baseline", *(f"misfits/{n}" for n in MISFITS), "full train", "merge"]:
        assert f"| {name} |" in text
    assert "| ❌ | misfits/raises |" in text and "| ✅ | misfits/good |" in text


@pytest.mark.slow
def test_the_report_validates_against_its_schema(report: TestReport) -> None:
    schema = json.loads((HERE.parents[1] / "schema" / "wagon-test-report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(report.model_dump_json()))
