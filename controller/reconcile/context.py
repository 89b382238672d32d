"""What a controller works with: its repository, settings, history, grid; and its lease."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from controller.config import Config
from controller.errors import WagonyardError
from controller.grid.base import Backend
from controller.history import HistoryStore
from controller.reconcile.observed import Lease


def controller_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_free(lease: Lease | None, me: str, now: datetime) -> bool:
    """May ``me`` act: no lease, its own, lapsed, or held by a dead process on this host?"""
    if lease is None or lease.holder == me or lease.until <= now:
        return True
    host, _, pid = lease.holder.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


@dataclass
class Context:
    repo: Path
    config: Config
    store: HistoryStore
    backend: Backend
    home: Path
    data_root: Path
    me: str = field(default_factory=controller_id)
    say: Callable[[str], None] = print
    datasets: tuple[str, ...] = ()  # act on these datasets only (all by default)


def open_context(
    repo: Path,
    data_root: Path,
    me: str | None = None,
    say: Callable[[str], None] = print,
    home: Path | None = None,
    backend: str | None = None,
) -> Context:
    """The controller of the clone ``repo``: its settings (``wagonyard.yaml``), history, grid."""
    from controller.config import load_config
    from controller.grid import backend_for
    from controller.history import GitRepo

    repo = repo.resolve()
    if not (repo / ".git").exists():
        raise WagonyardError(
            f"{repo} is not a git repository; run in the controller's clone or give --repo"
        )
    config = load_config(repo)
    if home is None:
        configured = config.controller.home
        home = Path(configured) if configured else repo / ".git" / "wagonyard"
        home = home if home.is_absolute() else repo / home
    remote = config.history.remote
    if remote and remote not in GitRepo(repo).git("remote").split():
        remote = None
    store = HistoryStore(repo, config.history.branch, remote)
    return Context(
        repo=repo,
        config=config,
        store=store,
        backend=backend_for(backend or config.backend(), home / "grid", config),
        home=home,
        data_root=data_root.resolve(),
        me=me or controller_id(),
        say=say,
    )
