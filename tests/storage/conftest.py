"""Real XRootD servers for the storage tests, started by scripts/xrootd-up.sh on free ports.

Each test gets its own servers (they start in a fraction of a second), so that one a test kills
is never another test's. Where XRootD is not installed the tests skip with the reason; in CI
(CI=true) they fail instead, so that a missing install step never passes unseen.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller.demostorage import start_servers
from controller.errors import WagonyardError

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "xrootd-up.sh"


@dataclass
class Server:
    name: str
    port: int
    base: Path

    @property
    def url(self) -> str:
        return f"root://127.0.0.1:{self.port}//"

    @property
    def data(self) -> Path:
        return self.base / self.name / "data"

    def put(self, source: Path, relative: str) -> Path:
        """Place a file on this storage element (as its server's own disk has it)."""
        target = self.data / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if os.geteuid() == 0:  # the server runs as 'xrootd': what it serves is its own
            subprocess.run(["chown", "-R", "xrootd:xrootd", str(self.data)], check=True)
        return target

    def kill(self) -> None:
        """Stop the server the hard way, as a storage element going down does."""
        pidfile = self.base / self.name / "xrootd.pid"
        os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)


@pytest.fixture
def xrootd() -> Iterator[dict[str, Server]]:
    """Three storage elements, se-a, se-b and se-c, each its own XRootD server."""
    if shutil.which("xrootd") is None or shutil.which("xrdcp") is None:
        reason = "Debian's xrootd-server and xrootd-client are not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"XRootD is needed in CI but {reason}")
        pytest.skip(f"{reason} (bash scripts/install.sh --test installs them)")
    # not under pytest's temporary folder: started by root, the servers run as the user
    # 'xrootd', who must reach their directories
    base = Path(tempfile.mkdtemp(prefix="wagonyard-xrootd-"))
    base.chmod(0o755)
    try:
        ports = start_servers(base, ("se-a", "se-b", "se-c"))
    except WagonyardError as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(str(exc))
    servers = {name: Server(name, port, base) for name, port in ports.items()}
    yield servers
    subprocess.run(["bash", str(SCRIPT), "--down", str(base)], timeout=60, check=False)
    shutil.rmtree(base, ignore_errors=True)
