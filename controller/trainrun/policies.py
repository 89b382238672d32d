"""Turnaround policies of a train, from the LEGO-train paper: pure decisions on job timings.

*express*: once at least 98 % of the jobs are done and every one still open has taken far
longer than typical (``factor`` x the median of the done jobs), stop waiting: the open jobs
are dropped and what is done is merged (the loss is recorded). A *slow* train waits for all.
*locality*: jobs waiting for their storage element's own site may run anywhere once 90 % are
done. Pure: times in, decisions out; the train's steps and the simulation both use these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from controller.catalog.models import Dataset
from controller.records import RunSettings

EXPRESS_DONE_FRACTION = 0.98
EXPRESS_FACTOR = 3.0
LOCALITY_DONE_FRACTION = 0.90


@dataclass(frozen=True)
class Timing:
    """One job: whether it is done, and how long it has taken (done) or is taking (open)."""

    done: bool
    elapsed_s: float


def express_drop(
    jobs: Sequence[Timing],
    done_fraction: float = EXPRESS_DONE_FRACTION,
    factor: float = EXPRESS_FACTOR,
) -> list[int]:
    """Indices of the open jobs an express train stops waiting for now (empty: keep waiting)."""
    if not jobs:
        return []
    done = [j.elapsed_s for j in jobs if j.done]
    open_ = [i for i, j in enumerate(jobs) if not j.done]
    if not open_ or len(done) < done_fraction * len(jobs):
        return []
    typical = median(done)
    if all(jobs[i].elapsed_s > factor * typical for i in open_):
        return open_
    return []


def relax_locality(done: int, total: int, fraction: float = LOCALITY_DONE_FRACTION) -> bool:
    """May jobs waiting for their storage element's site now run anywhere?"""
    return total > 0 and done >= fraction * total


def settings_of(ds: Dataset, merge_fan_in: int = 16) -> RunSettings:
    """How a train over ``ds`` runs its jobs: attempts, limits, merging and turnaround."""
    return RunSettings(
        max_attempts=ds.splitting.max_attempts,
        time_limit_s=ds.limits.job_timeout_s,
        memory_mb=ds.limits.memory_mb,
        merge_fan_in=merge_fan_in,
        express=ds.schedule.policy == "express",
        express_done_fraction=EXPRESS_DONE_FRACTION,
        express_factor=EXPRESS_FACTOR,
        relax_locality=ds.schedule.relax_locality,
        locality_done_fraction=LOCALITY_DONE_FRACTION,
    )
