"""Read what a process running analysts' code printed: capped, with every secret masked.

A log can be huge, so only its head and its tail are kept; both are read with a margin and
masked before they are cut, so a secret split by a cut is masked too. Adapter: reads files.
"""

from __future__ import annotations

from pathlib import Path

from controller.secrets import Masker

MARGIN = 4096  # longer than any secret worth masking, in any of its encodings


def excerpt(path: Path, head: int, tail: int, masker: Masker) -> tuple[int, str]:
    """The log's size in bytes and its text: all of it, or its first ``head`` and last ``tail``
    bytes (roughly: cut after masking) with a line saying how much was left out."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            if size <= head + tail + 2 * MARGIN:
                return size, masker.mask(f.read().decode(errors="replace"))
            first = f.read(head + MARGIN)
            f.seek(size - tail - MARGIN)
            last = f.read()
    except FileNotFoundError:
        return 0, ""
    begin = masker.mask(first.decode(errors="replace"))[:head]
    end = masker.mask(last.decode(errors="replace"))
    end = end[-tail:] if tail else ""
    if not head:
        return size, end
    left = size - head - tail
    return size, f"{begin}\n[... about {left:,} bytes of the log left out ...]\n{end}"
