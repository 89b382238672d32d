"""Run one piece of a site build in a forked process while the build goes on: writing the
trains' downloads needs only the records, so it runs beside the assembly of the site model,
which keeps the main process busy for half a minute on a big site. Adapter: processes.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import traceback
from collections.abc import Callable
from typing import Protocol

from controller.errors import WagonyardError


class Waiter(Protocol):
    def __call__(self, quiet: bool = False) -> None: ...


def _done(quiet: bool = False) -> None:
    """Nothing to wait for: the work was done in this process."""


def in_background(work: Callable[[], None], what: str, fork: bool = True) -> Waiter:
    """Start ``work`` in a forked process (in this one, now, when not ``fork`` or where there
    is no fork); return the function that waits for it and raises, naming ``what``, if it
    failed (``wait(quiet=True)`` only waits: for when the build failed already)."""
    if not fork or "fork" not in mp.get_all_start_methods():
        work()
        return _done
    context = mp.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def run() -> None:
        try:
            work()
            send.send("")
        except BaseException as exc:  # reported to the parent, which raises it
            last = traceback.format_exception_only(exc)[-1].strip()
            send.send(last)

    gc.freeze()  # the child's collector leaves what it inherits alone: no copy-on-write
    try:
        process = context.Process(target=run, daemon=True)
        process.start()
    finally:
        gc.unfreeze()
    send.close()

    def wait(quiet: bool = False) -> None:
        process.join()
        problem = receive.recv() if receive.poll() else f"it ended with code {process.exitcode}"
        receive.close()
        if problem and not quiet:
            raise WagonyardError(f"{what} failed: {problem}")

    return wait
