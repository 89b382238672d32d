"""Render the site model to HTML strings with the Jinja2 templates of ``site/templates``.

Every filter the templates use is registered here, in ``FILTERS``; templates get the typed
``Site`` and their page's context, and every link is relative to the page (``root``), so the
site works from ``file://`` and under any http path. Writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

import controller
from controller.sitegen.formats import (
    Hide,
    bytesize,
    code_version,
    config_value,
    duration,
    number,
    public,
    seconds,
    when,
)
from controller.sitegen.links import ICONS, helpers
from controller.sitegen.model import (
    DayStats,
    Frame,
    Site,
    TestRun,
    TrainPage,
    TrainsPage,
    page_path,
    trains_page_path,
)
from controller.sitegen.svg import STATUS_COLOURS, series_svg
from controller.sitegen.traindata import TrainData
from controller.wagontest.judge import Sample

TRAINS_PER_PAGE = 500


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
            "Trains finished per day",
            "trains",
            labels,
            [float(d.trains) for d in days],
            True,
            whole=True,
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
    "cost_plot": cost_plot,
    "days_plot": days_plot,
    "metrics_json": metrics_json,
    "icon": lambda status: ICONS.get(status, "○"),
    "bytesize": bytesize,
    "when": when,
    "duration": duration,
    "config_value": config_value,
    "code_version": code_version,
    "member_page": lambda login: page_path("member", login),
    "trains_page": trains_page_path,
}


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
    return jobs


def piece(site: Frame, env: Environment, name: str, section: str = "", root: str = "") -> Markup:
    """One of the pieces every page repeats (``_nav.html``, ``_footer.html``), once
    ``renderer`` has given ``env`` the site's helpers."""
    context = {"site": site, "section": section, "root": root}
    return Markup(env.get_template(name).render(context))


def _chrome(site: Frame, env: Environment) -> dict[str, Callable[..., Any]]:
    """Give ``env`` the site's helpers and ``chrome``: the pieces every page repeats
    (``_nav.html``, ``_footer.html``), rendered once per section and page depth; the
    helpers."""
    shared = helpers(site)
    env.globals.update(shared)
    pieces: dict[tuple[str, str, str], Markup] = {}

    def chrome(name: str, section: str, root: str) -> Markup:
        key = (name, section, root)
        found = pieces.get(key)
        if found is None:
            found = pieces[key] = piece(site, env, name, section, root)
        return found

    env.globals["chrome"] = chrome
    return shared


def train_renderer(site: Frame, env: Environment) -> Callable[[str, TrainPage], str]:
    """A function rendering a train's page at a path: its body as data (``TrainData``),
    in the frame of ``train.html`` rendered once per page depth."""
    _chrome(site, env)
    bodies = TrainData(site)
    frames: dict[str, tuple[str, str, str]] = {}

    def render(path: str, page: TrainPage) -> str:
        root = "../" * path.count("/")
        frame = frames.get(root)
        if frame is None:
            title, body = Markup("\x00title\x00"), Markup("\x00body\x00")
            context = {"site": site, "root": root, "section": "trains"}
            html = env.get_template("train.html").render(context, title=title, body=body)
            before, _, rest = html.partition(title)
            middle, _, after = rest.partition(body)
            frame = frames[root] = (before, middle, after)
        return f"{frame[0]}{escape(page.summary.train_id)}{frame[1]}{bodies.body(page, root)}{frame[2]}"

    return render


def renderer(site: Site, env: Environment) -> Callable[[PageJob], str]:
    """A function rendering one page job of ``site`` (but train pages) to HTML."""
    # the helpers get the frame only: the macros Jinja imports are a cycle of objects that
    # keeps them, and through them the site (millions of objects) until the cycle collector
    # runs (2.8 s, on a big site), instead of freeing it when the build no longer uses it
    _chrome(site.frame(), env)
    templates: dict[str, Any] = {}

    def render(job: PageJob) -> str:
        path, template, section, page = job
        root = "../" * path.count("/")
        if template not in templates:
            templates[template] = env.get_template(template)
        context = {"site": site, "page": page, "root": root, "section": section}
        html: str = templates[template].render(context)
        return html

    return render
