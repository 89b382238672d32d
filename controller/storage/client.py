"""XRootD's client settings, one place for the jobs that read and the copies that write.

XRootD's client waits minutes for a server that is down (5 retries, 120 s apart); a job with
another replica to read, or a copy with another source, should give up on it in seconds. The
client reads these variables when it starts; the environment's own values win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEFAULT_TIMEOUT_S = 10
CLIENT_DEFAULTS = {
    "XRD_CONNECTIONRETRY": "1",
    "XRD_CONNECTIONWINDOW": str(DEFAULT_TIMEOUT_S),
    "XRD_REQUESTTIMEOUT": "60",
    "XRD_STREAMTIMEOUT": "30",
}


def client_environment(environ: Mapping[str, str], timeout_s: int | None = None) -> dict[str, str]:
    """``environ`` with the client defaults where it sets none; ``timeout_s`` is the connection
    window (how long a storage element that does not answer is waited for)."""
    defaults = dict(CLIENT_DEFAULTS)
    if timeout_s is not None:
        defaults["XRD_CONNECTIONWINDOW"] = str(timeout_s)
    return {**defaults, **environ}


def set_client_defaults(timeout_s: int | None = None) -> None:
    """Set the client defaults in this process's environment, before the client starts."""
    for key, value in client_environment({}, timeout_s).items():
        os.environ.setdefault(key, value)
