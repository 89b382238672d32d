"""Where a job is, kept in a small memory-mapped file, so that a job that ends abruptly from
inside a wagon (``os._exit``, a crash) can still be blamed on that wagon.

Before each wagon runs on each chunk, the job writes the wagon's index, the slice and the entry
range into the file: a store into shared memory, no system call. Whoever started the job reads
it when the job ended without its report. Adapter: one file.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

from controller.engine.chunk import Chunk

PROGRESS_NAME = "progress"
_FORMAT = "<iiqq"  # wagon index (-1: not in a wagon), slice index, entry start, entry stop
_SIZE = struct.calcsize(_FORMAT)
NOT_IN_A_WAGON = -1


class Progress:
    def __init__(self, path: Path, slices: list[str]) -> None:
        path.write_bytes(struct.pack(_FORMAT, NOT_IN_A_WAGON, 0, 0, 0))
        with path.open("r+b") as f:
            self._map = mmap.mmap(f.fileno(), _SIZE)
        self._slices = {p: i for i, p in enumerate(slices)}

    def wagon(self, index: int, chunk: Chunk) -> None:
        slice_index = self._slices.get(chunk.path, -1)
        struct.pack_into(
            _FORMAT, self._map, 0, index, slice_index, chunk.entry_start, chunk.entry_stop
        )

    def done(self) -> None:
        struct.pack_into(_FORMAT, self._map, 0, NOT_IN_A_WAGON, 0, 0, 0)


def last_wagon(path: Path) -> tuple[int, int, int, int] | None:
    """(wagon index, slice index, entry start, entry stop) the job was in, or None."""
    try:
        data = path.read_bytes()[:_SIZE]
    except OSError:
        return None
    if len(data) < _SIZE:
        return None
    wagon, slice_index, start, stop = struct.unpack(_FORMAT, data)
    return None if wagon == NOT_IN_A_WAGON else (wagon, slice_index, start, stop)
