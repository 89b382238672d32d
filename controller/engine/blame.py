"""Say what a wagon did wrong, naming it, the input file and the entry range.

Whatever leaves a wagon's ``process`` (an exception, ``sys.exit``, ``KeyboardInterrupt``,
another ``BaseException``, running out of memory, a write into its read-only input) becomes
one message naming the wagon, so that nothing a wagon does reads as wagonyard's own error.
Reads the process's memory limit, nothing else.
"""

from __future__ import annotations

import resource

from controller.engine.chunk import Chunk


def where(chunk: Chunk) -> str:
    return at_entries(chunk.path, chunk.entry_start, chunk.entry_stop)


def at_entries(path: str, start: int, stop: int) -> str:
    return f"while processing {path} entries {start}-{stop}"


def memory_limit() -> str:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return "the machine's memory"
    return f"the limit of {soft / 2**20:,.0f} MB of address space"


def blame(directory: str, chunk: Chunk, exc: BaseException) -> str:
    """The message for ``exc`` leaving wagon ``directory``'s ``process``."""
    at = where(chunk)
    if isinstance(exc, SystemExit):
        return (
            f"wagon {directory} called sys.exit({exc.code!r}) {at}: a wagon must return from "
            "process(), never end the job"
        )
    if isinstance(exc, MemoryError):
        return f"wagon {directory} went over the memory limit ({memory_limit()}) {at}"
    if isinstance(exc, ValueError) and "read-only" in str(exc):
        return (
            f"wagon {directory} tried to write into its input events ({exc}) {at}: the events "
            "are shared by every wagon of the train and are read-only; work on a copy "
            "(np.array(events.x) or ak.copy) or a new column"
        )
    return f"wagon {directory} raised {type(exc).__name__}: {exc} {at}"
