"""Start a process that runs analysts' code inside a sandbox, and clean up after it.

Every process that imports or runs a wagon's task (wagon-test jobs, grid jobs, the import
checks of ``validate`` and ``test``) starts through ``command()``. With bubblewrap (``bwrap``)
it gets: a read-only view of the whole file system (the repository and the installation
included), one fresh writable directory (the attempt's own, holding its ``HOME`` and
``TMPDIR``), a cleared environment holding only ``ALLOWED`` variables (never one named like a
secret), its own PID namespace (every process it starts dies with it),
no network unless its inputs are remote, and a hard memory limit (``RLIMIT_AS``). Where bwrap
cannot run, the process-level measures remain (cleared environment, fresh directory, its own
process group, killed whole at the end, the same limit) and a one-line warning says so.
Adapter: processes and the file system.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from controller.secrets import looks_secret

if TYPE_CHECKING:
    from controller.job import JobSpec

# What passes from the caller's environment; anything named like a secret never does.
ALLOWED = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "OPENBLAS_CORETYPE",  # set on some processors so that OpenBLAS computes right
    "OPENBLAS_L2_SIZE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "WAGONYARD_SITE",  # where the grid runs the job: its replicas are read there first
    # XRootD's client timeouts (controller.engine.source sets defaults)
    "XRD_CONNECTIONRETRY",
    "XRD_CONNECTIONWINDOW",
    "XRD_REQUESTTIMEOUT",
    "XRD_STREAMTIMEOUT",
)
# The address space a job may map: the dataset's memory_mb times this, plus a fixed allowance
# for the interpreter and libraries' reservations (mapped, not resident: thread stacks, arenas).
MEMORY_FACTOR = 2.0
MEMORY_ALLOWANCE_MB = 1536
PYTHON = (sys.executable, "-I", "-B", "-u")  # isolated (no script dir or user site), unbuffered


@dataclass(frozen=True)
class Sandbox:
    """Where and how one process running analysts' code is confined."""

    workdir: Path  # fresh and empty: the only writable place, and its working directory
    network: bool = False
    memory_mb: int | None = None  # the dataset's limit; the address space gets more (above)
    die_with_parent: bool = True  # False for grid jobs, which outlive their submitter

    @property
    def address_space_bytes(self) -> int | None:
        if self.memory_mb is None:
            return None
        return int((self.memory_mb * MEMORY_FACTOR + MEMORY_ALLOWANCE_MB) * 1024 * 1024)


def environment(workdir: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allowed variables of ``environ`` (default: this process's), HOME in ``workdir``."""
    source = os.environ if environ is None else environ
    env = {k: source[k] for k in ALLOWED if k in source and not looks_secret(k)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["HOME"] = str(workdir / "home")
    env["TMPDIR"] = str(workdir / "tmp")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@functools.cache
def bwrap_problem() -> str:
    """Why bubblewrap cannot confine a process here, or '' if it can (probed once)."""
    if os.environ.get("WAGONYARD_SANDBOX") == "process":
        return "bwrap turned off (WAGONYARD_SANDBOX=process)"
    found = shutil.which("bwrap")
    if found is None:
        return "bwrap is not installed (Debian package bubblewrap)"
    probe = [found, *_namespaces(network=False), "--ro-bind", "/", "/", "--", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap did not start: {exc}"
    if done.returncode != 0:
        return f"bwrap refused: {done.stderr.strip() or f'exit {done.returncode}'}"
    return ""


_warned: list[str] = []


def _warn_once(problem: str) -> None:
    if not _warned:
        _warned.append(problem)
        print(
            f"wagonyard: warning: {problem}: analysts' code runs without a sandbox, with "
            "process-level measures only (cleared environment, fresh directory, process group "
            "killed at the end, memory limit); install bubblewrap for the full sandbox",
            file=sys.stderr,
        )


def _namespaces(network: bool) -> list[str]:
    return [
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        *([] if network else ["--unshare-net"]),
    ]


def command(argv: list[str], box: Sandbox) -> list[str]:
    """``argv`` wrapped in bwrap (if it can run here), to be started by ``start()``."""
    box.workdir.mkdir(parents=True, exist_ok=True)
    (box.workdir / "home").mkdir(exist_ok=True)
    (box.workdir / "tmp").mkdir(exist_ok=True)
    problem = bwrap_problem()
    if problem:
        _warn_once(problem)
        return argv
    work = str(box.workdir.resolve())
    return [
        shutil.which("bwrap") or "bwrap",
        *_namespaces(box.network),
        *(["--die-with-parent"] if box.die_with_parent else []),
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--bind", work, work,
        "--chdir", work,
        "--",
        *argv,
    ]  # fmt: skip


def limits(box: Sandbox) -> Callable[[], None]:
    """What the child does before exec: its own session, the memory limit, and (without
    bwrap's --die-with-parent) death when its parent dies."""
    size = box.address_space_bytes
    prctl = _prctl() if box.die_with_parent else None

    def apply() -> None:
        os.setsid()
        if size is not None:
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    return apply


PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[[int, int], int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


def run_sandboxed(spec_path: Path, spec: JobSpec) -> int:
    """Run a grid job in the sandbox and wait for it: its exit code. A SIGTERM (a cancelled
    or timed-out job) kills the sandbox whole."""
    box = Sandbox(
        workdir=Path(spec.output_dir),
        network=any(
            "://" in url for s in spec.slices for url in [s.path, *(r.url for r in s.replicas)]
        ),
        memory_mb=spec.memory_mb,
    )
    argv = [*PYTHON, "-m", "controller", "job", str(spec_path)]
    proc = start(argv, box, stdout=None, stderr=None)

    def stop(signum: int, frame: object) -> None:
        kill_all(proc)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        code = proc.wait()
    finally:
        kill_all(proc)
    return code if code >= 0 else 128 - code


def start(
    argv: list[str],
    box: Sandbox,
    stdout: int | object | None,
    stderr: int | object | None = subprocess.STDOUT,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the sandbox, in a session of its own, with a cleared environment."""
    return subprocess.Popen(
        command(argv, box),
        stdout=stdout,  # type: ignore[arg-type]
        stderr=stderr,  # type: ignore[arg-type]
        stdin=subprocess.DEVNULL,
        cwd=box.workdir,
        env=environment(box.workdir),
        preexec_fn=limits(box),
        close_fds=True,
    )


def kill_all(proc: subprocess.Popen[bytes]) -> None:
    """Kill the process's whole session (the sandbox's PID namespace dies with its first
    process); a no-op for a group that is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
