"""Run one wagon-test job in the sandbox, in a directory of its own, and say what it did.

The job runs as ``python -m controller job`` through ``controller.sandbox`` (read-only view of
the system, cleared environment, its own PID namespace, a hard memory limit), killed whole at
its timeout and always at its end, also when this process is interrupted. Its log is kept
capped, with secrets masked; its results are read only from its own, fresh directory. A job
that ended without its report is blamed on the wagon it was in (``engine.progress``).
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from controller import sandbox
from controller.engine.blame import at_entries
from controller.engine.progress import PROGRESS_NAME, last_wagon
from controller.errors import WagonyardError
from controller.job import JobSpec
from controller.logs import excerpt
from controller.records import JobReport
from controller.secrets import Masker
from controller.wagontest.judge import Sample

LOG_HEAD, LOG_TAIL = 2_000, 8_000


@dataclass
class Outcome:
    """What one test process did."""

    ok: bool
    message: str
    report: JobReport | None
    samples: list[Sample] = field(default_factory=list)
    log_bytes: int = 0
    log: str = ""


def _error_line(log: str) -> str:
    for line in reversed(log.splitlines()):
        if line.startswith("wagonyard: "):
            return line.removeprefix("wagonyard: ").removeprefix("error: ")
    lines = [line for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run_process(spec: JobSpec, timeout_s: float, masker: Masker | None = None) -> Outcome:
    """Run ``spec`` in the sandbox in ``spec.output_dir``, which must not exist yet."""
    work = Path(spec.output_dir).resolve()
    try:
        work.mkdir(parents=True)
    except FileExistsError as exc:  # never judge a job on files an earlier run left
        raise WagonyardError(
            f"{work}: the test directory exists already; choose a new one"
        ) from exc
    spec_path = work / "job.json"
    spec_path.write_text(spec.model_dump_json(indent=1) + "\n")
    log_path = work / "log"
    remote = any("://" in s.path for s in spec.slices)
    box = sandbox.Sandbox(workdir=work, network=remote, memory_mb=spec.memory_mb)
    argv = [*sandbox.PYTHON, "-m", "controller", "job", str(spec_path)]
    with log_path.open("wb") as log:
        proc = sandbox.start(argv, box, stdout=log)
        try:
            code = proc.wait(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            code, timed_out = None, True
        finally:  # on success too: nothing the job started outlives it; and on Ctrl-C
            sandbox.kill_all(proc)
    log_bytes, text = excerpt(log_path, LOG_HEAD, LOG_TAIL, masker or Masker([]))
    outcome = Outcome(ok=False, message="", report=None, log_bytes=log_bytes, log=text)
    if timed_out or code is None:
        outcome.message = f"timeout: still running after {timeout_s:g} s; killed"
    elif code != 0:
        outcome.message = _ended(spec, work, code, text)
    else:
        try:
            outcome.report = JobReport.model_validate_json((work / "report.json").read_text())
            metrics = json.loads((work / "metrics.json").read_text())
            outcome.samples = [Sample.model_validate(s) for s in metrics["samples"]]
            outcome.ok = True
        except (OSError, ValueError) as exc:
            outcome.message = _ended(spec, work, code, text, f" without its report ({exc})")
    if masker is not None:
        outcome.message = masker.mask(outcome.message)
    return outcome


def _ended(spec: JobSpec, work: Path, code: int, log: str, what: str = "") -> str:
    """Why a job that exited ``code`` failed, blamed on the wagon it was in if it was in one."""
    signalled = code < 0 or (code > 128 and "wagonyard: " not in log)
    number = -code if code < 0 else code - 128
    how = (
        f"was killed by signal {_signal_name(number)}" if signalled else f"exited with code {code}"
    )
    if not signalled and "wagonyard: " in log:  # the job said what went wrong
        return _error_line(log)
    inside = last_wagon(work / PROGRESS_NAME)
    if inside is not None:
        index, slice_index, start, stop = inside
        wagon = spec.wagons[index].directory if 0 <= index < len(spec.wagons) else f"#{index}"
        path = spec.slices[slice_index].path if 0 <= slice_index < len(spec.slices) else "?"
        cause = " (over the memory limit?)" if signalled and number == signal.SIGKILL else ""
        return f"wagon {wagon} ended the job: it {how}{what}{cause} {at_entries(path, start, stop)}"
    return f"the job {how}{what}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
