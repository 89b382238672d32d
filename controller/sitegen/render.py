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
from controller.records import ENDED, FileSlice, TrainRecord
from controller.sitegen.links import ICONS, helpers
from controller.sitegen.model import (
    DayStats,
    Histogram,
    Site,
    TestRun,
    TrainsPage,
    page_path,
    trains_page_path,
)
from controller.sitegen.svg import STATUS_COLOURS, histogram_svg, series_svg
from controller.wagontest.judge import Sample

Hide = tuple[tuple[str, str], ...]  # (prefix of this machine, what it is shown as)
TRAINS_PER_PAGE = 500


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


def shown_state(state: str, record: TrainRecord) -> str:
    """A job or attempt still pending or running in an ended train was stopped with it:
    'cancelled'."""
    if record.state in ENDED and state in ("pending", "running"):
        return "cancelled"
    return state


def cost_plot(history: list[TestRun]) -> Markup:
    """CPU per event of each test, oldest first, each dot coloured by the test's status."""
    runs = list(reversed(history))[-30:]
    labels = [t.created.strftime("%m-%d %H:%M") for t in runs]
    values = [t.case.figures.cpu_ms_per_event if t.case.figures else None for t in runs]
    colours = [STATUS_COLOURS.get(t.case.status, "#666") for t in runs]
    return Markup(
        series_svg("CPU per event in each test", "ms / event", labels, values, False, colours)
    )


def days_plot(days: list[DayStats], what: str) -> Markup:
    labels = [d.day[5:] for d in days]
    if what == "cpu":
        top = max((d.cpu_h for d in days), default=0.0)
        if top < 1:  # minutes read better than hundredths of an hour
            minutes = [d.cpu_h * 60 for d in days]
            return Markup(
                series_svg("CPU of finished trains per day", "CPU minutes", labels, minutes, True)
            )
        return Markup(
            series_svg(
                "CPU of finished trains per day", "CPU hours", labels, [d.cpu_h for d in days], True
            )
        )
    return Markup(
        series_svg(
            "Trains finished per day", "trains", labels, [float(d.trains) for d in days], True
        )
    )


def metrics_json(samples: list[Sample]) -> Markup:
    """A test's samples as the engine's metrics.json, safe inside <script type=application/json>."""
    doc = {"samples": [s.model_dump() for s in samples]}
    text = json.dumps(doc, separators=(",", ":"), sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


FILTERS: dict[str, Callable[..., Any]] = {
    "number": number,
    "seconds": seconds,
    "shown_state": shown_state,
    "cost_plot": cost_plot,
    "days_plot": days_plot,
    "metrics_json": metrics_json,
    "icon": lambda status: ICONS.get(status, "○"),
    "bytesize": bytesize,
    "when": when,
    "period": period,
    "duration": duration,
    "config_value": config_value,
    "code_version": code_version,
    "file_slice": file_slice,
    "basename": lambda path: path.rstrip("/").rsplit("/", 1)[-1],
    "svg": svg,
    "short": lambda sha, n=10: sha[:n],
    "analysis_page": lambda name: page_path("analysis", name),
    "dataset_page": lambda name: page_path("dataset", name),
    "runlist_page": lambda name: page_path("runlist", name),
    "train_page": lambda name: page_path("train", name),
    "wagon_page": lambda ref: page_path("wagon", ref),
    "member_page": lambda login: page_path("member", login),
    "trains_page": trains_page_path,
}


def public(text: str | None, hide: Hide) -> str:
    """``text`` with this machine's paths replaced by what they are ('$OUTPUTS', '~')."""
    if not text:
        return ""
    for prefix, label in hide:
        text = text.replace(prefix, label)
    return text


def environment(templates: Path, hide: Hide = ()) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates do not change during a build: no stat per page
    )
    env.filters.update(FILTERS)
    env.filters["public"] = lambda text: public(text, hide)
    env.globals["version"] = controller.__version__
    return env


PageJob = tuple[str, str, str, object]  # (path, template, nav section, page data)


def page_jobs(site: Site) -> list[PageJob]:
    """Every page of the site: where it goes, its template, its section and its data."""
    jobs: list[PageJob] = [
        ("index.html", "index.html", "index", None),
        ("analyses.html", "analyses.html", "analyses", None),
        ("wagons.html", "wagons.html", "wagons", None),
        ("members.html", "members.html", "members", None),
        ("datasets.html", "datasets.html", "datasets", None),
        ("runlists.html", "runlists.html", "runlists", None),
        ("performance.html", "performance.html", "performance", None),
    ]
    per = TRAINS_PER_PAGE
    chunks = [site.trains[i : i + per] for i in range(0, len(site.trains), per)] or [()]
    jobs += [
        (
            trains_page_path(n),
            "trains.html",
            "trains",
            TrainsPage(n, len(chunks), c, (n - 1) * per + 1),
        )
        for n, c in enumerate(chunks, 1)
    ]
    jobs += [(page_path("analysis", p.name), "analysis.html", "analyses", p) for p in site.analyses]
    jobs += [(page_path("wagon", p.ref), "wagon.html", "wagons", p) for p in site.wagons]
    jobs += [(page_path("member", p.login), "member.html", "members", p) for p in site.members]
    jobs += [(page_path("dataset", p.name), "dataset.html", "datasets", p) for p in site.datasets]
    jobs += [(page_path("runlist", p.name), "runlist.html", "runlists", p) for p in site.runlists]
    jobs += [
        (page_path("train", p.summary.train_id), "train.html", "trains", p)
        for p in site.train_pages
    ]
    return jobs


def piece(site: Site, env: Environment, name: str, section: str = "", root: str = "") -> Markup:
    """One of the pieces every page repeats (``_nav.html``, ``_footer.html``), once
    ``renderer`` has given ``env`` the site's helpers."""
    context = {"site": site, "section": section, "root": root}
    return Markup(env.get_template(name).render(context))


def renderer(site: Site, env: Environment) -> Callable[[PageJob], str]:
    """A function rendering one page job of ``site`` to HTML."""
    env.globals.update(helpers(site))
    pieces: dict[tuple[str, str, str], Markup] = {}

    def chrome(name: str, section: str, root: str) -> Markup:
        """A piece every page repeats (``_nav.html``, ``_footer.html``), rendered once per
        section and page depth: 100,000 train pages share two."""
        key = (name, section, root)
        found = pieces.get(key)
        if found is None:
            found = pieces[key] = piece(site, env, name, section, root)
        return found

    env.globals["chrome"] = chrome
    templates: dict[str, Any] = {}

    def render(job: PageJob) -> str:
        path, template, section, page = job
        if template not in templates:
            templates[template] = env.get_template(template)
        root = "../" * path.count("/")
        context = {"site": site, "page": page, "root": root, "section": section}
        html: str = templates[template].render(context)
        return html

    return render


def render_pages(site: Site, env: Environment) -> dict[str, str]:
    """Every page of the site as {path relative to the site root: HTML} (small sites, tests)."""
    render = renderer(site, env)
    return {job[0]: render(job) for job in page_jobs(site)}
