"""The ports the test and demo servers (XRootD, SMTP) take: free, and below the kernel's range
for outgoing connections, so that no client's source port takes one between the pick and the
server's bind (an XRootD server of a test once failed that way: 'address already in use')."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from controller import demostorage
from controller.demostorage import _ephemeral_low, free_port
from controller.errors import WagonyardError


def test_a_free_port_is_free_and_never_one_a_client_connection_may_be_given() -> None:
    low = _ephemeral_low()
    assert low > 10_000
    for _ in range(50):
        port = free_port()
        assert 10_000 <= port < low
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # nothing holds it
    with socket.socket() as client:  # what the kernel gives a client is in its own range
        client.bind(("127.0.0.1", 0))
        assert client.getsockname()[1] >= low


def test_when_one_demo_server_cannot_start_the_other_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("xrootd") is None or shutil.which("xrdcp") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("XRootD is needed in CI but Debian's xrootd-server is not installed")
        pytest.skip("Debian's xrootd-server is not installed (bash scripts/install.sh --test)")
    with socket.socket() as taken:  # se-b's port is held by something else
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        ports = iter([free_port(), taken.getsockname()[1]])
        monkeypatch.setattr(demostorage, "free_port", lambda: next(ports))
        with (
            pytest.raises(WagonyardError, match="se-b did not start"),
            demostorage.xrootd_servers(tmp_path / "work"),
        ):
            pass
    base = demostorage.servers_dir(tmp_path / "work")
    assert (base / "se-a" / "se-a" / "xrootd.log").is_file()  # se-a had started
    assert _servers_under(base) == []  # and is stopped


def _servers_under(base: Path) -> list[int]:
    """The pids of the processes whose command line names ``base``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(base).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found
