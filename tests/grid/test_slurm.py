"""The Slurm backend against a real single-node Slurm on localhost."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from controller.grid.base import JobRequest, JobStatus
from controller.grid.slurm import SlurmBackend

pytestmark = pytest.mark.slow


def wait(backend: SlurmBackend, names: list[str], timeout: float = 60) -> dict[str, JobStatus]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        states = backend.query(names)
        if all(s.state in ("done", "failed", "cancelled", "lost") for s in states.values()):
            return states
        time.sleep(0.3)
    raise AssertionError(f"jobs did not end: {backend.query(names)}")


def test_submit_query_exit_codes_logs_and_no_double_submission(
    slurm_conf: str, tmp_path: Path
) -> None:
    backend = SlurmBackend(tmp_path / "state")
    stamp = str(int(time.time() * 1000))
    ok, bad = f"ok-{stamp}", f"bad-{stamp}"
    code = "import socket; print('ran on', socket.gethostname())"
    first = backend.submit(
        JobRequest(name=ok, command=[sys.executable, "-c", code], workdir=str(tmp_path))
    )
    again = backend.submit(
        JobRequest(name=ok, command=[sys.executable, "-c", code], workdir=str(tmp_path))
    )
    assert first == again  # found by its deterministic name, not submitted twice
    backend.submit(
        JobRequest(name=bad, command=["sh", "-c", "echo boom; exit 3"], workdir=str(tmp_path))
    )
    states = wait(backend, [ok, bad])
    assert states[ok].state == "done" and states[ok].exit_code == 0 and states[ok].host
    assert states[bad].state == "failed" and states[bad].exit_code == 3
    assert "ran on" in backend.log_path(ok).read_text()
    assert "boom" in backend.log_path(bad).read_text()
    assert backend.query([f"never-{stamp}"])[f"never-{stamp}"].state == "unknown"


def test_cancel(slurm_conf: str, tmp_path: Path) -> None:
    backend = SlurmBackend(tmp_path / "state")
    name = f"sleeper-{int(time.time() * 1000)}"
    backend.submit(JobRequest(name=name, command=["sleep", "300"], workdir=str(tmp_path)))
    backend.cancel([name])
    assert wait(backend, [name])[name].state == "cancelled"


def test_many_jobs_go_as_one_array_and_a_restarted_submitter_finds_them(
    slurm_conf: str, tmp_path: Path
) -> None:
    backend = SlurmBackend(tmp_path / "state")
    stamp = str(int(time.time() * 1000))
    requests = []
    for i in range(5):
        work = tmp_path / f"w{i}"
        work.mkdir()
        code = f"import sys; open('out.txt', 'w').write('task {i}'); print('hello {i}'); sys.exit({3 if i == 3 else 0})"
        requests.append(
            JobRequest(
                name=f"arr-{stamp}-{i}", command=[sys.executable, "-c", code], workdir=str(work)
            )
        )
    ids = backend.submit_many(requests)
    arrays = {i.split("_")[0] for i in ids}
    assert len(arrays) == 1 and [i.split("_")[1] for i in ids] == ["0", "1", "2", "3", "4"]
    assert backend.submit_many(requests) == ids  # not submitted twice
    names = [r.name for r in requests]
    states = wait(SlurmBackend(tmp_path / "state"), names)  # a new submitter process's view
    assert [states[n].state for n in names] == ["done", "done", "done", "failed", "done"]
    assert states[names[3]].exit_code == 3
    for i, r in enumerate(requests):
        assert (Path(r.workdir) / "out.txt").read_text() == f"task {i}"
        assert f"hello {i}" in backend.log_path(r.name).read_text()


def test_sites_are_node_features_a_job_runs_only_where_its_site_is(
    slurm_conf: str, tmp_path: Path
) -> None:
    """The one node is site-a (scripts/slurm-up.sh gives it Features=site-a): a job local to
    site-a runs there and learns its site; one local to site-a or site-b (no node is site-b)
    runs on site-a; one local to site-b only waits, held, until locality is relaxed; with
    site_features off, sites are ignored."""
    backend = SlurmBackend(tmp_path / "state", site_features=True)
    stamp = str(int(time.time() * 1000))
    code = "import os; print('site', os.environ.get('WAGONYARD_SITE'))"
    here = f"site-a-{stamp}"
    backend.submit(
        JobRequest(
            name=here, command=[sys.executable, "-c", code], workdir=str(tmp_path), sites=["site-a"]
        )
    )
    either = f"either-{stamp}"
    backend.submit(
        JobRequest(
            name=either,
            command=[sys.executable, "-c", code],
            workdir=str(tmp_path),
            sites=["site-a", "site-b"],  # --constraint=site-a: Slurm refuses unknown features
        )
    )
    far = f"far-{stamp}"
    backend.submit(JobRequest(name=far, command=["true"], workdir=str(tmp_path), sites=["site-b"]))
    states = wait(backend, [here, either])
    assert states[here].state == "done" and states[either].state == "done"
    assert "site site-a" in backend.log_path(here).read_text()
    assert backend.query([far])[far].state == "pending"  # held: waits for its site
    backend.cancel([far])  # what relaxing locality does before submitting it anywhere
    assert wait(backend, [far])[far].state == "cancelled"
    ignored = SlurmBackend(tmp_path / "state2")  # the default: sites are not node features
    name = f"anywhere-{stamp}"
    ignored.submit(JobRequest(name=name, command=["true"], workdir=str(tmp_path), sites=["site-b"]))
    assert wait(ignored, [name])[name].state == "done"
