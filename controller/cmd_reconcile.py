"""CLI commands of the controller: reconcile, status and history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from controller.errors import WagonyardError
from controller.options import data_dir_option

if TYPE_CHECKING:  # imported where used: the grid's jobs start this CLI too
    from controller.reconcile.context import Context
    from controller.reconcile.passes import PassResult

repo_option = click.option(
    "--repo",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The controller's clone of the catalog repository.",
)


def _context(repo: Path, data_dir: Path | None, me: str | None, quiet: bool) -> Context:
    from controller.engine.files import data_dir as default_data_dir
    from controller.reconcile.context import open_context

    say = (lambda line: None) if quiet else click.echo
    return open_context(repo, default_data_dir(data_dir), me, say)


def _remote(repo: Path, remote: str | None) -> str | None:
    from controller.history import GitRepo

    if not (repo / ".git").exists():
        raise WagonyardError(
            f"{repo} is not a git repository; run in the controller's clone or give --repo"
        )
    if not remote:
        return None
    remotes = GitRepo(repo).git("remote").split()
    return remote if remote in remotes else None


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise WagonyardError(f"--now {value!r}: give an ISO time, e.g. 2026-11-28T02:00") from exc
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@click.command("reconcile")
@repo_option
@data_dir_option
@click.option("--plan", "plan_only", is_flag=True, help="Print the plan and why; change nothing.")
@click.option("--watch", is_flag=True, help="Repeat passes until SIGTERM or Ctrl-C.")
@click.option(
    "--interval", type=float, default=60.0, show_default=True, help="Seconds between passes."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    help="Act on this dataset only (repeatable; default: every dataset on main).",
)
@click.option(
    "--controller-id",
    "me",
    default=None,
    help="This controller's name in the lease (default host:pid).",
)
@click.option(
    "--now", "now_text", default=None, hidden=True, help="Pretend it is this time (tests)."
)
def reconcile_command(
    repo: Path,
    data_dir: Path | None,
    plan_only: bool,
    watch: bool,
    interval: float,
    fmt: str,
    datasets: tuple[str, ...],
    me: str | None,
    now_text: str | None,
) -> None:
    """Bring the grid in line with main: one pass (plan, carry out, commit each step)."""
    from controller.reconcile.approvals import Approvals, FileApprovals, NoApprovals
    from controller.reconcile.passes import one_pass
    from controller.reconcile.passes import watch as watch_passes

    ctx = _context(repo, data_dir, me, quiet=fmt == "json")
    ctx.datasets = datasets
    fixed = _parse_now(now_text)

    def now() -> datetime:
        return fixed or datetime.now(UTC)

    file = ctx.config.controller.approvals_file
    approvals: Approvals = FileApprovals(ctx.repo / file) if file else NoApprovals()
    if not file and ctx.config.github.repository:
        from controller.github.approvals import GitHubApprovals
        from controller.github.client import connect, token_from

        settings = ctx.config.github
        approvals = GitHubApprovals(lambda: connect(settings, token_from(settings)))

    def show(result: PassResult) -> None:
        if fmt == "json":
            click.echo(json.dumps(_as_json(result)))
            return
        if plan_only:
            for action in result.plan.actions:
                click.echo(action.line())
        for line in result.plan.waiting:
            click.echo(f"waiting: {line}")
        if result.waiting_for_lease:
            click.echo(result.waiting_for_lease)
        if not result.plan.actions:
            click.echo("nothing to do: the grid matches main")

    if watch:
        watch_passes(ctx, approvals, interval, show, now=now)
        click.echo("wagonyard: stopped between two passes", err=True)
        return
    show(one_pass(ctx, approvals, now, plan_only))


def _as_json(result: PassResult) -> dict[str, object]:
    return {
        "actions": [
            {
                "kind": a.kind,
                "reason": a.reason,
                "dataset": a.dataset,
                "wagons": list(a.wagons),
                "train": a.train,
                "request": a.request,
            }
            for a in result.plan.actions
        ],
        "waiting": list(result.plan.waiting),
        "commits": result.commits,
        "waiting_for_lease": result.waiting_for_lease,
    }


@click.command("status")
@repo_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def status_command(repo: Path, fmt: str) -> None:
    """The trains recorded on the history branch: state, progress, age."""
    from controller.config import load_config
    from controller.history import HistoryStore
    from controller.reconcile.observed import read_history

    repo = repo.resolve()
    config = load_config(repo)
    store = HistoryStore(repo, config.history.branch, _remote(repo, config.history.remote))
    store.sync()
    history = read_history(store)
    now = datetime.now(UTC)
    rows = []
    for r in sorted(history.records.values(), key=lambda r: r.created, reverse=True):
        done = sum(1 for j in r.jobs if j.state == "done")
        rows.append(
            {
                "train": r.train_id,
                "dataset": r.dataset,
                "state": r.state,
                "jobs_done": done,
                "jobs": len(r.jobs),
                "age_s": int((now - r.created).total_seconds()),
                "wagons": len([w for w in r.wagons if w.enabled]),
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1))
        return
    if not rows:
        click.echo(f"no train recorded on {config.history.branch} yet")
        return
    click.echo(f"{'train':44} {'state':12} {'jobs':>9} {'wagons':>6}  age")
    for row in rows:
        jobs = f"{row['jobs_done']}/{row['jobs']}"
        click.echo(
            f"{row['train']!s:44} {row['state']!s:12} {jobs:>9} {row['wagons']!s:>6}  "
            f"{_age(int(str(row['age_s'])))}"
        )


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


@click.command("history")
@repo_option
@click.argument("train", required=False)
@click.option("-n", "limit", type=int, default=50, show_default=True, help="How many steps.")
def history_command(repo: Path, train: str | None, limit: int) -> None:
    """The history branch's log: every step of every train (or of TRAIN), newest first."""
    from controller.config import load_config
    from controller.history import HistoryStore

    repo = repo.resolve()
    config = load_config(repo)
    store = HistoryStore(repo, config.history.branch, _remote(repo, config.history.remote))
    store.sync()
    if store.tip() is None:
        raise WagonyardError(f"no history branch {config.history.branch} in {repo} yet")
    args = ["log", f"-{limit}", "--format=%h %cI %s", store.ref]
    if train:
        args += ["--", f"trains/{train}/record.json"]
    out = store.repo.git(*args)
    if not out:
        raise WagonyardError(f"no train {train} on {config.history.branch}; see 'wagonyard status'")
    click.echo(out)
