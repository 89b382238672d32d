"""One train's page as data: its per-wagon usage (CPU from the jobs, memory from each wagon's
test, bytes from the output file), variants side by side, the comparison with the previous
train on the dataset, how many attempts moved when locality was relaxed, the totals of its
jobs. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from controller.records import TrainRecord
from controller.sitegen.model import (
    Comparison,
    Download,
    Hist1D,
    JobTotals,
    TrainBrief,
    TrainOutput,
    TrainPage,
    TrainSummary,
    UsageRow,
    VariantRow,
    WagonMemory,
    wagon_refs,
)
from controller.sitegen.traindata import RECORD, Shown, shown


def usage_rows(
    record: TrainRecord,
    output: TrainOutput,
    cpu_limit_ms: float | None,
    tests: Mapping[tuple[str, str], Sequence[WagonMemory]],
) -> tuple[UsageRow, ...]:
    """Each wagon directory's CPU (from the jobs), memory (from its test) and bytes in the
    output file."""
    in_file = {w.directory: w.file_bytes for w in output.wagons} if not output.problem else {}
    wagons = {w.directory: w for w in record.wagons}
    rows = []
    for u in record.wagon_usage:
        per_event = 1000.0 * u.cpu_s / u.events if u.events else None
        over = per_event is not None and cpu_limit_ms is not None and per_event > cpu_limit_ms
        w = wagons.get(u.directory)
        ref = w.ref if w else u.directory
        pss = rss = None
        for t in tests.get((record.dataset, ref), ()):
            if w is None or not w.version or t.version == w.version:
                pss, rss = t.pss_mb, t.rss_mb
                break
        rows.append(
            UsageRow(
                u.directory,
                ref,
                w.variant if w else None,
                u.cpu_s,
                u.events,
                in_file.get(u.directory),
                per_event,
                over,
                pss,
                rss,
            )
        )
    return tuple(rows)


def _variants(
    record: TrainRecord, output: TrainOutput
) -> tuple[tuple[str, tuple[VariantRow, ...]], ...]:
    by_dir = {w.directory: w for w in output.wagons}
    groups: dict[str, list[str]] = defaultdict(list)
    for w in record.wagons:
        groups[w.ref].append(w.directory)
    out = []
    for ref, dirs in groups.items():
        if len(dirs) < 2:
            continue
        names: list[str] = []
        for d in dirs:
            for h in by_dir[d].histograms if d in by_dir else ():
                if h.name not in names:
                    names.append(h.name)
        rows = tuple(
            VariantRow(
                name,
                tuple(
                    (d, next((h for h in by_dir[d].histograms if h.name == name), None))
                    if d in by_dir
                    else (d, None)
                    for d in dirs
                ),
            )
            for name in names
        )
        out.append((ref, rows))
    return tuple(out)


def _comparison(output: TrainOutput, before: TrainOutput | None) -> tuple[Comparison, ...]:
    if before is None or before.problem or output.problem:
        return ()
    old = {(w.directory, h.name): h for w in before.wagons for h in w.histograms}
    rows = []
    for w in output.wagons:
        for h in w.histograms:
            b = old.get((w.directory, h.name))
            mean = h.mean if isinstance(h, Hist1D) else h.mean_x
            b_mean = (b.mean if isinstance(b, Hist1D) else b.mean_x) if b is not None else None
            rows.append(
                Comparison(w.directory, h.name, h.entries, b.entries if b else None, mean, b_mean)
            )
    return tuple(rows)


def record_page(
    summary: TrainSummary,
    record: TrainRecord,
    output: TrainOutput,
    downloads: tuple[Download, ...],
    public: Callable[[str | None], str],
) -> TrainPage:
    """What a train's page shows of its record and its output (``with_previous`` adds the
    previous train); ``public`` hides this machine's paths."""
    present = {w.directory for w in output.wagons}
    missing = tuple(w.directory for w in record.wagons if w.directory not in present)
    moved = 0
    if record.locality_relaxed_at is not None:
        at = record.locality_relaxed_at
        moved = sum(
            1
            for j in record.jobs
            for a in j.attempts
            if a.state == "moved" or (a.started is not None and a.started > at and a.number > 1)
        )
    facts = Shown(
        summary,
        record,
        output,
        missing if not output.problem else (),
        _variants(record, output),
        downloads,
        moved,
        _totals(record, summary.usage),
    )
    text = next((d.text for d in downloads if d.label == RECORD), None)
    assert text is not None, "a train's page offers its record"
    refs = tuple(wagon_refs(summary))
    return TrainPage(summary, record.state, text(), shown(facts, public), refs)


def with_previous(
    page: TrainPage, output: TrainOutput, previous: TrainBrief | None, before: TrainOutput | None
) -> TrainPage:
    """The page with the previous done train on the dataset (``before``: its output) and the
    comparison of their histograms (``output``: this train's)."""
    return replace(page, previous=previous, comparison=_comparison(output, before))


def _totals(record: TrainRecord, usage: tuple[UsageRow, ...]) -> JobTotals:
    reports = [j.report for j in record.jobs if j.report is not None]
    pss = [r.max_pss_mb for r in reports if r.max_pss_mb]  # a job that measured none: left out
    rss = [r.max_rss_mb for r in reports]
    return JobTotals(
        sum(u.cpu_s for u in usage),
        max(pss) if pss else None,
        max(rss) if rss else None,
        sum(len(j.attempts) for j in record.jobs),
        tuple(s for r in reports for s in r.skipped),
    )
