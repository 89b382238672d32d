"""The ports the test and demo servers (XRootD, SMTP) take: free, and below the kernel's range
for outgoing connections, so that no client's source port takes one between the pick and the
server's bind (an XRootD server of a test once failed that way: 'address already in use')."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    _need_xrootd()
    calls = itertools.count()
    with (
        _taken_port(monkeypatch, lambda: next(calls) % 2 == 1),  # se-b's port, each try
        pytest.raises(WagonyardError, match=r"did not start \(3 tries") as caught,
        demostorage.xrootd_servers(tmp_path / "work"),
    ):
        pass
    said = str(caught.value)
    assert "se-b did not start" in said
    assert "address already in use" in said  # the server's own words, from the end of its log
    assert next(calls) == 6  # three tries of two ports
    base = demostorage.servers_dir(tmp_path / "work")
    assert (base / "se-a" / "se-a" / "xrootd.log").is_file()  # se-a had started
    assert _servers_under(base) == []  # and is stopped


def test_a_server_whose_port_was_taken_meanwhile_starts_on_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The port picked is taken before the server binds it, once: the next try takes
    other ports and the servers start."""
    _need_xrootd()
    calls = itertools.count()
    with _taken_port(monkeypatch, lambda: next(calls) == 0) as taken:  # the first pick only
        # not under pytest's private folder: the server runs as the user 'xrootd'
        base = Path(tempfile.mkdtemp(prefix="wagonyard-xrootd-"))
        base.chmod(0o755)
        try:
            ports = demostorage.start_servers(base, ("se-a",))
            assert ports["se-a"] != taken
            assert _servers_under(base) != []
        finally:
            demostorage._script("--down", str(base))
            shutil.rmtree(base, ignore_errors=True)


@contextmanager
def _taken_port(monkeypatch: pytest.MonkeyPatch, when: Callable[[], bool]) -> Iterator[int]:
    """A port something else listens on, which ``free_port`` gives whenever ``when()`` says
    (a port taken between the pick and the server's bind); other picks are really free."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = int(taken.getsockname()[1])
        monkeypatch.setattr(demostorage, "free_port", lambda: port if when() else free_port())
        yield port


def _need_xrootd() -> None:
    if shutil.which("xrootd") is None or shutil.which("xrdcp") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("XRootD is needed in CI but Debian's xrootd-server is not installed")
        pytest.skip("Debian's xrootd-server is not installed (bash scripts/install.sh --test)")


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
