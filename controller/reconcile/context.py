"""What a controller works with: its repository, settings, history, grid; and its lease."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from controller.config import Config
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
