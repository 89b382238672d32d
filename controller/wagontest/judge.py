"""Turn a test job's measurements into figures, and figures into a verdict against limits.

Verdicts as in Hyperloop: ``done`` (all fine), ``warning`` (runs, but a limit is exceeded:
memory, a possible leak, CPU per event, output or log size) and ``failed`` (exception, crash,
timeout, outputs that do not merge). Pure: numbers in, verdict and reasons out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from controller.catalog.models import Limits

Status = Literal["done", "warning", "failed"]
LEAK_RATIO = 1.3


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    t: float
    rss_mb: float
    pss_mb: float | None = None
    cpu_s: float
    events: int = 0


class Figures(BaseModel):
    """What one test job measured. Per-event figures cover the event loop only."""

    model_config = ConfigDict(extra="forbid")

    events: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    loop_wall_s: float = 0.0
    loop_cpu_s: float = 0.0
    max_rss_mb: float = 0.0
    avg_rss_mb: float = 0.0
    max_pss_mb: float = 0.0
    avg_pss_mb: float = 0.0
    pss_slope_kb_per_event: float = 0.0
    cpu_ms_per_event: float = 0.0
    wagon_cpu_ms_per_event: float = 0.0
    other_threads_cpu_ms_per_event: float = 0.0  # threads besides the event loop's
    wall_ms_per_event: float = 0.0
    events_per_s: float = 0.0
    output_bytes: int = 0
    log_bytes: int = 0


def _slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs; 0 with fewer than 3 distinct points."""
    if len(set(xs)) < 3:
        return 0.0
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def figures(
    samples: list[Sample],
    events: int,
    wall_s: float,
    output_bytes: int,
    log_bytes: int,
    wagon_cpu_s: float = 0.0,
    other_threads_cpu_s: float = 0.0,
) -> Figures:
    """Figures from the sampled memory and CPU; the loop is where events were counted.

    ``wagon_cpu_s`` is the CPU the engine measured inside the wagons' code (no reading, no
    start-up): the precise cost of the wagons over a baseline that only reads.
    """
    loop = [s for s in samples if s.events > 0] or samples
    start = max((s for s in samples if s.events == 0), key=lambda s: s.t, default=samples[0])
    pss = [s.pss_mb if s.pss_mb is not None else s.rss_mb for s in loop]
    rss = [s.rss_mb for s in loop]
    end = samples[-1]
    loop_cpu = max(0.0, end.cpu_s - start.cpu_s)
    loop_wall = max(1e-9, end.t - start.t)
    return Figures(
        events=events,
        wall_s=round(wall_s, 3),
        cpu_s=end.cpu_s,
        loop_wall_s=round(loop_wall, 4),
        loop_cpu_s=round(loop_cpu, 4),
        max_rss_mb=max(s.rss_mb for s in samples),
        avg_rss_mb=round(sum(rss) / len(rss), 2),
        max_pss_mb=max(pss),
        avg_pss_mb=round(sum(pss) / len(pss), 2),
        pss_slope_kb_per_event=round(
            _slope([float(s.events) for s in loop], [p * 1024 for p in pss]), 4
        ),
        cpu_ms_per_event=round(1000 * loop_cpu / events, 5) if events else 0.0,
        wagon_cpu_ms_per_event=round(1000 * wagon_cpu_s / events, 5) if events else 0.0,
        other_threads_cpu_ms_per_event=(
            round(1000 * other_threads_cpu_s / events, 5) if events else 0.0
        ),
        wall_ms_per_event=round(1000 * loop_wall / events, 5) if events else 0.0,
        events_per_s=round(events / loop_wall, 1) if events else 0.0,
        output_bytes=output_bytes,
        log_bytes=log_bytes,
    )


def judge(
    f: Figures, limits: Limits, cpu_ms_per_event: float | None = None
) -> tuple[Status, list[str]]:
    """The verdict for a job that ran to its end, and why; ``cpu_ms_per_event`` overrides
    the figure judged (a wagon is judged on its own cost over the baseline)."""
    reasons: list[str] = []
    if f.max_pss_mb > limits.memory_mb:
        reasons.append(
            f"memory: max PSS {f.max_pss_mb:.0f} MB over the limit of {limits.memory_mb} MB"
        )
    if f.avg_pss_mb > 0 and f.max_pss_mb > LEAK_RATIO * f.avg_pss_mb:
        reasons.append(
            f"possible memory leak: max PSS {f.max_pss_mb:.0f} MB is more than {LEAK_RATIO} x the "
            f"average {f.avg_pss_mb:.0f} MB (growth {f.pss_slope_kb_per_event:.2f} kB/event)"
        )
    cpu = f.cpu_ms_per_event if cpu_ms_per_event is None else cpu_ms_per_event
    if cpu > limits.cpu_ms_per_event:
        reasons.append(
            f"CPU: {cpu:.3f} ms/event over the limit of {limits.cpu_ms_per_event} ms/event"
        )
    if f.output_bytes > limits.output_mb * 1e6:
        reasons.append(
            f"output: {f.output_bytes / 1e6:.1f} MB over the limit of {limits.output_mb} MB"
        )
    if f.log_bytes > limits.log_kb * 1024:
        reasons.append(f"log: {f.log_bytes / 1024:.0f} kB over the limit of {limits.log_kb} kB")
    return ("warning" if reasons else "done"), reasons
