"""Write the built site into its folder: only files whose bytes changed are written, so a
rebuild of the same inputs touches nothing; files an earlier build made for objects that are
gone are removed. Plain ``os`` calls: a big site has 400,000 files. Adapter: files only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from controller.sitegen.model import FOLDERS

GENERATED_FOLDERS = (*FOLDERS.values(), "feeds", "files")


def write_if_changed(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it holds those bytes already; whether it wrote."""
    try:
        if os.stat(path).st_size == len(data):
            with open(path, "rb") as f:
                if f.read() == data:
                    return False
    except FileNotFoundError:
        pass
    with open(path, "wb") as f:
        f.write(data)
    return True


def write_files(out_dir: Path, files: Iterable[tuple[str, bytes]]) -> list[Path]:
    """Write each file whose content changed; return every path given."""
    written = []
    made: set[str] = set()
    root = str(out_dir)
    for relative, data in files:
        path = os.path.join(root, relative)
        parent = os.path.dirname(path)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        write_if_changed(path, data)
        written.append(out_dir / relative)
    return written


def place(source: bytes | Path, target: str) -> None:
    """Put ``source`` (bytes, or a file to link or copy) at ``target`` unless it is there."""
    if isinstance(source, bytes):
        write_if_changed(target, source)
        return
    try:
        same = os.stat(target).st_size == source.stat().st_size
    except FileNotFoundError:
        same = False
    if same and Path(target).read_bytes() == source.read_bytes():
        return
    if os.path.lexists(target):
        os.unlink(target)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def remove_stale(out_dir: Path, keep: set[Path]) -> None:
    """Remove files an earlier build wrote for objects that no longer exist."""
    for page in out_dir.glob("trains-*.html"):
        if page not in keep:
            page.unlink()
    kept = {str(p) for p in keep}
    for folder in GENERATED_FOLDERS:
        for here, _, names in os.walk(out_dir / folder, topdown=False):
            left = False
            for name in names:
                path = os.path.join(here, name)
                if path in kept:
                    left = True
                else:
                    os.unlink(path)
            if not left:  # emptied, unless a folder in it is left
                with contextlib.suppress(OSError):
                    os.rmdir(here)
