"""Simulate a train of ~10,000 grid jobs with long-tailed run times, and show what the
turnaround policies do to its turnaround and to the fraction of events kept.

No real jobs: a discrete-event simulation of a grid of three sites whose storage elements hold
the dataset's files, with run times drawn from a log-normal distribution plus a tail of
stragglers (slow nodes, slow reads) and a few failures that are resubmitted. The policies are
the real decisions of ``controller.trainrun.policies``: *express* (stop waiting once 98 % are done and
the rest run far longer than typical) and *locality* (jobs waiting for their own site may run
anywhere once 90 % are done), against a *slow* train that keeps every job.

    python3 benchmarks/turnaround.py [--jobs 10000] [--seeds 5]
"""

from __future__ import annotations

import argparse
import heapq
import random
from collections import deque
from dataclasses import dataclass, field
from statistics import mean

from controller.trainrun.policies import Timing, express_drop, relax_locality

SITES = {"CERN": 1200, "GSI": 500, "KISTI": 300}  # slots at each site
SHARE = {"CERN": 0.45, "GSI": 0.35, "KISTI": 0.20}  # where the files are (KISTI is crowded)
MINUTES = 60.0
FINAL_MERGE_S = 15 * MINUTES
REMOTE_PENALTY = 1.25  # reading over the WAN is slower
FAILURE_RATE = 0.03


@dataclass
class Job:
    site: str
    events: int
    runtime: float
    attempts: int = 0
    started: float = 0.0
    done_at: float | None = None
    duration: float = 0.0


@dataclass
class Outcome:
    turnaround_h: float
    events_kept: float
    dropped: int
    relaxed_at_h: float | None = None


@dataclass(order=True)
class _Event:
    t: float
    kind: str = field(compare=False)
    job: int = field(compare=False)
    site: str = field(compare=False)


def make_jobs(n: int, rng: random.Random) -> list[Job]:
    jobs = []
    sites = list(SHARE)
    for _ in range(n):
        site = rng.choices(sites, weights=[SHARE[s] for s in sites])[0]
        runtime = rng.lognormvariate(mu=7.0, sigma=0.45)  # median ~18 min
        if rng.random() < 0.01:
            runtime *= rng.uniform(4, 15)  # stragglers: a slow node, a slow file
        jobs.append(Job(site, int(rng.uniform(40_000, 60_000)), runtime))
    return jobs


def simulate(jobs: list[Job], express: bool, locality: bool, seed: int) -> Outcome:
    rng = random.Random(seed)
    free = dict(SITES)
    queues: dict[str, deque[int]] = {s: deque() for s in SITES}
    for i, j in enumerate(jobs):
        j.attempts, j.done_at, j.duration = 0, None, 0.0
        queues[j.site].append(i)
    heap: list[_Event] = []
    done, t, relaxed_at = 0, 0.0, None
    open_jobs = set(range(len(jobs)))

    def start(i: int, site: str) -> None:
        j = jobs[i]
        j.attempts += 1
        j.started = t
        free[site] -= 1
        run = j.runtime * (REMOTE_PENALTY if site != j.site else 1.0)
        if rng.random() < FAILURE_RATE:
            heapq.heappush(heap, _Event(t + rng.uniform(0.1, 1.0) * run, "fail", i, site))
        else:
            heapq.heappush(heap, _Event(t + run, "done", i, site))

    def schedule() -> None:
        for site in SITES:
            while free[site] and queues[site]:
                start(queues[site].popleft(), site)
        if relaxed_at is not None:  # any free slot takes a waiting job from the longest queue
            for site in SITES:
                while free[site]:
                    longest = max(queues.values(), key=len)
                    if not longest:
                        break
                    start(longest.popleft(), site)

    schedule()
    while heap:
        ev = heapq.heappop(heap)
        t = ev.t
        free[ev.site] += 1
        j = jobs[ev.job]
        if ev.kind == "done":
            j.done_at, j.duration = t, t - j.started
            done += 1
            open_jobs.discard(ev.job)
        else:
            queues[j.site].append(ev.job)  # resubmitted to its own site
        if locality and relaxed_at is None and relax_locality(done, len(jobs)):
            relaxed_at = t
        if express and done >= 0.98 * len(jobs):
            timings = [Timing(True, jobs[i].duration) for i in range(len(jobs)) if jobs[i].done_at]
            open_list = sorted(open_jobs)
            timings += [Timing(False, t - jobs[i].started) for i in open_list]
            if express_drop(timings):
                kept = sum(x.events for x in jobs if x.done_at is not None)
                return Outcome(
                    (t + FINAL_MERGE_S) / 3600,
                    kept / sum(x.events for x in jobs),
                    len(open_list),
                    None if relaxed_at is None else relaxed_at / 3600,
                )
        schedule()
    return Outcome(
        (t + FINAL_MERGE_S) / 3600, 1.0, 0, None if relaxed_at is None else relaxed_at / 3600
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{args.jobs:,} jobs on {sum(SITES.values()):,} slots at {len(SITES)} sites; log-normal run "
        f"times (median 18 min), 1 % stragglers x4-15, {FAILURE_RATE:.0%} failures resubmitted; "
        f"mean of {args.seeds} seeds"
    )
    print(
        f"{'policy':<22}{'turnaround (h)':>16}{'vs slow':>10}{'events kept':>14}{'jobs dropped':>14}"
    )
    base = None
    for label, express, locality in (
        ("slow (keep every job)", False, False),
        ("express", True, False),
        ("locality relaxed", False, True),
        ("express + locality", True, True),
    ):
        outcomes = []
        for seed in range(args.seeds):
            rng = random.Random(seed)
            outcomes.append(simulate(make_jobs(args.jobs, rng), express, locality, seed))
        turnaround = mean(o.turnaround_h for o in outcomes)
        base = base or turnaround
        print(
            f"{label:<22}{turnaround:>16.2f}{turnaround / base:>10.2f}"
            f"{100 * mean(o.events_kept for o in outcomes):>13.2f}%"
            f"{mean(o.dropped for o in outcomes):>14.1f}"
        )


if __name__ == "__main__":
    main()
