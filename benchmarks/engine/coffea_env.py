"""Find or make an interpreter with coffea, and time ``coffea_run.py`` with it (figure K).

coffea is not one of wagonyard's dependencies. Installing it beside wagonyard could move the
versions every engineer here runs against, so it goes into its own virtual environment (with
the system's packages visible, so it shares uproot, awkward and hist where their pins allow).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.engine.measure import ONE_THREAD

RUNNER = Path(__file__).resolve().parent / "coffea_run.py"


@dataclass(frozen=True)
class Interpreter:
    python: str | None
    note: str  # how it was found, or why there is none


def _has_coffea(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import coffea"], capture_output=True, check=False)
    return probe.returncode == 0


def find(out: Path, given: str | None, install: bool) -> Interpreter:
    """The interpreter given, this one, a venv made earlier in ``out``, or a new one there."""
    if given is not None:
        if _has_coffea(given):
            return Interpreter(given, f"given: {given}")
        return Interpreter(None, f"{given} cannot import coffea")
    if _has_coffea(sys.executable):
        return Interpreter(sys.executable, "this interpreter")
    venv = out / "coffea-venv"
    python = venv / "bin" / "python"
    if python.exists() and _has_coffea(str(python)):
        return Interpreter(str(python), f"{venv} (made by an earlier run)")
    if not install:
        return Interpreter(None, "coffea is not importable and --no-coffea-install was given")
    print(f"installing coffea into {venv} (pip install coffea, about a minute) ...", flush=True)
    steps = [
        [sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "coffea"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            return Interpreter(None, f"'{' '.join(step[-3:])}' failed: {last}")
    return Interpreter(str(python), f"{venv} (installed now)")


def run(
    python: str, files: list[Path], step: int, repeat: int
) -> tuple[dict[str, Any] | None, str]:
    """The best of ``repeat`` coffea runs over ``files``, or None and why it failed.

    The child inherits this process's CPU affinity, and gets the jobs' one-thread environment.
    """
    done = subprocess.run(
        [python, str(RUNNER), str(step), str(repeat), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **ONE_THREAD},
    )
    if done.returncode != 0:
        return None, (done.stderr.strip().splitlines() or ["no message"])[-1]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result, result["versions"]
