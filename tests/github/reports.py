"""Wagon-test reports for the GitHub tests, with realistic figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from controller.wagontest.judge import Figures
from controller.wagontest.report import CaseReport, DatasetTests, Delta, TestReport

HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def _figures(pss: float, cpu: float) -> Figures:
    return Figures(
        events=20_000,
        max_pss_mb=pss,
        avg_pss_mb=pss - 12,
        cpu_ms_per_event=cpu + 0.011,
        wagon_cpu_ms_per_event=cpu,
        events_per_s=1000 / (cpu + 0.011),
        output_bytes=48_213,
        log_bytes=2_310,
    )


def report(status: str = "done", reason: str = "") -> TestReport:
    """A test of zmumu/mass on cms-2010-dimuon whose wagon test ended in ``status``."""
    wagon = CaseReport(
        kind="wagon",
        name="zmumu/mass",
        dataset="cms-2010-dimuon",
        status=status,  # type: ignore[arg-type]
        reasons=[reason] if reason else [],
        figures=_figures(161.0, 0.0412),
        delta=Delta(cpu_ms_per_event=0.0412, max_pss_mb=18.4, output_bytes=48_213),
        reproduce="wagonyard test --wagon zmumu/mass --dataset cms-2010-dimuon",
    )
    cases = [
        CaseReport(
            kind="baseline",
            name="baseline",
            dataset="cms-2010-dimuon",
            status="done",
            figures=_figures(142.6, 0.0),
        ),
        wagon,
        CaseReport(
            kind="train",
            name="full train",
            dataset="cms-2010-dimuon",
            status=status,  # type: ignore[arg-type]
            figures=_figures(163.2, 0.0431),
        ),
    ]
    return TestReport(
        test_id="t-20261128-0901",
        created=datetime(2026, 11, 28, 9, 1, tzinfo=UTC),
        catalog_commit=HEAD,
        selected={"zmumu/mass": "its wagon file changed"},
        datasets=[DatasetTests(dataset="cms-2010-dimuon", cases=cases)],
    )


def write(path: Path, data: TestReport | dict[str, object]) -> Path:
    text = data.model_dump_json() if isinstance(data, TestReport) else json.dumps(data)
    path.write_text(text, encoding="utf-8")
    return path
