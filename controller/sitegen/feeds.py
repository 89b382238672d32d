"""Atom feeds of train and wagon-test results: all of them, per analysis and per member, written
by feedgen (well-formed, escaped). Each entry links the train's or the wagon's page; times are
the records' own, so the same inputs give the same bytes. Writes nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

from controller.sitegen.model import Site, TestRun, TrainSummary, file_name, page_path

ENTRIES = 50


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    when: datetime
    page: str
    text: str


def _train_item(t: TrainSummary) -> Item:
    r = t.record
    wagons = ", ".join(sorted({w.ref for w in r.wagons if w.enabled}))
    text = f"Train {r.train_id} on {r.dataset}: {r.state}. Events: {r.events_processed:,}. Wagons: {wagons}."
    if r.message:
        text += f"\n{r.message}"
    return Item(
        f"train:{r.train_id}",
        f"Train {r.train_id} {r.state}",
        r.finished or r.created,
        page_path("train", r.train_id),
        text,
    )


def _test_item(t: TestRun) -> Item:
    c = t.case
    ref = c.name if c.kind == "wagon" else ""
    why = "; ".join(c.reasons) if c.reasons else ""
    page = page_path("wagon", ref) if ref else page_path("dataset", c.dataset)
    return Item(
        f"test:{t.test_id}:{c.dataset}:{c.name}",
        f"Test of {c.name} on {c.dataset}: {c.status}",
        t.created,
        page,
        f"{c.name} on {c.dataset}: {c.status}. {why}".strip(),
    )


def _feed(site: Site, path: str, title: str, items: Iterable[Item], base_url: str | None) -> bytes:
    chosen = sorted(items, key=lambda i: (i.when, i.key), reverse=True)[:ENTRIES]
    base = base_url.rstrip("/") + "/" if base_url else ""
    fg = FeedGenerator()
    fg.id(f"urn:wagonyard:{path}")
    fg.title(f"{site.title}: {title}")
    fg.link(href=f"{base}{path}", rel="self")
    fg.link(href=f"{base}index.html", rel="alternate")
    fg.updated(max((i.when for i in chosen), default=site.generated))
    fg.generator("wagonyard")
    for item in reversed(chosen):  # feedgen puts the last one added first
        entry = fg.add_entry()
        entry.id(f"urn:wagonyard:{item.key}")
        entry.title(item.title)
        entry.updated(item.when)
        entry.link(href=f"{base}{item.page}")
        entry.content(item.text, type="text")
    data: bytes = fg.atom_str(pretty=True)
    return data


def feeds(site: Site, base_url: str | None) -> dict[str, bytes]:
    """{path under the site root: Atom document}."""
    trains = [_train_item(t) for t in site.trains if t.record.finished is not None]
    tests = [_test_item(t) for w in site.wagons for t in w.history[:ENTRIES]]
    out = {
        "feeds/trains.xml": _feed(site, "feeds/trains.xml", "trains", trains, base_url),
        "feeds/tests.xml": _feed(site, "feeds/tests.xml", "wagon tests", tests, base_url),
    }
    for a in site.analyses:
        path = f"feeds/analyses/{file_name(a.name)}.xml"
        items = [_train_item(t) for t in a.trains[:ENTRIES] if t.record.finished is not None]
        items += [_test_item(t) for w in a.wagons for t in w.history[:ENTRIES]]
        out[path] = _feed(site, path, f"analysis {a.name}", items, base_url)
    for m in site.members:
        path = f"feeds/members/{file_name(m.login)}.xml"
        items = [_train_item(t) for t in m.trains if t.record.finished is not None]
        items += [_test_item(t) for a in m.analyses for w in a.wagons for t in w.history[:5]]
        out[path] = _feed(site, path, f"{m.login}'s analyses", items, base_url)
    return out
