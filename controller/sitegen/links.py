"""The small pieces of HTML every page repeats: links to objects, state badges, test statuses
and commit links, made in Python and remembered per page depth. A 100,000-train site renders
millions of them; as Jinja macros they were most of the build's time. Escapes every text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape

from controller.sitegen.formats import bytesize, duration, number, period, seconds, when
from controller.sitegen.model import (
    Frame,
    PageKind,
    TestRun,
    TrainSummary,
    WagonTrainRow,
    page_path,
)

ICONS = {"done": "✓", "warning": "⚠", "failed": "✗", "untested": "○"}


def helpers(site: Frame) -> dict[str, Callable[..., Any]]:
    """The functions templates call: ``link``, ``badge``, ``status``, ``commit``, and the
    rows of the big tables, ``train_rows`` and ``usage_rows``."""
    links: dict[tuple[str, str, str], Markup] = {}
    badges: dict[str, Markup] = {}
    repo = site.repo_url

    def link(kind: PageKind, name: str | None, root: str) -> Markup:
        if not name:
            return Markup("—")
        key = (kind, name, root)
        found = links.get(key)
        if found is None:
            if site.has(kind, name):
                href = escape(root + page_path(kind, name))
                found = Markup(f'<a href="{href}">{escape(name)}</a>')
            else:
                found = Markup(escape(name))
            links[key] = found
        return found

    def badge(state: str) -> Markup:
        found = badges.get(state)
        if found is None:
            s = escape(state)
            found = badges[state] = Markup(f'<span class="badge state-{s}">{s}</span>')
        return found

    def status(run: TestRun | None) -> Markup:
        if run is None:
            return Markup(f'<span class="status st-untested">{ICONS["untested"]} untested</span>')
        s = run.case.status
        why = escape("; ".join(run.case.reasons))
        title = f"{s}: {why}" if why else s
        return Markup(f'<span class="status st-{s}" title="{title}">{ICONS[s]} {s}</span>')

    def commit(sha: str) -> Markup:
        code = Markup(f'<code title="{escape(sha)}">{escape(sha[:10])}</code>')
        if repo:
            return Markup(f'<a href="{escape(repo)}/commit/{escape(sha)}">{code}</a>')
        return code

    def train_rows(trains: Sequence[TrainSummary], root: str) -> Markup:
        """The rows of a trains table (the dashboard's, an analysis's, the pages of all
        trains: 100,000 rows in all on a big site)."""
        rows = []
        for t in trains:
            r = t.record
            failed = " bad" if t.jobs_failed else ""
            rows.append(
                "  <tr>\n"
                f'    <td class="id">{link("train", t.train_id, root)}</td>\n'
                f'    <td class="nowrap">{link("dataset", r.dataset, root)}</td>\n'
                f"    <td>{badge(r.state)}</td>\n"
                f'    <td class="num">{len(r.wagons)}</td>\n'
                f'    <td class="num">{number(r.events_processed)}</td>\n'
                f'    <td class="num">{t.jobs_done} / {len(r.job_states)}</td>\n'
                f'    <td class="num{failed}">{t.jobs_failed}</td>\n'
                f'    <td class="num">{bytesize(r.output_bytes)}</td>\n'
                f'    <td class="time">{period(r.created, r.finished)}</td>\n'
                f'    <td class="num">{duration(t.turnaround)}</td>\n'
                "  </tr>"
            )
        return Markup("\n".join(rows))

    heads: dict[tuple[str, str], str] = {}  # a train's cells, the same on each of its wagons'

    def usage_rows(rows: Sequence[WagonTrainRow], root: str) -> Markup:
        """The rows of a wagon's trains table: one per directory it ran as in each train."""
        out = []
        for row in rows:
            t = row.summary
            r = t.record
            head = heads.get((t.train_id, root))
            if head is None:
                head = heads[t.train_id, root] = (
                    "    <tr>\n"
                    f'      <td class="id">{link("train", t.train_id, root)}</td>\n'
                    f"      <td>{link('dataset', r.dataset, root)}</td>\n"
                    f"      <td>{badge(r.state)}</td>\n"
                    f'      <td class="time">{when(r.created, False)}</td>\n'
                )
            if not row.usage:
                out.append(
                    head + '      <td colspan="5" class="muted">no usage recorded yet</td>\n'
                    "    </tr>"
                )
            for u in row.usage:
                per = "—" if u.cpu_ms_per_event is None else f"{u.cpu_ms_per_event:.3f} ms"
                out.append(
                    head + f"      <td><code>{escape(u.directory)}</code></td>\n"
                    f'      <td class="num">{escape(seconds(u.cpu_s))}</td>\n'
                    f'      <td class="num">{per}</td>\n'
                    f'      <td class="num">{number(u.events)}</td>\n'
                    f'      <td class="num">{bytesize(u.output_bytes)}</td>\n'
                    "    </tr>"
                )
        return Markup("\n".join(out))

    return {
        "usage_rows": usage_rows,
        "link": link,
        "badge": badge,
        "status": status,
        "commit": commit,
        "train_rows": train_rows,
    }
