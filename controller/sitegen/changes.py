"""The catalog's change history, from one ``git log -p`` over ``catalog/``: for every file, the
commits that changed it (newest first), with author, date, subject, the pull request when the
subject names one, and that file's diff. Parses text; runs nothing. Pure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime

from controller.sitegen.model import Change

RECORD, FIELD = "\x1e", "\x1f"
LOG_FORMAT = "%x1e%H%x1f%an%x1f%aI%x1f%s"  # what ``git log --format`` must be given
MAX_DIFF_LINES = 200
_PULL = re.compile(r"(?:Merge pull request #|\(#|pull request #|!)(\d+)")
_HEADER = re.compile(r"^diff --git a/(.*?) b/(.*)$")


def pull_request_of(subject: str) -> int | None:
    """'Merge pull request #12 from ...' or 'Add a wagon (#12)' name pull request 12."""
    found = _PULL.search(subject)
    return int(found.group(1)) if found else None


def _per_file(patch: str) -> dict[str, str]:
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in patch.splitlines():
        header = _HEADER.match(line)
        if header:
            current = files.setdefault(header.group(2), [])
            continue
        if current is None or line.startswith(
            ("index ", "--- ", "+++ ", "new file mode", "deleted file mode")
        ):
            continue
        current.append(line)
    out = {}
    for path, lines in files.items():
        if len(lines) > MAX_DIFF_LINES:
            cut = len(lines) - MAX_DIFF_LINES
            lines = [*lines[:MAX_DIFF_LINES], f"… {cut} more line(s)"]
        out[path] = "\n".join(lines)
    return out


def parse_log(text: str) -> dict[str, tuple[Change, ...]]:
    """``git log -p --format=LOG_FORMAT`` output -> {file path: its changes, newest first}."""
    by_path: dict[str, list[Change]] = defaultdict(list)
    for record in text.split(RECORD):
        if not record.strip():
            continue
        head, _, patch = record.partition("\n")
        parts = head.split(FIELD)
        if len(parts) != 4:
            continue
        commit, author, date, subject = parts
        when = datetime.fromisoformat(date)
        pull = pull_request_of(subject)
        for path, diff in _per_file(patch).items():
            by_path[path].append(Change(commit, author, when, subject, pull, diff))
    return {p: tuple(c) for p, c in by_path.items()}
