"""Render the site model to HTML strings with the Jinja2 templates of ``site/templates``.

Every filter the templates use is registered here, in ``FILTERS``; templates get the typed
``Site`` and their page's context, and every link is relative to the page (``root``), so the
site works from ``file://`` and under any http path. Writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

import controller
from controller.catalog.models import CodeFromPullRequest, CodeFromTag, CodeVersion
from controller.records import FileSlice
from controller.sitegen.model import Histogram, Site, page_path, wagon_anchor
from controller.sitegen.svg import histogram_svg


def number(value: float | None, digits: int = 4) -> str:
    """An integer with thousands separators, else ``digits`` significant digits; '—' for None."""
    if value is None:
        return "—"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


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
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if not seconds:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo else "")


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


def file_slice(s: FileSlice) -> str:
    name = s.path.rstrip("/").rsplit("/", 1)[-1]
    if s.entry_start or s.entry_stop is not None:
        stop = "end" if s.entry_stop is None else f"{s.entry_stop:,}"
        return f"{name} [{s.entry_start:,}, {stop})"
    return name


def svg(h: Histogram) -> Markup:
    # Safe: svg.py escapes every piece of text it puts into the picture.
    return Markup(histogram_svg(h))


FILTERS: dict[str, Callable[..., Any]] = {
    "number": number,
    "bytesize": bytesize,
    "when": when,
    "period": period,
    "duration": duration,
    "config_value": config_value,
    "code_version": code_version,
    "file_slice": file_slice,
    "svg": svg,
    "short": lambda sha, n=10: sha[:n],
    "analysis_page": lambda name: page_path("analysis", name),
    "dataset_page": lambda name: page_path("dataset", name),
    "runlist_page": lambda name: page_path("runlist", name),
    "train_page": lambda name: page_path("train", name),
    "wagon_page": wagon_anchor,
}


def environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["version"] = controller.__version__
    return env


def render_pages(site: Site, env: Environment) -> dict[str, str]:
    """Every page of the site as {path relative to the site root: HTML}."""
    jobs: list[tuple[str, str, str, object]] = [
        ("index.html", "index.html", "index", None),
        ("trains.html", "trains.html", "trains", None),
        ("analyses.html", "analyses.html", "analyses", None),
        ("datasets.html", "datasets.html", "datasets", None),
        ("runlists.html", "runlists.html", "runlists", None),
    ]
    jobs += [(page_path("analysis", p.name), "analysis.html", "analyses", p) for p in site.analyses]
    jobs += [(page_path("dataset", p.name), "dataset.html", "datasets", p) for p in site.datasets]
    jobs += [(page_path("runlist", p.name), "runlist.html", "runlists", p) for p in site.runlists]
    jobs += [
        (page_path("train", p.summary.train_id), "train.html", "trains", p)
        for p in site.train_pages
    ]
    pages = {}
    for path, template, section, page in jobs:
        root = "../" * path.count("/")
        context = {"site": site, "page": page, "root": root, "section": section}
        pages[path] = env.get_template(template).render(context)
    return pages
