"""Keep wagon-test results on the history branch, where the controller and the site read them.

Each run: ``wagon-tests/<test_id>/report.json`` and ``summary.md``; each case's newest result
also at ``wagon-tests/latest/<dataset>/<name>.json`` (its git log is the test history). The
controller composes only wagons whose latest test there is done or warning. Adapter over
``HistoryStore``.
"""

from __future__ import annotations

from controller.history import HistoryStore
from controller.wagontest.report import CaseReport, TestReport, markdown, passed

PREFIX = "wagon-tests"


def _latest_path(dataset: str, name: str) -> str:
    return f"{PREFIX}/latest/{dataset}/{name.replace(' ', '-')}.json"


def previous_case(store: HistoryStore, dataset: str, name: str) -> CaseReport | None:
    data = store.read(_latest_path(dataset, name))
    return CaseReport.model_validate_json(data) if data else None


def record_tests(store: HistoryStore, report: TestReport) -> str:
    """Commit the report, its summary and each case as the latest; return the commit."""
    files, subject = test_files(report)
    return store.commit(files, subject)


def test_files(report: TestReport) -> tuple[dict[str, bytes], str]:
    """The files recording a test run on the history branch, and the commit's subject."""
    files = {
        f"{PREFIX}/{report.test_id}/report.json": report.model_dump_json(indent=1).encode() + b"\n",
        f"{PREFIX}/{report.test_id}/summary.md": markdown(report).encode(),
    }
    for d in report.datasets:
        for case in d.cases:
            if case.kind in ("wagon", "train"):
                slim = case.model_copy(update={"log": case.log[-2000:]})
                files[_latest_path(d.dataset, case.name)] = (
                    slim.model_dump_json(indent=1).encode() + b"\n"
                )
    failed = len(report.failed())
    subject = f"Test {len(report.selected)} wagon(s): " + (
        f"{failed} failed" if failed else "all pass"
    )
    return files, f"{subject} ({report.test_id})"


def may_compose(store: HistoryStore, dataset: str, ref: str) -> bool:
    """May the controller compose this wagon: is its latest test done or warning-only?"""
    return passed(previous_case(store, dataset, ref))
