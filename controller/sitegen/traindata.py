"""A train's page as data for the browser: the record as stored in git (this machine's paths
hidden) and what the site adds to it (usage per wagon, the output's histograms drawn as SVG,
the previous train, the downloads, the links), which ``site/assets/train.js`` draws. A big
site has 100,000 train pages: written as HTML in Python each took a millisecond of the build,
most of it formatting and escaping the jobs and attempts; as data, the record goes in as it
is stored. Pure: formats a ``TrainPage``, reads nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from markupsafe import escape

from controller.records import ENDED, TrainRecord
from controller.sitegen.formats import svg
from controller.sitegen.model import (
    Download,
    Frame,
    Hist1D,
    Histogram,
    JobTotals,
    TrainOutput,
    TrainPage,
    TrainSummary,
    VariantRow,
    page_path,
)

RECORD = "record.json"  # the download that is the record itself, embedded once


def script_json(text: str) -> str:
    """JSON text that can stand inside ``<script>``: every '<' written as its escape, so that
    no text of a record ends the script ('</script>') or starts a comment ('<!--')."""
    return text.replace("<", "\\u003c")


def _n(value: float | None) -> float | None:
    """A number JSON can carry (no NaN, no infinity: shown as '—')."""
    return value if value is None or math.isfinite(value) else None


def _histogram(h: Histogram) -> dict[str, Any]:
    drawn = {"name": h.name, "svg": str(svg(h)), "entries": _n(h.entries)}
    if isinstance(h, Hist1D):
        drawn.update(
            mean=_n(h.mean), std=_n(h.std), underflow=_n(h.underflow), overflow=_n(h.overflow)
        )
    else:
        drawn.update(mean_x=_n(h.mean_x), mean_y=_n(h.mean_y))
    return drawn


class Shown(NamedTuple):
    """What a train's page shows of its record and its output (``trainpage.record_page``)."""

    summary: TrainSummary
    record: TrainRecord
    output: TrainOutput
    no_histograms: tuple[str, ...]  # wagon directories of the train absent from the output
    variants: tuple[tuple[str, tuple[VariantRow, ...]], ...]  # (ref, rows)
    downloads: tuple[Download, ...]
    locality_moved: int  # attempts started after locality was relaxed
    totals: JobTotals


def shown(s: Shown, public: Callable[[str | None], str]) -> str:
    """What ``train.js`` draws beside the record and the links, as a JSON object: made once,
    when the record is read; ``public`` hides the machine's paths in the texts the site adds
    (the record's are hidden in its download, ``downloads.offered``)."""
    t, r, output = s.summary, s.record, s.output
    downloads = []
    for d in s.downloads:
        if d.path is not None:  # a file of the site, under the site's root
            downloads.append([d.label, d.what, d.path, None])
        elif d.label != RECORD:
            assert d.text is not None
            downloads.append([d.label, d.what, None, d.text()])
        else:  # the record itself: the page's record
            downloads.append([d.label, d.what, None, None])
    data = {
        "summary": {
            "jobs_done": t.jobs_done,
            "jobs_failed": t.jobs_failed,
            "cpu_s": _n(t.cpu_s),
            "turnaround_s": t.turnaround.total_seconds() if t.turnaround else None,
        },
        "output": {
            "sha256_ok": output.sha256_ok,
            "problem": public(output.problem) if output.problem else None,
            "provenance": public(output.provenance),
            "wagons": [[w.directory, [_histogram(h) for h in w.histograms]] for w in output.wagons],
        },
        "no_histograms": list(s.no_histograms),
        "variants": [
            [ref, [[row.name, [_cell(d, h) for d, h in row.cells]] for row in rows]]
            for ref, rows in s.variants
        ],
        "usage": [
            [
                u.directory,
                u.ref,
                _n(u.cpu_s),
                u.events,
                _n(u.cpu_ms_per_event),
                u.over_limit,
                _n(u.pss_mb),
                _n(u.rss_mb),
                u.output_bytes,
            ]
            for u in t.usage
        ],
        "totals": {
            "cpu_s": _n(s.totals.cpu_s),
            "max_pss_mb": _n(s.totals.max_pss_mb),
            "max_rss_mb": _n(s.totals.max_rss_mb),
        },
        "locality_moved": s.locality_moved,
        "ended": r.state in ENDED,
        "downloads": downloads,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _cell(directory: str, h: Histogram | None) -> list[Any]:
    return [directory, str(svg(h)) if h else None, _n(h.entries) if h else None]


class TrainData:
    """Writes train pages' bodies: the record, and the page's data as JSON (what the record
    and output show, then the links and the previous train), for ``train.js``."""

    def __init__(self, site: Frame) -> None:
        self.site = site
        self.hrefs: dict[tuple[Any, str, str], str | None] = {}  # a wagon is in many trains

    def _href(self, kind: Any, name: str, root: str) -> str | None:
        key = (kind, name, root)
        try:
            return self.hrefs[key]
        except KeyError:
            href = root + page_path(kind, name) if self.site.has(kind, name) else None
            self.hrefs[key] = href
            return href

    def data(self, page: TrainPage, root: str) -> str:
        """The page's data: what the previous train and the site add, then ``page.shown``."""
        previous = page.previous
        dataset = page.summary.record.dataset
        added = {
            "root": root,
            "links": {
                "dataset": self._href("dataset", dataset, root),
                "wagons": {ref: self._href("wagon", ref, root) for ref in page.refs},
                "previous": (
                    self._href("train", previous.train_id, root) if previous is not None else None
                ),
                "repo": self.site.repo_url,
            },
            "previous": (
                None
                if previous is None
                else {
                    "train_id": previous.train_id,
                    "created": previous.created.isoformat(),
                    "events_processed": previous.events_processed,
                    "catalog_commit": previous.catalog_commit,
                }
            ),
            "comparison": [
                [
                    c.directory,
                    c.name,
                    _n(c.entries),
                    _n(c.before_entries),
                    _n(c.mean),
                    _n(c.before_mean),
                ]
                for c in page.comparison
            ],
        }
        text = json.dumps(added, ensure_ascii=False, separators=(",", ":"))
        return text[:-1] + "," + page.shown[1:]

    def body(self, page: TrainPage, root: str) -> str:
        """The page's body: its heading (drawn without JavaScript too), the record and the
        data as JSON, and the script that draws them."""
        tid = escape(page.summary.train_id)
        state = escape(page.state)
        return (
            f'<p class="crumbs"><a href="{root}trains.html">Trains</a> / {tid}</p>\n'
            f'<h1>Train {tid} <span class="badge state-{state}">{state}</span></h1>\n'
            '<div id="train-page"><noscript><p class="alert">This page draws the train\'s '
            "record with JavaScript, which is off: the record is in the page's source."
            "</p></noscript></div>\n"
            f'<script type="application/json" id="train-record">{script_json(page.record)}'
            "</script>\n"
            '<script type="application/json" id="train-data">'
            f"{script_json(self.data(page, root))}</script>\n"
            f'<script src="{root}assets/train.js" defer></script>\n'
        )
