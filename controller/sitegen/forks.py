"""Work in a forked process beside this one, told back over a pipe: the site build's shards
(``shards``) and the writer of other pages (``Forked``). A forked process that fails
or dies is an error naming it, and none is left running.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from controller.errors import WagonyardError


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def told(exc: BaseException) -> str:
    """A failure in a forked process as one line: what, and where in our code (our own
    errors say what they are about themselves)."""
    if isinstance(exc, WagonyardError):
        return str(exc)
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__}: {exc} (at {os.path.basename(where.filename)}:{where.lineno})"


def tell_failure(conn: Connection, exc: BaseException) -> None:
    with contextlib.suppress(OSError):  # the build is gone: nobody to tell
        conn.send_bytes(pickle.dumps(("error", told(exc))))


def receive(child: Any, conn: Connection, which: str) -> Any:
    """The next message of a forked process (but its status), or an error naming ``which``:
    it failed (its own words), or it died (its exit code or signal)."""
    try:
        status, *rest = pickle.loads(conn.recv_bytes())
    except (EOFError, OSError):
        child.join()
        code = child.exitcode
        how = (
            f"was killed by signal {-code} (the kernel's out-of-memory killer sends 9)"
            if code is not None and code < 0
            else f"exited with code {code} before it was done"
        )
        raise WagonyardError(
            f"{which} {how}; build again, and if it happens again, build on a machine with "
            "more memory"
        ) from None
    if status == "error":
        raise WagonyardError(f"{which} failed: {rest[0]}")
    return rest


def spawn(target: Callable[..., None], args: tuple[Any, ...], name: str) -> tuple[Any, Connection]:
    """A forked process running ``target(its end of the pipe, *args)``, and this end."""
    context = mp.get_context("fork")
    mine, theirs = context.Pipe()
    child = context.Process(target=target, args=(theirs, *args), name=name)
    child.start()
    theirs.close()
    return child, mine


def stop(child: Any, conn: Connection) -> None:
    """Kill ``child`` if it still runs, and reap it."""
    if child.is_alive():
        child.kill()
    child.join()
    conn.close()


class Forked:
    """``work`` run in a forked process (or here, at ``wait``, where there is no fork)."""

    def __init__(self, which: str, work: Callable[[], None], fork: bool = True) -> None:
        self.which = which
        self.work = work
        self.child: Any = None
        self.conn: Connection | None = None
        if fork and can_fork():
            self.child, self.conn = spawn(_run, (work,), which)

    def wait(self) -> None:
        """Wait for the work to be done."""
        if self.conn is None:
            self.work()
            return
        receive(self.child, self.conn, self.which)
        self.close()

    def close(self) -> None:
        """Stop the work if it still runs (after an error elsewhere)."""
        if self.conn is not None:
            stop(self.child, self.conn)
            self.conn = None


def serve(conn: Connection, work: Callable[[Connection], None]) -> None:
    """The body of a forked process: ``work`` talks to the build over ``conn``; any failure is
    told there; the process then ends (``os._exit``: nothing of the parent's is cleaned up)."""
    code = 0
    try:
        work(conn)
    except BaseException as exc:  # any failure, told to the build
        code = 1
        tell_failure(conn, exc)
    finally:
        conn.close()
        os._exit(code)


def _run(conn: Connection, work: Callable[[], None]) -> None:
    def done(conn: Connection) -> None:
        work()
        conn.send_bytes(pickle.dumps(("ok",)))

    serve(conn, done)
