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
CACHE = ".wagonyard-cache"  # the build's own files in the site's folder: hidden, never published
FILE_LIST = f"{CACHE}/files.txt"  # what the last build wrote


def write_if_changed(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it holds those bytes already; whether it wrote."""
    try:
        with open(path, "xb") as f:  # a new file (most, on a first build): no stat first
            f.write(data)
        return True
    except FileExistsError:
        pass
    if os.stat(path).st_size == len(data):
        with open(path, "rb") as f:
            if f.read() == data:
                return False
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
        there, here = os.stat(target), os.stat(source)
    except FileNotFoundError:
        pass
    else:
        if os.path.samestat(there, here):  # linked by the last build: nothing to read
            return
        if there.st_size == here.st_size and Path(target).read_bytes() == source.read_bytes():
            return
    if os.path.lexists(target):
        os.unlink(target)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def built_before(out_dir: Path) -> set[str] | None:
    """The files the last build wrote into ``out_dir`` (relative paths, from its list
    ``.wagonyard-cache/files.txt``); none for a folder that is empty or absent; None when
    unknown (a folder built by an older wagonyard, or by hand)."""
    try:
        return set((out_dir / FILE_LIST).read_text().splitlines())
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    try:
        return set() if not any(out_dir.iterdir()) else None
    except FileNotFoundError:
        return set()


def remove_stale(out_dir: Path, keep: Iterable[str], before: set[str] | None) -> None:
    """Remove the files an earlier build wrote for objects that no longer exist, and the
    folders that leaves empty; then list the files of this build for the next one. Files the
    last build listed are compared, not walked: a big site has 400,000 of them. Unknown
    (``before`` None): every file in the generated folders that is not kept is removed."""
    kept = set(keep)
    root = str(out_dir)
    if before is None:
        _walk_and_remove(out_dir, kept)
    else:
        folders: set[str] = set()
        for relative in sorted(before - kept):
            if os.path.isabs(relative) or ".." in relative.split("/"):
                continue  # not one we wrote: the list was edited
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(root, relative))
            folders.add(os.path.dirname(relative))
        for folder in sorted(folders, key=len, reverse=True):
            while folder and folder.split("/")[0] in GENERATED_FOLDERS:
                with contextlib.suppress(OSError):  # not empty: kept
                    os.rmdir(os.path.join(root, folder))
                folder = os.path.dirname(folder)
    target = out_dir / FILE_LIST
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text("".join(f"{p}\n" for p in sorted(kept)))
    os.replace(tmp, target)


def _walk_and_remove(out_dir: Path, kept: set[str]) -> None:
    for page in out_dir.glob("trains-*.html"):
        if page.name not in kept:
            page.unlink()
    root = str(out_dir)
    for folder in GENERATED_FOLDERS:
        for here, _, names in os.walk(out_dir / folder, topdown=False):
            left = False
            for name in names:
                path = os.path.join(here, name)
                if os.path.relpath(path, root) in kept:
                    left = True
                else:
                    os.unlink(path)
            if not left:  # emptied, unless a folder in it is left
                with contextlib.suppress(OSError):
                    os.rmdir(here)
