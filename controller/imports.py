"""Import analysts' modules in a sandboxed child process, each module under a time limit.

``validate`` and ``test`` must look into the wagons' task classes, and so import analysts'
code; they do it here, never in their own process. The child (``python -m <target> REQUEST``)
says on a line before each import which module it imports, then reports its results and
``end``. A module that hangs (past ``timeout_s``), ends the process (``os._exit``, a crash) or
is killed is named from that line; the child is started again, told to skip the modules that
failed so far, and the others are checked. Adapter: processes and files.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from controller import sandbox
from controller.errors import WagonyardError
from controller.secrets import Masker

OUT, REQUEST, LOG = "out.jsonl", "request.json", "log"
DEFAULT_TIMEOUT_S = 60.0


@dataclass
class ImportRun:
    """What the child reported, and the modules that could not be imported at all."""

    results: list[dict[str, Any]] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # module file -> why


def run_child(
    target: str,
    request: dict[str, Any],
    workdir: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    masker: Masker | None = None,
) -> ImportRun:
    """Run ``python -m target`` on ``request`` until it ends having skipped every bad module."""
    run = ImportRun()
    workdir = workdir.resolve()  # the child works in its own directory: paths are absolute
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 1000):
        where = workdir / f"attempt-{attempt}"
        where.mkdir()
        (where / REQUEST).write_text(json.dumps({**request, "skip": sorted(run.failed)}))
        lines, why = _once(target, where, timeout_s)
        importing = None
        run.results = []
        for line in lines:
            if "importing" in line:
                importing = line["importing"]
            elif "imported" in line:
                importing = None
            elif "end" in line:
                return run
            else:
                run.results.append(line)
        if importing is None or importing in run.failed:
            raise WagonyardError(
                f"the check of the analyses' code ({target}) {why or 'failed'} outside any "
                f"analysis module: a bug in wagonyard; its log is {where / LOG}"
            )
        run.failed[importing] = why if masker is None else masker.mask(why)
    raise WagonyardError(f"the check of the analyses' code ({target}) never ended")


def _once(target: str, where: Path, timeout_s: float) -> tuple[list[dict[str, Any]], str]:
    """Run the child once; its lines and, if it did not end well, why."""
    box = sandbox.Sandbox(workdir=where)
    argv = [*sandbox.PYTHON, "-m", target, str(where / REQUEST)]
    with (where / LOG).open("wb") as log:
        proc = sandbox.start(argv, box, stdout=log)
        why = ""
        try:
            since, current, watch = time.monotonic(), None, _Watch(where / OUT)
            while proc.poll() is None:
                time.sleep(0.02)
                now_importing = watch.importing()
                if now_importing != current:
                    since, current = time.monotonic(), now_importing
                # a module gets timeout_s; the child's own work between modules far more
                limit = timeout_s if current is not None else 10 * timeout_s
                if time.monotonic() - since > limit:
                    why = f"did not finish in {limit:g} s (killed)"
                    break
        finally:
            sandbox.kill_all(proc)
    lines = _read(where / OUT)
    if not why:
        code = proc.returncode
        if code < 0 or code > 128:
            number = -code if code < 0 else code - 128
            why = f"ended the process: killed by signal {_name(number)}"
        elif not any("end" in x for x in lines):
            why = f"ended the process (exit code {code})"
    return lines, why


class _Watch:
    """The module the child is importing now, from the lines added since the last look."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.current = path, 0, None

    def importing(self) -> str | None:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                new = f.read()
        except FileNotFoundError:
            return self.current
        done = new.rfind(b"\n") + 1  # whole lines only; the rest is read next time
        self.offset += done
        for raw in new[:done].splitlines():
            if raw.startswith((b'{"importing"', b'{"imported"')):
                self.current = json.loads(raw).get("importing")
        return self.current


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    lines = []
    for raw in text.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:  # a line cut by a crash
            continue
    return lines


def _name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


class Reporter:
    """The child's side: reads the request, reports imports and results line by line.

    Whatever analysts' code prints goes to the log (stderr), never into the report.
    """

    def __init__(self, request_path: Path) -> None:
        self.request: dict[str, Any] = json.loads(request_path.read_text())
        self.skip = set(self.request.get("skip", []))
        self._out: IO[str] = (request_path.parent / OUT).open("a", encoding="utf-8")
        import os
        import sys

        sys.stdout.flush()
        os.dup2(2, 1)  # analysts' prints go to the log

    def _write(self, line: dict[str, Any]) -> None:
        self._out.write(json.dumps(line) + "\n")
        self._out.flush()

    @contextmanager
    def importing(self, module: str) -> Iterator[None]:
        self._write({"importing": module})
        yield
        self._write({"imported": module})

    def result(self, line: dict[str, Any]) -> None:
        self._write(line)

    def end(self) -> None:
        self._write({"end": True})
        self._out.close()
