"""``wagonyard demo --storage xrootd``: the demo's input files on two XRootD storage elements
(se-a, the files' own, and se-b with replicas), two sites of the local grid, one beside each,
and the merged outputs written to se-b.

The servers are Debian's xrootd started by ``scripts/xrootd-up.sh`` under the demo's working
directory, on free ports, and stopped when the demo ends. Adapter: it starts processes and
writes the demo repository's files.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import yaml

from controller.catalog.loader import load_valid_catalog
from controller.catalog.models import FileList
from controller.engine.files import resolve_path
from controller.errors import WagonyardError
from controller.workspace import shipped

ELEMENTS = ("se-a", "se-b")
OUTPUT = "se-b"


def free_port() -> int:
    """A TCP port on localhost nothing listens on now, below the range the kernel gives the
    source ports of outgoing connections: a port that range gave (``bind`` to 0) may be taken
    by a client's connection, such as a health check of the server started just before,
    between now and the moment the server binds it."""
    low = _ephemeral_low()
    pick = random.SystemRandom()
    for _ in range(500):
        port = pick.randrange(10_000, low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise WagonyardError(
        f"no free TCP port on 127.0.0.1 between 10000 and {low}; stop some servers and retry"
    )


def _ephemeral_low() -> int:
    """The first port of the kernel's range for outgoing connections (Linux: 32768)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768
    return low if low > 11_000 else 32_768


def _script(*args: str) -> str | None:
    """Run ``xrootd-up.sh``; what it said when it failed, else None."""
    script = shipped("scripts") / "xrootd-up.sh"
    done = subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=120)
    return (done.stderr or done.stdout).strip() if done.returncode != 0 else None


def start_servers(base: Path, names: Sequence[str], tries: int = 3) -> dict[str, int]:
    """Start an XRootD server per name under ``base``, each on a free port: name -> port. A
    port free when picked may be taken before the server binds it, so a start that fails is
    stopped and tried again on other ports; the last failure is the error, the servers' own
    words in it."""
    said = ""
    for _ in range(tries):
        ports = {name: free_port() for name in names}
        failed = _script(str(base), *(f"{name}:{port}" for name, port in ports.items()))
        if failed is None:
            return ports
        said = failed
        _script("--down", str(base))  # the servers that did start: none is left running
    raise WagonyardError(
        f"the XRootD servers did not start ({tries} tries, other ports each time): {said}; "
        "is Debian's xrootd-server installed (bash scripts/install.sh --test)?"
    )


def servers_dir(workdir: Path) -> Path:
    """Where the servers keep their files: under ``workdir``, or, started by root (they then
    run as the user 'xrootd', who may not enter a private home), in a folder of the temporary
    directory named after ``workdir``."""
    workdir = workdir.resolve()
    if os.geteuid() != 0:
        return workdir / "xrootd"
    digest = hashlib.sha256(str(workdir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"wagonyard-demo-xrootd-{digest}"


@contextmanager
def xrootd_servers(workdir: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """Two XRootD servers: storage element name -> URL, and where their files are."""
    if shutil.which("xrootd") is None or shutil.which("xrdcp") is None:
        raise WagonyardError(
            "--storage xrootd needs Debian's xrootd-server and xrootd-client: "
            "apt-get install xrootd-server xrootd-client (bash scripts/install.sh --test does)"
        )
    base = servers_dir(workdir)
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    _script("--down", str(base))  # an earlier demo's, if any
    ports = start_servers(base, ELEMENTS)
    try:
        yield {name: f"root://127.0.0.1:{port}//" for name, port in ports.items()}, base
    finally:
        _script("--down", str(base))


def put_on_storage(repo: Path, urls: dict[str, str], data_root: Path, datasets: list[str]) -> None:
    """Copy each demo dataset's files onto both storage elements (verified), point the datasets
    at them, and configure the storage elements, the two sites and the output storage element
    in the demo repository's wagonyard.yaml."""
    from controller.storage.transfer import copy_verified

    catalog = load_valid_catalog(repo / "catalog")
    for name in datasets:
        entry = catalog.datasets[name]
        relative: list[str] = []
        for spec in entry.model.files:
            if not isinstance(spec, FileList):
                raise WagonyardError(f"--storage xrootd: dataset '{name}' lists no files by path")
            for path in spec.paths:
                source = resolve_path(path, data_root)
                target = f"{name}/{Path(source).name}"
                for url in urls.values():
                    copy_verified(source, url + target)
                relative.append(target)
        file = repo / entry.path
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        data["files"] = [{"paths": relative, "storage_element": "se-a", "replicas": ["se-b"]}]
        file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    elements = {n: {"url": url, "site": f"site-{n[-1]}"} for n, url in urls.items()}
    settings = {
        "grid": {"local": {"sites": {"site-a": {"slots": 1}, "site-b": {"slots": 1}}}},
        "storage": {"elements": elements, "output": OUTPUT},
    }
    (repo / "wagonyard.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
