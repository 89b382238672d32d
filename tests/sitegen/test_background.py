"""A piece of a build run in a forked process: what it writes is there once waited for, and
what goes wrong in it comes back as a plain error naming that piece, not as silence."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from controller.errors import WagonyardError
from controller.sitegen.background import in_background


def test_the_work_is_done_in_another_process(tmp_path: Path) -> None:
    target = tmp_path / "pid"
    wait = in_background(lambda: target.write_text(str(os.getpid())), "writing the pid")
    wait()
    assert target.read_text() != str(os.getpid())  # a child wrote it


@pytest.mark.parametrize("fork", [True, False])
def test_a_failure_is_raised_naming_the_work(tmp_path: Path, fork: bool) -> None:
    (tmp_path / "files").write_text("a file where the downloads' folder should be")

    def work() -> None:
        (tmp_path / "files" / "x.record.json").write_text("{}")

    if fork:
        wait = in_background(work, "writing the trains' downloads", fork=True)
        with pytest.raises(WagonyardError, match="writing the trains' downloads failed: Not"):
            wait()
        quiet = in_background(work, "writing the trains' downloads", fork=True)
        quiet(quiet=True)  # the build failed already: only wait, the first error is told
        assert multiprocessing.active_children() == []
    else:  # small sites: done at once, its error raised as it is
        with pytest.raises(NotADirectoryError):
            in_background(work, "writing the trains' downloads", fork=False)
