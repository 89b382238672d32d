"""Copy a file to or from a storage element and verify the copy: size and checksum.

XRootD URLs (``root://``) are copied with ``xrdcp`` (Debian's xrootd-client) and checked with
``xrdfs``: its size by ``stat``, its content by the server's adler32 ``query checksum`` against
the source's. A storage element that is a local directory is copied to with the file system and
checked the same way. Adapter: it runs commands and touches files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from controller.errors import StorageError
from controller.storage.client import client_environment

CHUNK = 1 << 20
TIMEOUT_S = 600


def is_xrootd(url: str) -> bool:
    return url.startswith(("root://", "xroot://"))


def split_xrootd(url: str) -> tuple[str, str]:
    """'root://host:port//a/b' -> ('root://host:port', '/a/b')."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", "/" + parts.path.lstrip("/")


def _xrd(*args: str, what: str) -> str:
    tool = shutil.which(args[0])
    if tool is None:
        raise StorageError(
            f"{what}: no '{args[0]}' on PATH; install Debian's xrootd-client "
            "(bash scripts/install.sh --test installs it)"
        )
    try:
        done = subprocess.run(
            [tool, *args[1:]],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=client_environment(os.environ),
        )
    except subprocess.TimeoutExpired as exc:
        raise StorageError(f"{what}: {args[0]} did not finish in {TIMEOUT_S} s") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise StorageError(f"{what}: {args[0]} failed: {said[-1] if said else done.returncode}")
    return done.stdout


def adler32_of(path: Path) -> str:
    value = 1
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            value = zlib.adler32(block, value)
    return f"{value & 0xFFFFFFFF:08x}"


def size_of(url: str) -> int:
    """The size in bytes of the file at ``url`` (a storage element's or a local path)."""
    if not is_xrootd(url):
        try:
            return Path(url).stat().st_size
        except OSError as exc:
            raise StorageError(f"{url}: {exc.strerror}") from exc
    server, path = split_xrootd(url)
    out = _xrd("xrdfs", server, "stat", path, what=url)
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Size":
            return int(value.strip())
    raise StorageError(f"{url}: xrdfs stat gave no size")


def checksum_of(url: str) -> str:
    """The adler32 of the file at ``url``: the server's where it is on XRootD."""
    if not is_xrootd(url):
        return adler32_of(Path(url))
    server, path = split_xrootd(url)
    out = _xrd("xrdfs", server, "query", "checksum", path, what=url).split()
    if len(out) < 2 or out[0] != "adler32":
        raise StorageError(
            f"{url}: the server computes no adler32 checksum (its configuration needs "
            "'xrootd.chksum adler32')"
        )
    return out[1].lower()


def copy_verified(source: str, destination: str) -> tuple[int, str]:
    """Copy ``source`` to ``destination`` (each a local path or root:// URL), replacing what is
    there, then check that the copy has the source's size and adler32: (bytes, adler32)."""
    size, checksum = size_of(source), checksum_of(source)
    what = f"copying {source} to {destination}"
    if is_xrootd(source) or is_xrootd(destination):
        _xrd("xrdcp", "--force", "--nopbar", "--cksum", "adler32", source, destination, what=what)
    else:
        Path(destination).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(destination + ".part")
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, destination)
        except OSError as exc:
            raise StorageError(f"{what}: {exc}") from exc
    got_size, got_checksum = size_of(destination), checksum_of(destination)
    if (got_size, got_checksum) != (size, checksum):
        raise StorageError(
            f"{what}: the copy has {got_size} bytes, adler32 {got_checksum}; the source "
            f"{size} bytes, adler32 {checksum}"
        )
    return size, checksum
