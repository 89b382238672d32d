"""The embedded local grid: real detached processes whose state lives on disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from controller.grid.base import JobRequest, JobStatus
from controller.grid.local import LocalBackend


def request(name: str, code: str, tmp: Path, time_limit_s: int = 60) -> JobRequest:
    return JobRequest(
        name=name, command=[sys.executable, "-c", code], workdir=str(tmp), time_limit_s=time_limit_s
    )


def wait(backend: LocalBackend, name: str, states: set[str], timeout: float = 30) -> JobStatus:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = backend.query([name])[name]
        if status.state in states:
            return status
        time.sleep(0.1)
    raise AssertionError(f"{name} never reached {states}: {backend.query([name])[name]}")


def test_job_outlives_the_submitting_process_and_a_new_backend_sees_it(tmp_path: Path) -> None:
    state = tmp_path / "grid"
    code = (
        "import sys; from pathlib import Path; from controller.grid.local import LocalBackend;"
        "from controller.grid.base import JobRequest;"
        f"LocalBackend(Path({str(state)!r})).submit(JobRequest(name='j1', workdir={str(tmp_path)!r},"
        'command=[sys.executable, \'-c\', \'import time; time.sleep(1); open("out.txt","w").write("hi"); print("done")\']))'
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)  # the submitter exits
    backend = LocalBackend(state)
    assert backend.query(["j1"])["j1"].state in {"running", "pending"}
    status = wait(backend, "j1", {"done"})
    assert status.exit_code == 0 and status.host and status.started and status.finished
    assert (tmp_path / "out.txt").read_text() == "hi"
    assert "done" in backend.log_path("j1").read_text()


def test_failed_job_keeps_exit_code_and_unknown_names_are_unknown(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "grid")
    backend.submit(request("bad", "import sys; print('boom'); sys.exit(3)", tmp_path))
    status = wait(backend, "bad", {"failed"})
    assert status.exit_code == 3
    assert "boom" in backend.log_path("bad").read_text()
    assert backend.query(["never"])["never"].state == "unknown"


def test_submitting_the_same_name_twice_runs_it_once(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "grid")
    code = "open('count.txt','a').write('x')"
    backend.submit(request("once", code, tmp_path))
    backend.submit(request("once", code, tmp_path))
    wait(backend, "once", {"done"})
    assert (tmp_path / "count.txt").read_text() == "x"


def test_at_most_slots_jobs_run_and_waiting_ones_start_by_themselves(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "grid", slots=1)
    backend.submit(request("first", "import time; time.sleep(1.5)", tmp_path))
    backend.submit(request("second", "pass", tmp_path))
    states = backend.query(["first", "second"])
    assert states["first"].state == "running"
    assert states["second"].state == "pending"
    # nobody polls: the first job's wrapper starts the second when it ends
    time.sleep(4)
    done = json.loads((tmp_path / "grid" / "jobs" / "second" / "result.json").read_text())
    assert done["exit_code"] == 0


def test_killed_job_is_lost_not_running(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "grid")
    backend.submit(request("victim", "import time; time.sleep(60)", tmp_path))
    wait(backend, "victim", {"running"})
    launched = json.loads((tmp_path / "grid" / "jobs" / "victim" / "launched.json").read_text())
    os.killpg(launched["pid"], signal.SIGKILL)
    assert wait(backend, "victim", {"lost"}).exit_code is None


def test_cancel_and_time_limit(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "grid")
    backend.submit(request("slow", "import time; time.sleep(60)", tmp_path))
    backend.submit(request("hung", "import time; time.sleep(60)", tmp_path, time_limit_s=1))
    wait(backend, "slow", {"running"})
    backend.cancel(["slow"])
    assert wait(backend, "slow", {"cancelled"}).state == "cancelled"
    hung = wait(backend, "hung", {"failed"})
    assert hung.exit_code == -9
    assert "time limit" in backend.log_path("hung").read_text()
