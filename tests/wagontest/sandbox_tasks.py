"""Wagons that attack the machine, the secrets or the other wagons, one way each."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import awkward as ak
import hist
import numpy as np
from pydantic import Field

from controller.engine.task import Task, TaskConfig

# The tests put this value in the caller's environment as GITHUB_TOKEN. A wagon cannot read it
# (the sandbox clears the environment), so this one knows it already, as if it had leaked.
TOKEN = "ghp_wagonyardTestToken0123456789abcdefXYZ"
LEFTOVER = "wagonyard-leftover-child"


class Good(Task):
    columns = ("M",)

    def book(self) -> dict[str, hist.Hist]:
        return {"m": hist.Hist(hist.axis.Regular(60, 0, 150, name="m"))}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        out["m"].fill(m=np.asarray(events.M))


class ExitsQuietly(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        os._exit(0)


class CallsSysExit(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        sys.exit(0)


class RaisesKeyboardInterrupt(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        raise KeyboardInterrupt


class ClearsItsHistograms(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        out.clear()


class BooksJunk(Good):
    def book(self) -> dict[str, hist.Hist]:
        return {"m": "a histogram, promise"}  # type: ignore[dict-item]


class WritesFiles(Good):
    """Plants psutil.py where Python looks first, and a file in the repository and in HOME."""

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        here = Path(__file__).resolve().parent  # the analysis folder, in the repository
        for target in (Path("psutil.py"), here / "planted.txt", Path.home() / "planted.txt"):
            with contextlib.suppress(OSError):  # read-only in the sandbox
                target.write_text("raise ImportError('planted by a wagon')\n")
        super().process(events, out)


class PrintsTheToken(Good):
    """Prints the token plain, inside a long line, base64-encoded, and across the log's cut."""

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        print(f"environment has GITHUB_TOKEN: {'GITHUB_TOKEN' in os.environ}")
        print(TOKEN)
        print("x" * 300 + TOKEN + "y" * 300)
        print(base64.b64encode(f"user:{TOKEN}".encode()).decode())
        print("z" * 40_000)  # a long log: its head and tail are kept, the middle cut
        raise RuntimeError(f"cannot authenticate with {TOKEN}")


class LeavesAChild(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)", LEFTOVER],
            start_new_session=True,
        )
        super().process(events, out)


class TakesAllMemory(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        self.hoard = np.ones(375_000_000)  # 3 GB: the machine has it, the limit does not
        super().process(events, out)


_burners: list[threading.Thread] = []


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class BurnsInAThread(Good):
    """Its own code is cheap; the thread it starts is not."""

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        if not _burners:
            _burners.append(threading.Thread(target=_burn, args=(1.5,), daemon=True))
            _burners[0].start()
        time.sleep(0.05)  # let the thread run (sleeping costs this thread no CPU)
        super().process(events, out)


class HangsWithAChild(Good):
    """Starts a child, then never returns: for the interruption test."""

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)", LEFTOVER],
            start_new_session=True,
        )
        time.sleep(600)


class PrintsItsEnvironment(Good):
    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        print(f"environment: {sorted(os.environ)}; token {os.environ.get('GITHUB_TOKEN')}")
        print(f"the token, known some other way: {TOKEN}")
        super().process(events, out)


class PhonesHomeConfig(TaskConfig):
    port: int = Field(0, description="a port listening on this machine")


class PhonesHome(Good):
    """Tries to reach a server on this machine: the sandbox has no network."""

    Config = PhonesHomeConfig

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        try:
            socket.create_connection(("127.0.0.1", self.config.port), timeout=2).close()
            print("network: reached the server")
        except OSError as exc:
            print(f"network: {type(exc).__name__}")
        super().process(events, out)
