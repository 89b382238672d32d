"""Hostile wagons under 'wagonyard test': each gets the right verdict and message, no secret
leaves, nothing outlives the test, nothing is written outside its sandbox, and a second run
never reads the first one's files."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from controller.sandbox import bwrap_problem
from controller.wagontest.report import CaseReport, TestReport
from tests.catalogs import with_analysis
from tests.wagontest.sandbox_tasks import LEFTOVER, TOKEN

HERE = Path(__file__).parent
WAGONS = {
    "good": "Good",
    "exits-quietly": "ExitsQuietly",
    "calls-sys-exit": "CallsSysExit",
    "raises-keyboard-interrupt": "RaisesKeyboardInterrupt",
    "clears-its-histograms": "ClearsItsHistograms",
    "books-junk": "BooksJunk",
    "writes-files": "WritesFiles",
    "prints-the-token": "PrintsTheToken",
    "leaves-a-child": "LeavesAChild",
    "takes-all-memory": "TakesAllMemory",
    "burns-in-a-thread": "BurnsInAThread",
    "phones-home": "PhonesHome",
}


def make_catalog(root: Path) -> Path:
    limits = {"memory_mb": 250, "cpu_ms_per_event": 0.2, "log_kb": 512, "test_timeout_s": 60}
    return with_analysis(
        root, "sandboxed", HERE / "sandbox_tasks.py", WAGONS, "zmumu-tight",
        test_sample={"files": 1, "events": 2000}, limits=limits,
    )  # fmt: skip


def leftovers() -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if LEFTOVER in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(proc.name)
        except OSError:
            continue
    return found


class Run:
    def __init__(self, root: Path, catalog: Path, name: str) -> None:
        caller = root / f"caller-{name}"
        caller.mkdir()
        self.caller, self.home = caller, root / "home"
        self.home.mkdir(exist_ok=True)
        env = {**os.environ, "GITHUB_TOKEN": TOKEN, "HOME": str(self.home)}
        self.done = subprocess.run(
            [sys.executable, "-m", "controller", "test", "--catalog", str(catalog),
             "--dataset", "zmumu-tight", "--work", str(root / "work"),
             "--markdown", str(caller / "comment.md"), "--json", str(caller / "report.json")],
            cwd=caller, env=env, capture_output=True, text=True, timeout=900,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self.json = (caller / "report.json").read_text()
        self.markdown = (caller / "comment.md").read_text()
        self.report = TestReport.model_validate_json(self.json)
        self.leftovers = leftovers()

    def case(self, wagon: str) -> CaseReport:
        (tests,) = self.report.datasets
        return next(c for c in tests.cases if c.name == f"sandboxed/{wagon}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run, Path]:
    if os.environ.get("CI") and bwrap_problem():
        pytest.fail(f"bubblewrap must run in CI: {bwrap_problem()}")
    root = tmp_path_factory.mktemp("sandbox")
    catalog = make_catalog(root)
    with socket.socket() as server:  # a server on this machine that no wagon may reach
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        phones = catalog / "analyses" / "sandboxed" / "wagons" / "phones-home.yaml"
        wagon = yaml.safe_load(phones.read_text())
        phones.write_text(yaml.safe_dump({**wagon, "config": {"port": server.getsockname()[1]}}))
        runs = Run(root, catalog, "first"), Run(root, catalog, "second"), catalog
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody came
    return runs


@pytest.mark.slow
def test_the_command_fails_and_the_good_wagon_passes(runs: tuple[Run, Run, Path]) -> None:
    for run in runs[:2]:
        assert run.done.returncode == 1, run.done.stderr
        assert "Traceback" not in run.done.stderr
        assert run.done.stderr.strip().splitlines()[-1].startswith("wagonyard: error: ")
        assert run.case("good").status == "done", run.case("good").reasons


@pytest.mark.slow
@pytest.mark.parametrize(
    ("wagon", "message"),
    [
        ("exits-quietly", r"wagon sandboxed/exits-quietly ended the job: it exited with code 0 "
                          r"without its report \(.*\) while processing .*uproot-Zmumu.root "
                          r"entries 0-\d+"),
        ("calls-sys-exit", r"wagon sandboxed/calls-sys-exit called sys.exit\(0\) while "
                           r"processing .*uproot-Zmumu.root entries 0-\d+: a wagon must return"),
        ("raises-keyboard-interrupt", r"wagon sandboxed/raises-keyboard-interrupt raised "
                                      r"KeyboardInterrupt: +while processing .* entries 0-\d+"),
        ("clears-its-histograms", r"wagon sandboxed/clears-its-histograms: its booked "
                                  r"histogram\(s\) m vanished while processing"),
        ("books-junk", r"wagon sandboxed/books-junk .*book\(\) must return hist.Hist objects by "
                       r"name: 'm' is a str"),
        ("takes-all-memory", r"wagon sandboxed/takes-all-memory went over the memory limit "
                             r"\(the limit of 2,036 MB of address space\) while processing"),
    ],
)  # fmt: skip
def test_each_misdeed_fails_its_wagon_with_a_message_naming_it(
    runs: tuple[Run, Run, Path], wagon: str, message: str
) -> None:
    for run in runs[:2]:  # the second run judges its own files, never the first run's
        case = run.case(wagon)
        assert case.status == "failed"
        assert re.search(message, case.reasons[0]), case.reasons
        assert "internal error" not in case.reasons[0]


@pytest.mark.slow
def test_no_secret_reaches_the_wagon_or_leaves_in_any_output(runs: tuple[Run, Run, Path]) -> None:
    run = runs[0]
    case = run.case("prints-the-token")
    assert case.status == "failed"
    assert "environment has GITHUB_TOKEN: False" in case.log
    assert case.reasons[0].startswith("wagon sandboxed/prints-the-token raised RuntimeError: "
                                      "cannot authenticate with ***")  # fmt: skip
    assert case.log.count("***") >= 4  # plain, in a long line, in base64, in the error
    for text in (run.json, run.markdown, run.done.stdout, run.done.stderr):
        assert TOKEN not in text and TOKEN[4:20] not in text


@pytest.mark.slow
def test_nothing_is_written_outside_the_sandbox_and_nothing_outlives_it(
    runs: tuple[Run, Run, Path],
) -> None:
    first, second, catalog = runs
    for run in (first, second):
        assert run.case("writes-files").status == "done"
        assert run.case("leaves-a-child").status == "done"
        assert run.leftovers == [], "a wagon's child survived its test"
        assert not (run.caller / "psutil.py").exists()
        assert sorted(p.name for p in run.caller.iterdir()) == ["comment.md", "report.json"]
        assert not (run.home / "planted.txt").exists()
    assert not list(catalog.rglob("planted.txt"))
    assert not list((catalog.parent / "work").rglob("*.tmp"))


@pytest.mark.slow
def test_a_wagon_has_no_network(runs: tuple[Run, Run, Path]) -> None:
    case = runs[0].case("phones-home")
    assert case.status == "done", case.reasons
    assert "network: OSError" in case.log or "network: ConnectionRefusedError" in case.log
    assert "reached the server" not in case.log


@pytest.mark.slow
def test_cpu_of_a_thread_the_wagon_started_is_billed_to_it(runs: tuple[Run, Run, Path]) -> None:
    case = runs[0].case("burns-in-a-thread")
    assert case.figures is not None
    assert case.figures.wagon_cpu_ms_per_event < 0.2  # its own thread did little
    assert case.figures.other_threads_cpu_ms_per_event > 0.3
    assert case.status == "warning"
    assert any(r.startswith("CPU:") for r in case.reasons), case.reasons


@pytest.mark.slow
@pytest.mark.parametrize(("signal_number", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_interrupting_the_command_stops_its_jobs_and_says_so(
    tmp_path: Path, signal_number: int, code: int
) -> None:
    catalog = make_catalog(tmp_path)
    wagons = catalog / "analyses" / "sandboxed" / "wagons"
    for path in wagons.iterdir():
        path.unlink()
    wagon = {
        "name": "hangs",
        "task": "tasks:HangsWithAChild",
        "enabled": [{"dataset": "zmumu-tight"}],
    }
    (wagons / "hangs.yaml").write_text(yaml.safe_dump(wagon))
    proc = subprocess.Popen(
        [sys.executable, "-m", "controller", "test", "--catalog", str(catalog),
         "--wagon", "sandboxed/hangs", "--work", str(tmp_path / "work")],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not leftovers() and time.monotonic() < deadline:  # the wagon is in its test
        time.sleep(0.1)
    assert leftovers(), "the hanging wagon never started"
    proc.send_signal(signal_number)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "wagonyard: interrupted: the running test job was stopped" in err
    assert "Traceback" not in err
    time.sleep(0.5)
    assert leftovers() == []
