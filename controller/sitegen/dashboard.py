"""The dashboard's figures: what needs attention, what runs now, what is due by schedule, the
last seven days and each analysis group's share. Counted at the site's time (the newest
input's), never the clock, so two builds of the same inputs agree. Pure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from croniter import croniter

from controller.catalog.catalog import Catalog
from controller.records import ENDED
from controller.sitegen.model import (
    ACTIVE_TRAIN_STATES,
    Attention,
    Dashboard,
    DayStats,
    Due,
    GroupUsage,
    TrainSummary,
    WagonPage,
    page_path,
)

DAYS = 7
ATTENTION_MAX = 50


def _attention(
    trains: Sequence[TrainSummary],
    wagons: Iterable[WagonPage],
    unsent: Sequence[tuple[str, str]],
    since: datetime,
) -> tuple[Attention, ...]:
    items: list[Attention] = []
    for w in wagons:
        for cell in w.tests:
            run = cell.run
            if run is None or run.case.status == "done":
                continue
            why = "; ".join(run.case.reasons[:2]) or run.case.status
            items.append(
                Attention(
                    f"test {run.case.status}",
                    f"{w.ref} on {cell.dataset}: {why}",
                    page_path("wagon", w.ref),
                    run.created,
                )
            )
    for t in trains:
        r = t.record
        if r.state in ("failed", "test-failed") and r.created >= since:
            why = r.message.splitlines()[0] if r.message else r.state
            items.append(
                Attention(
                    f"train {r.state}",
                    f"{r.train_id}: {why}",
                    page_path("train", r.train_id),
                    r.finished or r.created,
                )
            )
    for subject, error in unsent:
        items.append(Attention("e-mail not sent", f"{subject}: {error}", None, None))
    order = {"test failed": 0, "train failed": 1, "train test-failed": 1, "e-mail not sent": 2}
    items.sort(key=lambda a: (order.get(a.kind, 3), -(a.when.timestamp() if a.when else 0)))
    return tuple(items[:ATTENTION_MAX])


def _due(catalog: Catalog, trains: Sequence[TrainSummary], now: datetime) -> tuple[Due, ...]:
    last: dict[str, TrainSummary] = {}
    for t in trains:  # newest first
        last.setdefault(t.record.dataset, t)
    out = []
    for name, entry in sorted(catalog.datasets.items()):
        cron = entry.model.schedule.cron
        if cron is None:
            continue
        nxt = croniter(cron, now).get_next(datetime)
        out.append(Due(name, cron, nxt, last.get(name)))
    out.sort(key=lambda d: d.next_due)
    return tuple(out)


def dashboard(
    catalog: Catalog,
    trains: Sequence[TrainSummary],
    wagons: Iterable[WagonPage],
    unsent: Sequence[tuple[str, str]],
    now: datetime,
) -> Dashboard:
    """``trains`` newest first; ``now`` is the site's time."""
    since = now - timedelta(days=DAYS)
    running = tuple(t for t in trains if t.record.state in ACTIVE_TRAIN_STATES)
    jobs = Counter(state for t in running for state in t.record.job_states)
    by_state = Counter(t.record.state for t in trains)
    days = {
        (now.date() - timedelta(days=i)).isoformat(): [0, 0, 0.0, 0]
        for i in range(DAYS - 1, -1, -1)
    }
    turnarounds: list[timedelta] = []
    group_of = {n: e.model.group for n, e in catalog.analyses.items()}
    usage: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # group -> trains, cpu
    for t in trains:
        r = t.record
        if r.finished is None or r.state not in ENDED or r.finished < since:
            continue
        # a record's times have microseconds, commits whole seconds: a train that finished in
        # the last second before the site's time counts on the site's day
        day = days.get(min(r.finished, now + timedelta(seconds=1)).date().isoformat())
        if day is None:
            continue
        day[0] += 1
        day[1] += len(r.job_states)
        day[2] += t.cpu_s / 3600
        day[3] += r.events_processed
        if t.turnaround is not None:
            turnarounds.append(t.turnaround)
        groups: set[str] = set()
        for u in t.usage:
            group = group_of.get(u.ref.partition("/")[0])
            if group is not None:
                usage[group][1] += u.cpu_s / 3600
                groups.add(group)
        for group in groups:
            usage[group][0] += 1
    analyses_in = Counter(group_of.values())
    wagons_in = Counter(group_of.get(ref.partition("/")[0], "") for ref in catalog.wagons)
    groups_out = tuple(
        GroupUsage(g, analyses_in[g], wagons_in[g], int(usage[g][0]), usage[g][1])
        for g in sorted(analyses_in)
    )
    day_stats = tuple(DayStats(d, int(v[0]), int(v[1]), v[2], int(v[3])) for d, v in days.items())
    mean = sum(turnarounds, timedelta()) / len(turnarounds) if turnarounds else None
    return Dashboard(
        attention=_attention(trains, wagons, unsent, since),
        running=running,
        jobs_by_state=dict(sorted(jobs.items())),
        trains_by_state=dict(sorted(by_state.items())),
        due=_due(catalog, trains, now),
        days=day_stats,
        week_trains=sum(d.trains for d in day_stats),
        week_jobs=sum(d.jobs for d in day_stats),
        week_cpu_h=sum(d.cpu_h for d in day_stats),
        week_events=sum(d.events for d in day_stats),
        mean_turnaround=mean,
        groups=groups_out,
    )
