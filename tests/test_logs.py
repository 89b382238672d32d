"""Log excerpts keep the head and the tail, and mask a secret even where a cut splits it."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.logs import excerpt
from controller.secrets import Masker

TOKEN = "ghp_wagonyardTestToken0123456789abcdefXYZ"


@pytest.mark.parametrize("shift", range(0, len(TOKEN) + 1, 7))
def test_a_secret_across_either_cut_is_masked(tmp_path: Path, shift: int) -> None:
    head, tail = 2_000, 8_000
    size = 50_000
    text = ["a"] * size
    for start in (head - shift, size - tail - shift):  # straddles each cut by 'shift' characters
        text[start : start + len(TOKEN)] = TOKEN
    log = tmp_path / "log"
    log.write_text("".join(text))
    got_size, kept = excerpt(log, head, tail, Masker([TOKEN]))
    assert got_size == size
    assert "bytes of the log left out" in kept
    for piece in (TOKEN[:6], TOKEN[-6:], TOKEN[10:16]):
        assert piece not in kept, (shift, piece)
    assert len(kept) < head + tail + 100


def test_a_short_log_is_kept_whole_and_masked(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text(f"token={TOKEN}\nfine\n")
    assert excerpt(log, 2_000, 8_000, Masker([TOKEN])) == (len(TOKEN) + 12, "token=***\nfine\n")


def test_no_log_is_an_empty_excerpt(tmp_path: Path) -> None:
    assert excerpt(tmp_path / "none", 10, 10, Masker([])) == (0, "")
