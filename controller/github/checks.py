"""What a check run says: its conclusion and its output, from a report or a review check.

Pure: ``controller.github.pulls`` posts the result. A check's output is limited by GitHub to
65,535 characters per field, so long texts are cut with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from controller.github.mentions import quiet
from controller.wagontest.report import ICONS, TestReport

WAGON_TESTS = "wagonyard/wagon-tests"
REVIEWS = "wagonyard/reviews"
MAX_FIELD = 65_000

Conclusion = Literal["success", "neutral", "failure"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    conclusion: Conclusion
    title: str
    summary: str
    text: str = ""


def _cut(text: str) -> str:
    note = "\n\n*(cut: too long for a check run)*\n"
    return text if len(text) <= MAX_FIELD else text[: MAX_FIELD - len(note)] + note


def conclusion_of(report: TestReport) -> Conclusion:
    """failure if any test failed, neutral if any warned, else success."""
    statuses = {c.status for d in report.datasets for c in d.cases}
    if "failed" in statuses:
        return "failure"
    if "warning" in statuses:
        return "neutral"
    return "success"


def wagon_tests_check(report: TestReport, details: str = "") -> CheckResult:
    """The wagon-test check: one line per wagon and dataset, the cost over the baseline."""
    counts: dict[str, int] = {}
    rows = [
        "| | wagon | dataset | Δ PSS vs baseline (MB) | CPU in wagon (ms/event) | reasons |",
        "|---|---|---|---|---|---|",
    ]
    for d in report.datasets:
        for c in d.cases:
            counts[c.status] = counts.get(c.status, 0) + 1
            if c.kind != "wagon":
                continue
            f = c.figures
            rows.append(
                f"| {ICONS[c.status]} | `{c.name}` | `{d.dataset}` | "
                + (f"{c.delta.max_pss_mb:+.1f}" if c.delta else "")
                + " | "
                + (f"{f.wagon_cpu_ms_per_event:.4f}" if f else "")
                + " | "
                + "; ".join(quiet(r).replace("|", "\\|") for r in c.reasons)
                + " |"
            )
    title = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing tested"
    summary = (
        f"wagonyard test `{report.test_id}` of catalog commit `{report.catalog_commit[:10]}`: "
        f"{len(report.selected)} wagon(s) selected; {title}."
    )
    if details:
        summary += f"\n\n{details}"
    return CheckResult(
        WAGON_TESTS, conclusion_of(report), title, _cut(summary), _cut("\n".join(rows) + "\n")
    )
