"""Recall each train's summary from the last build, so that a rebuild does not read, validate
and summarize again the records that did not change (a big site has 100,000; that was two
thirds of a rebuild's time) nor read their output files again.

Each shard keeps ``.wagonyard-cache/summaries/part-N.pickle`` in the site's folder (hidden:
never published): per record, by its blob id on the history branch, the digest of what its
summary depends on beside the record (``TrainShard.depends``: the dataset's CPU limit, the
memory its wagons' tests measured, its output file's size, time and inode, the outputs' folder
and the hidden paths) and the summary as plain tuples (``model.pack``). A summary is recalled
only when that digest is the same; a file written by other code (another wagonyard, another
site package) is not read at all. The files are read with an unpickler that makes nothing but
tuples, strings, numbers and times: a cache edited by hand cannot run code.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pydantic_core

import controller
from controller.sitegen.writing import CACHE

FOLDER = f"{CACHE}/summaries"
Recalled = tuple[str, tuple[Any, ...]]  # (digest of what the summary depends on, packed)
# what a summary holds beside tuples, strings and numbers: times, their zones (pydantic's own
# when it parsed the record)
_ALLOWED = {
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
    ("pydantic_core._pydantic_core", "TzInfo"): pydantic_core.TzInfo,
}


def code_key() -> str:
    """The version and the code that reads records and makes summaries: a change to either
    summarizes every record again."""
    h = hashlib.blake2b(controller.__version__.encode(), digest_size=16)
    package = Path(controller.__file__).parent
    for path in [package / "records.py", *sorted((package / "sitegen").glob("*.py"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class _Unpickler(pickle.Unpickler):
    """Makes plain data and times, nothing else (no function is ever called by name)."""

    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED.get((module, name))
        if allowed is not None:
            return allowed
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the summaries' cache")


def load(folder: Path | None, code: str) -> dict[str, Recalled]:
    """Every summary the shards of the last build kept in ``folder``, by record key; nothing
    from a file that cannot be read or was written by other code."""
    recalled: dict[str, Recalled] = {}
    if folder is None:
        return recalled
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return recalled
    for name in names:
        if not (name.startswith("part-") and name.endswith(".pickle")):
            continue
        try:
            with open(folder / name, "rb") as f:
                written_by, entries = _Unpickler(io.BufferedReader(f)).load()
        except Exception:  # a cache that cannot be read (cut, edited) is a cache missed
            continue
        if written_by == code and isinstance(entries, dict):
            recalled.update(entries)
    return recalled


def keep(folder: Path | None, index: int, code: str, entries: Mapping[str, Recalled]) -> None:
    """Keep a shard's summaries for the next build (written whole, then renamed into place)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"part-{index}.pickle"
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump((code, dict(entries)), f, pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)


def forget_parts(folder: Path | None, parts: int) -> None:
    """Remove the files of shards this build did not have (a build with more cores before)."""
    if folder is None:
        return
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            number = name.removeprefix("part-").removesuffix(".pickle")
            if (number.isdigit() and int(number) >= parts) or name.endswith(".tmp"):
                (folder / name).unlink(missing_ok=True)
