"""One chunk of events as the engine hands it to the wagons: the arrays and where they came from.

Pure data; ``controller.engine.source`` makes chunks from files.
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak


@dataclass(frozen=True)
class Chunk:
    events: ak.Array
    path: str
    entry_start: int
    entry_stop: int

    def __len__(self) -> int:
        """The events in the chunk: its entries, less those a run list cut."""
        return len(self.events)

    @property
    def entries(self) -> int:
        """The entries of the file the chunk was read from, cut or not."""
        return self.entry_stop - self.entry_start
