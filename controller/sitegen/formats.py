"""How the site writes numbers, sizes, times and states, shared by the Jinja filters
(``render.FILTERS``) and, in JavaScript, ``site/assets/formats.js`` (the train pages). Pure: strings in,
strings out; ``public`` hides this machine's paths.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from markupsafe import Markup

from controller.catalog.models import CodeFromPullRequest, CodeFromTag, CodeVersion
from controller.records import ENDED, FileSlice, TrainRecord
from controller.sitegen.model import Histogram
from controller.sitegen.svg import histogram_svg

Hide = tuple[tuple[str, str], ...]  # (prefix of this machine, what it is shown as)


def number(value: float | None, digits: int = 4) -> str:
    """An integer with thousands separators, else ``digits`` significant digits; '—' for None."""
    if value is None:
        return "—"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


def seconds(value: float | None) -> str:
    """CPU or wall time readable at any size: '12.3 s', '4.1 ms', '35 µs', '2 h 03 min'."""
    if value is None:
        return "—"
    if value >= 60:
        return duration(timedelta(seconds=value))
    if value >= 1 or value == 0:
        return f"{value:.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def bytesize(n: int | None) -> str:
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def when(moment: datetime | None, seconds: bool = True) -> str:
    """The time in UTC; without seconds and without 'UTC' for table cells (say it in the head)."""
    if moment is None:
        return "—"
    if moment.tzinfo is not None and moment.utcoffset():
        moment = moment.astimezone(UTC)
    text = moment.isoformat(" ", "seconds")  # half the time of strftime; 100,000s of them
    if not seconds:
        return text[:16]
    return text[:19] + (" UTC" if moment.tzinfo else "")


def period(start: datetime, end: datetime | None) -> str:
    """'2010-11-05 10:00 → 10:04' (the end's date only where it differs), in UTC."""
    first = when(start, seconds=False)
    if end is None:
        return f"{first} → …"
    last = when(end, seconds=False)
    return f"{first} → {last[11:] if last[:10] == first[:10] else last}"


def duration(span: timedelta | None) -> str:
    if span is None:
        return "—"
    seconds = max(0, round(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def config_value(value: object) -> str:
    """A configuration value as it reads in YAML: strings bare, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def code_version(code: CodeVersion) -> str:
    if isinstance(code, CodeFromTag):
        return f"tag {code.tag}"
    if isinstance(code, CodeFromPullRequest):
        return f"pull request #{code.pull_request}"
    return "commit at composition"


def basename(path: str) -> str:
    """The last part of a path or URL."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def file_slice(s: FileSlice) -> str:
    name = basename(s.path)
    if s.entry_start or s.entry_stop is not None:
        stop = "end" if s.entry_stop is None else f"{s.entry_stop:,}"
        return f"{name} [{s.entry_start:,}, {stop})"
    return name


def svg(h: Histogram) -> Markup:
    # Safe: svg.py escapes every piece of text it puts into the picture.
    return Markup(histogram_svg(h))


def shown_state(state: str, record: TrainRecord) -> str:
    """A job or attempt still pending or running in an ended train was stopped with it:
    'cancelled'."""
    if record.state in ENDED and state in ("pending", "running"):
        return "cancelled"
    return state


def public(text: str | None, hide: Hide) -> str:
    """``text`` with this machine's paths replaced by what they are ('$OUTPUTS', '~')."""
    if not text:
        return ""
    for prefix, label in hide:
        text = text.replace(prefix, label)
    return text
