"""One reconcile pass: read main and the history branch, plan, carry the plan out, commit.

A pass that finds the history branch moved under it (another controller committed) reads
everything again and plans again, a few times at most. A pass with nothing to do commits
nothing. ``watch`` repeats passes until SIGTERM or Ctrl-C, which end it between two steps.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType

from controller.errors import HistoryConflict, WagonyardError
from controller.reconcile.approvals import Approvals
from controller.reconcile.context import Context, lease_free
from controller.reconcile.desired import read_main
from controller.reconcile.gitcode import Code
from controller.reconcile.model import Plan
from controller.reconcile.observed import read_history
from controller.reconcile.planner import plan

MAX_CONFLICTS = 5


@dataclass
class PassResult:
    plan: Plan
    commits: list[str] = field(default_factory=list)
    waiting_for_lease: str = ""
    conflicts: int = 0


def one_pass(
    ctx: Context,
    approvals: Approvals,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    plan_only: bool = False,
) -> PassResult:
    code = Code(ctx.store.repo, ctx.store.remote, ctx.home, ctx.config.controller.main)
    conflicts = 0
    while True:
        ctx.store.sync()
        main = read_main(code, approvals, ctx.datasets)
        history = read_history(ctx.store)
        at = now()
        the_plan = plan(main.desired, history.observed, at)
        result = PassResult(the_plan, conflicts=conflicts)
        if plan_only or not the_plan.actions:
            return result
        if not lease_free(history.lease, ctx.me, at):
            assert history.lease is not None
            result.waiting_for_lease = (
                f"controller {history.lease.holder} holds the lease until "
                f"{history.lease.until:%H:%M:%S}; nothing done"
            )
            return result
        from controller.reconcile.execute import Executor  # the grid, the engine: only to act

        executor = Executor(ctx, main, history, at)
        executor.holds_lease = history.lease is not None and history.lease.holder == ctx.me
        try:
            for action in the_plan.actions:
                executor.run(action)
        except HistoryConflict:
            conflicts += 1
            result.commits = executor.commits
            if conflicts >= MAX_CONFLICTS:
                raise WagonyardError(
                    f"the history branch kept moving ({conflicts} times in one pass): is another "
                    "controller running? The next pass will try again"
                ) from None
            ctx.say("  the history branch moved meanwhile: reading it again")
            continue
        result.commits = executor.commits
        return result


class _Stop:
    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def watch(
    ctx: Context,
    approvals: Approvals,
    interval_s: float,
    on_pass: Callable[[PassResult], None],
    passes: int | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Repeat passes every ``interval_s`` until SIGTERM/SIGINT (or ``passes``); how many ran."""
    stop = _Stop()
    old_term = signal.signal(signal.SIGTERM, stop)
    old_int = signal.signal(signal.SIGINT, stop)
    done = 0
    try:
        while not stop.requested and (passes is None or done < passes):
            on_pass(one_pass(ctx, approvals, now))
            done += 1
            deadline = time.monotonic() + interval_s
            while not stop.requested and time.monotonic() < deadline:
                time.sleep(min(0.2, interval_s))
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)
    return done
