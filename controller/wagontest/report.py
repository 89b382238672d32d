"""The wagon-test report: a JSON document (schema in schema/) and a Markdown summary.

The Markdown is fit for a pull-request comment: one table per dataset with the baseline, each
wagon, the full train and the merge, status icons, the cost over the baseline and the change
against the wagon's previous test. Pure: models and text, no I/O.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from controller.records import FileSlice, WagonInTrain
from controller.wagontest.judge import Figures, Sample, Status

CaseKind = Literal["baseline", "wagon", "train", "merge"]
ICONS = {"done": "✅", "warning": "⚠️", "failed": "❌"}
MAX_SAMPLES = 200


class Delta(BaseModel):
    """A test's cost over the baseline of the same dataset."""

    model_config = ConfigDict(extra="forbid")

    cpu_ms_per_event: float
    max_pss_mb: float
    output_bytes: int


class CaseReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CaseKind
    name: str = Field(description="'baseline', 'analysis/wagon', 'full train' or 'merge'")
    dataset: str
    status: Status
    reasons: list[str] = Field(default_factory=list)
    figures: Figures | None = None
    delta: Delta | None = None
    wagons: list[WagonInTrain] = Field(default_factory=list, description="resolved configuration")
    inputs: list[FileSlice] = Field(default_factory=list)
    log: str = Field("", description="the log, capped: its head and its tail")
    log_path: str = ""
    reproduce: str = Field("", description="one command that reruns this test locally")
    previous_status: Status | None = None
    previous: Figures | None = None
    samples: list[Sample] = Field(
        default_factory=list,
        description="Memory and CPU over the test's time (the engine's metrics.json samples, "
        f"thinned to at most {MAX_SAMPLES} evenly spread): what the site plots",
    )
    version: str = Field(
        "",
        description="What the test is valid for: the wagon's declaration, its code, its "
        "dependencies and the dataset, hashed (controller.reconcile.versions); the controller "
        "tests a wagon again when this differs",
    )


def thin(samples: list[Sample], most: int | None = None) -> list[Sample]:
    """At most ``most`` samples spread evenly over the run, the first and the last kept."""
    most = most or MAX_SAMPLES
    if len(samples) <= most:
        return list(samples)
    step = (len(samples) - 1) / (most - 1)
    return [samples[round(i * step)] for i in range(most)]


def short_commit(commit: str) -> str:
    """A git hash cut to 10 digits; anything else ('working-tree') whole."""
    return commit[:10] if re.fullmatch(r"[0-9a-f]{11,64}", commit) else commit


def passed(case: CaseReport | None) -> bool:
    """Did this test pass (done, or warnings only)? What the controller composes on."""
    return case is not None and case.status in ("done", "warning")


class DatasetTests(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str
    cases: list[CaseReport]


class TestReport(BaseModel):
    """Everything one ``wagonyard test`` run found."""

    model_config = ConfigDict(extra="forbid", title="wagonyard wagon-test report")
    __test__ = False  # not a pytest test class, whatever its name

    schema_version: Literal[1] = 1
    test_id: str
    created: datetime
    catalog_commit: str
    selected: dict[str, str] = Field(description="'analysis/wagon' -> why it was tested")
    datasets: list[DatasetTests]

    def failed(self) -> list[CaseReport]:
        return [c for d in self.datasets for c in d.cases if c.status == "failed"]

    def wagon_status(self) -> dict[tuple[str, str], Status]:
        """(dataset, 'analysis/wagon') -> the status of that wagon's own test."""
        return {
            (d.dataset, c.name): c.status
            for d in self.datasets
            for c in d.cases
            if c.kind == "wagon"
        }


def _size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _change(case: CaseReport) -> str:
    if case.previous is None or case.figures is None:
        return "new" if case.kind == "wagon" else ""
    old, new = case.previous, case.figures
    bits = []
    if old.wagon_cpu_ms_per_event:
        change = new.wagon_cpu_ms_per_event / old.wagon_cpu_ms_per_event - 1
        bits.append(f"CPU {100 * change:+.0f} %")
    if old.max_pss_mb:
        bits.append(f"PSS {new.max_pss_mb - old.max_pss_mb:+.0f} MB")
    if case.previous_status and case.previous_status != case.status:
        bits.append(f"was {ICONS[case.previous_status]}")
    return ", ".join(bits)


def markdown(report: TestReport) -> str:
    """The pull-request comment."""
    failed = report.failed()
    counts: dict[str, int] = {}
    for d in report.datasets:
        for c in d.cases:
            counts[c.status] = counts.get(c.status, 0) + 1
    head = ", ".join(f"{n} {ICONS[s]} {s}" for s, n in sorted(counts.items()))
    lines = [
        f"### wagonyard test `{report.test_id}`",
        "",
        f"Catalog commit `{short_commit(report.catalog_commit)}`; {len(report.selected)} wagon(s) "
        f"selected; {head}.",
        "",
    ]
    for ref, why in sorted(report.selected.items()):
        lines.append(f"- `{ref}`: {why}")
    for d in report.datasets:
        lines += [
            "",
            f"#### dataset `{d.dataset}`",
            "",
            "| | test | max / avg PSS (MB) | Δ PSS vs baseline (MB) | CPU (ms/event) "
            "| in wagons (ms/event) | events/s | output | log (kB) | vs previous |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for c in d.cases:
            f = c.figures
            if f is None:
                cells = ["", "", "", "", "", "", "", ""]
            else:
                cells = [
                    f"{f.max_pss_mb:.0f} / {f.avg_pss_mb:.0f}",
                    f"{c.delta.max_pss_mb:+.1f}" if c.delta else "",
                    f"{f.cpu_ms_per_event:.4f}",
                    f"{f.wagon_cpu_ms_per_event:.4f}" if c.kind != "baseline" else "",
                    f"{f.events_per_s:,.0f}",
                    _size(f.output_bytes),
                    f"{f.log_bytes / 1024:.1f}",
                    _change(c),
                ]
            lines.append(f"| {ICONS[c.status]} | {c.name} | " + " | ".join(cells) + " |")
        notes = [c for c in d.cases if c.reasons]
        if notes:
            lines.append("")
            for c in notes:
                for r in c.reasons:
                    lines.append(f"- {ICONS[c.status]} **{c.name}**: {r}")
    if failed:
        lines += ["", "<details><summary>Reproduce the failures</summary>", ""]
        for c in failed:
            if c.reproduce:
                lines += [f"`{c.name}` on `{c.dataset}`:", "", f"    {c.reproduce}", ""]
        lines.append("</details>")
    return "\n".join(lines) + "\n"
