"""What the controller decides: ``plan(desired, observed, now)``, pure.

In order: train requests (kill, retry, run) not carried out yet; the steps of the trains still
on their way; e-mails not sent yet; the tests of wagons whose current version has none; then
the trains due: per dataset, when its ``schedule.cron``'s most recent due time is later than
its last composed train (or it has none) and at least ``min_wagons`` wagons are ready (latest
test of their current version done, or warning where the dataset allows it), and what they
would run differs from the last train. Composition rules from ALICE's LEGO trains and Hyperloop.
"""

from __future__ import annotations

from datetime import datetime

from croniter import croniter

from controller.reconcile.model import (
    ACTIVE,
    Action,
    DatasetWant,
    Desired,
    Observed,
    Plan,
    RequestWant,
    TestSeen,
    TrainSeen,
    WagonWant,
)

ENDED = ("done", "failed", "test-failed", "killed")


def last_due(cron: str, now: datetime) -> datetime:
    """The most recent time at or before ``now`` the cron expression fires (UTC)."""
    it = croniter(cron, now)
    nxt = it.get_next(datetime)
    if nxt == now:
        return now
    return croniter(cron, now).get_prev(datetime)


def _current(ds: DatasetWant, w: WagonWant, observed: Observed) -> TestSeen | None:
    """The wagon's latest test, if it was of its current version."""
    seen = observed.tests.get((ds.name, w.ref))
    return seen if seen is not None and seen.version == w.version else None


def _ready(ds: DatasetWant, w: WagonWant, observed: Observed) -> bool:
    seen = observed.tests.get((ds.name, w.ref))
    if w.blocked or seen is None or seen.version != w.version:
        return False
    return seen.status == "done" or (seen.status == "warning" and ds.allow_warnings)


def plan(desired: Desired, observed: Observed, now: datetime) -> Plan:
    actions: list[Action] = []
    waiting: list[str] = []
    trains = {t.train_id: t for t in observed.trains}
    latest: dict[str, TrainSeen] = {}
    active: dict[str, TrainSeen] = {}
    for t in observed.trains:
        if t.dataset not in latest or t.created > latest[t.dataset].created:
            latest[t.dataset] = t
        if t.state in ACTIVE:
            active.setdefault(t.dataset, t)
    busy: set[str] = set()  # trains a request acts on in this plan

    for req in desired.requests:
        if req.name in observed.requests_done:
            continue
        action = _request(req, desired, observed, trains, active)
        if isinstance(action, str):
            waiting.append(action)
            continue
        if action.kind == "compose" and action.dataset:
            active.setdefault(action.dataset, TrainSeen("", action.dataset, "composed", now))
        if action.train:
            busy.add(action.train)
        actions.append(action)

    for t in observed.trains:
        if t.state not in ACTIVE or t.train_id in busy:
            continue
        if t.state in ("composed", "testing"):
            actions.append(
                Action(
                    "test-train",
                    "composed: the full train and the merge on the test sample before submission",
                    t.dataset,
                    train=t.train_id,
                )
            )
        else:
            left = f"{t.open_jobs} of {t.jobs} jobs open" if t.jobs else "submitting"
            actions.append(Action("advance", f"{t.state}: {left}", t.dataset, train=t.train_id))

    for t in observed.trains:
        key = f"train/{t.train_id}"
        if t.state in ENDED and key not in observed.notified:
            actions.append(
                Action("notify", f"train {t.state}", t.dataset, train=t.train_id, notice=key)
            )
    for (dataset, ref), seen in sorted(observed.tests.items()):
        key = f"test/{dataset}/{ref}/{seen.version}"
        if seen.status == "failed" and key not in observed.notified:
            want = desired.datasets.get(dataset)
            current = want and any(w.ref == ref and w.version == seen.version for w in want.wagons)
            if current:
                actions.append(
                    Action("notify", f"the test of {ref} failed", dataset, (ref,), notice=key)
                )

    for name, ds in sorted(desired.datasets.items()):
        untested = []
        for w in ds.wagons:
            test = observed.tests.get((name, w.ref))
            if w.blocked:
                waiting.append(f"{w.ref} on {name}: {w.blocked}")
            elif test is None or test.version != w.version:
                untested.append(w.ref)
        if untested:
            why = (
                "no test yet"
                if all((name, r) not in observed.tests for r in untested)
                else "changed since its last test"
            )
            actions.append(
                Action(
                    "test",
                    f"{len(untested)} wagon(s) enabled here, {why}: " + ", ".join(untested),
                    name,
                    tuple(untested),
                )
            )
        compose = _due(ds, observed, latest.get(name), active.get(name), now, waiting)
        if compose:
            actions.append(compose)
    return Plan(tuple(actions), tuple(waiting))


def _request(
    req: RequestWant,
    desired: Desired,
    observed: Observed,
    trains: dict[str, TrainSeen],
    active: dict[str, TrainSeen],
) -> Action | str:
    """The action carrying the request out (or refusing it), or why it waits."""
    said = f"request {req.name} ({req.reason})"
    if req.action in ("kill", "retry"):
        train = trains.get(req.train or "")
        if train is None:
            return Action("refuse", f"{said}: no train {req.train} is recorded", request=req.name)
        if req.action == "kill":
            if train.state not in ACTIVE:
                return Action(
                    "refuse",
                    f"{said}: train {req.train} already ended {train.state}",
                    train.dataset,
                    request=req.name,
                )
            return Action("kill", said, train.dataset, train=train.train_id, request=req.name)
        if train.state not in ("failed", "killed", "test-failed"):
            return Action(
                "refuse",
                f"{said}: train {req.train} is {train.state}, not failed",
                train.dataset,
                request=req.name,
            )
        return Action("retry", said, train.dataset, train=train.train_id, request=req.name)
    ds = desired.datasets.get(req.dataset or "")
    if ds is None:
        return Action("refuse", f"{said}: no dataset {req.dataset} on main", request=req.name)
    wanted = set(req.wagons) or {w.ref for w in ds.wagons}
    wagons = [w for w in ds.wagons if w.ref in wanted]
    ready = [w.ref for w in wagons if _ready(ds, w, observed)]
    current = {w.ref: _current(ds, w, observed) for w in wagons}
    failed = [r for r, t in current.items() if t is not None and t.status == "failed"]
    pending = sorted(w.ref for w in wagons if current[w.ref] is None)
    if req.wagons and failed:
        return Action(
            "refuse",
            f"{said}: the latest test failed for {', '.join(sorted(failed))}",
            ds.name,
            request=req.name,
        )
    if pending and (req.wagons or not ready):
        # their tests are planned below (or they wait for code): carried out on a later pass
        return f"{said}: waits for the tests of {', '.join(pending)}"
    if not ready:
        return Action(
            "refuse",
            f"{said}: no wagon on {ds.name} has passed its test",
            ds.name,
            request=req.name,
        )
    if ds.name in active:
        return f"{said}: waits for train {active[ds.name].train_id} ({active[ds.name].state})"
    return Action("compose", said, ds.name, tuple(sorted(ready)), request=req.name)


def _due(
    ds: DatasetWant,
    observed: Observed,
    last: TrainSeen | None,
    active: TrainSeen | None,
    now: datetime,
    waiting: list[str],
) -> Action | None:
    if ds.cron is None:
        return None
    due = last_due(ds.cron, now)
    if last is not None and last.created >= due:
        return None
    ready = [w for w in ds.wagons if _ready(ds, w, observed)]
    when = f"cron {ds.cron} due at {due:%Y-%m-%d %H:%M}"
    if active is not None:
        waiting.append(f"{ds.name}: {when}, but train {active.train_id} is {active.state}")
        return None
    if len(ready) < ds.min_wagons:
        waiting.append(
            f"{ds.name}: {when}, {len(ready)} wagon(s) ready of min_wagons {ds.min_wagons}"
        )
        return None
    wanted = tuple(sorted((w.ref, w.version) for w in ready))
    if last is not None and last.state == "done" and tuple(sorted(last.wagons)) == wanted:
        return None  # the same train again would give the same result
    since = "" if last is None else " since the last train"
    new = [w for w in ready if last is None or (w.ref, w.version) not in set(last.wagons)]
    counted = f"{len(new)} wagon(s) tested done{since}" if new else f"{len(ready)} wagon(s) ready"
    return Action(
        "compose",
        f"dataset {ds.name}: {counted}; {when}",
        ds.name,
        tuple(sorted(w.ref for w in ready)),
    )
