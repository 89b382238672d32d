"""The body of a train's page, written in Python: a big site has 100,000 of them and as a Jinja
template each took a millisecond, mostly escaping numbers. Every text from a record, an
output file or the catalog is escaped here (as ``markupsafe.escape`` and the templates do);
numbers and our own words are not. The page's frame (head, nav, footer) stays ``base.html``.
Pure: formats a ``TrainPage``, reads nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from controller.records import FileSlice, TrainRecord
from controller.sitegen.formats import (
    basename,
    bytesize,
    duration,
    file_slice,
    number,
    period,
    seconds,
    shown_state,
    svg,
    when,
)
from controller.sitegen.model import Hist1D, TrainPage

Helpers = dict[str, Callable[..., Any]]

USAGE_NOTE = (
    '  <p class="muted">CPU: the time each wagon\'s own code took in the jobs, summed. The '
    "wagons of a job share its process, so memory is measured per wagon in its test: <em>PSS "
    "it adds</em> is its test's proportional set size over the baseline's (no wagon, same "
    "files), <em>RSS in its test</em> the resident set size of that test; the total row gives "
    "the largest PSS and RSS of any job of this train. <em>Output in the file</em>: the bytes "
    "its directory's objects take in <code>AnalysisResults.root</code>, compressed as "
    "stored.</p>\n"
)


def _e(value: object) -> str:
    """``value`` as HTML text, escaped as ``markupsafe.escape`` does, three times faster
    (no ``Markup`` made for each of the 100 texts of a page)."""
    text = value if isinstance(value, str) else str(value)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def _mb(value: float | None, form: str = "%.1f MB") -> str:
    return form % value if value is not None else "—"


def _truncate(text: str, length: int = 80, end: str = "...", leeway: int = 5) -> str:
    """Jinja's ``truncate``: cut at the last word break before ``length``."""
    if len(text) <= length + leeway:
        return text
    return text[: length - len(end)].rsplit(" ", 1)[0] + end


def _files(slices: list[FileSlice]) -> str:
    return "<br>".join(_e(file_slice(s)) for s in slices)


class TrainHtml:
    """Writes train pages' bodies with the site's helpers (``links.helpers``) and the
    machine's paths hidden by ``public``."""

    def __init__(self, helpers: Helpers, public: Callable[[str | None], str]) -> None:
        self.link = helpers["link"]
        self.badge = helpers["badge"]
        self.commit = helpers["commit"]
        self.public = public
        self.wagon_rows: dict[tuple[object, ...], str] = {}  # the rows of the wagons tables

    def body(self, page: TrainPage, root: str) -> str:
        r = page.record
        out: list[str] = []
        self._head(out, page, r, root)
        self._wagons(out, r, root)
        self._usage(out, page, r, root)
        self._jobs(out, page, r)
        self._extras(out, page, r)
        self._histograms(out, page, root)
        self._previous(out, page, r, root)
        self._downloads(out, page, r, root)
        return "".join(out)

    def _head(self, out: list[str], page: TrainPage, r: TrainRecord, root: str) -> None:
        t = page.summary
        tid = _e(r.train_id)
        out.append(f'<p class="crumbs"><a href="{root}trains.html">Trains</a> / {tid}</p>\n')
        out.append(f"<h1>Train {tid} {self.badge(r.state)}</h1>\n")
        if r.message:
            out.append(f'<p class="alert">{_e(r.message)}</p>')
        trigger = _e(r.trigger or "—")
        if r.request:
            trigger += f" (request <code>{_e(r.request)}</code>)"
        jobs = f"{t.jobs_done} of {len(r.jobs)} done"
        if t.jobs_failed:
            jobs += f', <span class="bad">{t.jobs_failed} failed</span>'
        out.append(
            '<dl class="facts">\n'
            f"  <div><dt>Dataset</dt><dd>{self.link('dataset', r.dataset, root)}</dd></div>\n"
            f"  <div><dt>Catalog commit</dt><dd>{self.commit(r.catalog_commit)}</dd></div>\n"
            f"  <div><dt>Trigger</dt><dd>{trigger}</dd></div>\n"
            f"  <div><dt>CPU</dt><dd>{_e(seconds(t.cpu_s))}</dd></div>\n"
            f"  <div><dt>Backend</dt><dd>{_e(r.backend)}</dd></div>\n"
            f"  <div><dt>Created</dt><dd>{when(r.created)}</dd></div>\n"
            f"  <div><dt>Finished</dt><dd>{when(r.finished)}</dd></div>\n"
            f"  <div><dt>Turnaround</dt><dd>{duration(t.turnaround)}</dd></div>\n"
            f"  <div><dt>Events</dt><dd>{number(r.events_processed)}</dd></div>\n"
            f"  <div><dt>Jobs</dt><dd>{jobs}</dd></div>\n"
        )
        o = r.output
        if o:
            ok = page.output.sha256_ok
            verdict = (
                '<span class="badge ok">verified</span>'
                if ok is True
                else '<span class="badge state-failed">does not match the file</span>'
                if ok is False
                else ""
            )
            out.append(
                f'  <div class="wide"><dt>Output</dt><dd><code>{_e(self.public(o.path))}</code>'
                f" ({bytesize(o.bytes)}, {number(o.events)} events)</dd></div>\n"
                f'  <div class="wide"><dt>sha256</dt><dd><code class="hash">{_e(o.sha256)}'
                f"</code>\n{verdict}</dd></div>\n"
            )
        out.append("</dl>\n")

    def _wagons(self, out: list[str], r: TrainRecord, root: str) -> None:
        out.append(
            "\n<section>\n  <h2>Wagons</h2>\n"
            '  <div class="scroll">\n  <table>\n'
            "    <thead><tr><th>Directory</th><th>Wagon</th><th>Variant</th><th>Task</th>"
            "<th>Config hash</th><th>Role</th></tr></thead>\n    <tbody>\n"
        )
        rows = self.wagon_rows
        for w in r.wagons:
            key = (w.directory, w.ref, w.variant, w.task, w.config_hash, w.enabled, root)
            row = rows.get(key)
            if row is None:  # a wagon runs in many trains with the same configuration
                role = "enabled" if w.enabled else '<span class="tag">dependency only</span>'
                h = _e(w.config_hash)
                row = rows[key] = (
                    "    <tr>\n"
                    f"      <td><code>{_e(w.directory)}</code></td>\n"
                    f"      <td>{self.link('wagon', w.ref, root)}</td>\n"
                    f"      <td>{_e(w.variant or '—')}</td>\n"
                    f"      <td><code>{_e(w.task)}</code></td>\n"
                    f'      <td><code title="{h}">{_e(w.config_hash[:12])}</code></td>\n'
                    f"      <td>{role}</td>\n"
                    "    </tr>\n"
                )
            out.append(row)
        out.append("    </tbody>\n  </table>\n  </div>\n</section>\n")

    def _usage(self, out: list[str], page: TrainPage, r: TrainRecord, root: str) -> None:
        out.append("\n<section>\n  <h2>Resources per wagon</h2>\n")
        if not page.usage:
            out.append(
                '  <p class="muted">No usage recorded yet: it is summed when the jobs are '
                "merged.</p>\n</section>\n"
            )
            return
        out.append(
            '  <div class="scroll">\n  <table>\n'
            '    <thead><tr><th>Directory</th><th>Wagon</th><th class="num">CPU</th>'
            '<th class="num">Events</th><th class="num">CPU per event</th>'
            '<th class="num">PSS it adds</th><th class="num">RSS in its test</th>'
            '<th class="num">Output in the file</th></tr></thead>\n    <tbody>\n'
        )
        for u in page.usage:
            over = ' bad"' + ' title="above the dataset\'s limit"' if u.over_limit else '"'
            per = "—" if u.cpu_ms_per_event is None else f"{u.cpu_ms_per_event:.3f} ms"
            out.append(
                "    <tr>\n"
                f"      <td><code>{_e(u.directory)}</code></td>\n"
                f"      <td>{self.link('wagon', u.ref, root)}</td>\n"
                f'      <td class="num">{_e(seconds(u.cpu_s))}</td>\n'
                f'      <td class="num">{number(u.events)}</td>\n'
                f'      <td class="num{over}>{per}</td>\n'
                f'      <td class="num">{_mb(u.pss_mb, "%+.1f MB")}</td>\n'
                f'      <td class="num">{_mb(u.rss_mb)}</td>\n'
                f'      <td class="num">{bytesize(u.output_bytes)}</td>\n'
                "    </tr>\n"
            )
        totals = page.totals
        out.append(
            "    </tbody>\n    <tfoot>\n    <tr>\n"
            '      <th colspan="2">Total (jobs)</th>\n'
            f'      <td class="num">{_e(seconds(totals.cpu_s))}</td>\n'
            f'      <td class="num">{number(r.events_processed)}</td>\n'
            "      <td></td>\n"
            f'      <td class="num">{_mb(totals.max_pss_mb)} max</td>\n'
            f'      <td class="num">{_mb(totals.max_rss_mb)} max</td>\n'
            f'      <td class="num">{bytesize(r.output.bytes if r.output else None)}</td>\n'
            "    </tr>\n    </tfoot>\n  </table>\n  </div>\n" + USAGE_NOTE + "</section>\n"
        )

    def _jobs(self, out: list[str], page: TrainPage, r: TrainRecord) -> None:
        out.append("\n<section>\n  <h2>Jobs</h2>\n")
        if not r.jobs:
            out.append('  <p class="muted">This train has no jobs.</p>\n</section>\n')
            return
        out.append(
            '  <div class="scroll">\n  <table class="jobs">\n'
            '    <thead><tr><th class="num">#</th><th>Job</th><th>State</th>'
            '<th class="num">Attempts</th><th>Exit codes</th><th>Host</th>'
            '<th class="num">Events</th><th>Files</th></tr></thead>\n    <tbody>\n'
        )
        for j in r.jobs:
            codes = (
                ", ".join(
                    f"<code>{'—' if a.exit_code is None else a.exit_code}</code>"
                    for a in j.attempts
                )
                or "—"
            )
            host = "—"
            if j.attempts:
                last = j.attempts[-1]
                host = _e(last.host or "—")
                if last.site:
                    host += f' <span class="muted">at {_e(last.site)}</span>'
            files = _files(j.files)
            if j.report:
                for rd in j.report.replicas_read:
                    if rd.failed or rd.read != rd.path:
                        files += (
                            f'<br><span class="muted">{_e(basename(rd.path))}: read from '
                            f"{_e(rd.storage_element or rd.read)}"
                        )
                        if rd.failed:
                            n = len(rd.failed)
                            files += f" after {n} failed cop{'y' if n == 1 else 'ies'}"
                        files += "</span>"
            out.append(
                "    <tr>\n"
                f'      <td class="num">{j.index}</td>\n'
                f'      <td class="id">{_e(j.name)}</td>\n'
                f"      <td>{self.badge(shown_state(j.state, r))}</td>\n"
                f'      <td class="num">{len(j.attempts)}</td>\n'
                f"      <td>{codes}</td>\n"
                f"      <td>{host}</td>\n"
                f'      <td class="num">{number(j.report.events if j.report else None)}</td>\n'
                f'      <td class="files">{files}</td>\n'
                "    </tr>\n"
            )
        out.append(
            "    </tbody>\n  </table>\n  </div>\n"
            '  <details class="attempts">\n'
            f"    <summary>Every attempt ({page.totals.attempts}): state, exit code, host, "
            "times, log</summary>\n"
            '    <div class="scroll">\n    <table>\n'
            '      <thead><tr><th>Job</th><th class="num">Attempt</th><th class="num">Round</th>'
            "<th>State</th><th>Exit code</th><th>Host</th><th>Started → ended (UTC)</th>"
            "<th>Log tail</th></tr></thead>\n      <tbody>\n"
        )
        for j in r.jobs:
            name = _e(j.name)
            for a in j.attempts:
                host = _e(a.host or "—")
                if a.site:
                    host += f' <span class="muted">at {_e(a.site)}</span>'
                log = "—"
                if a.log_tail:
                    lines = a.log_tail.strip().splitlines()
                    last_line = _truncate(self.public(lines[-1] if lines else ""))
                    log = (
                        f"<details><summary>{_e(last_line)}</summary>"
                        f"<pre>{_e(self.public(a.log_tail))}</pre></details>"
                    )
                out.append(
                    "      <tr>\n"
                    f'        <td class="id">{name}</td>\n'
                    f'        <td class="num">{a.number}</td>\n'
                    f'        <td class="num">{a.round}</td>\n'
                    f"        <td>{self.badge(shown_state(a.state, r))}</td>\n"
                    f"        <td><code>{'—' if a.exit_code is None else a.exit_code}</code></td>\n"
                    f"        <td>{host}</td>\n"
                    f'        <td class="time">{period(a.started, a.finished) if a.started else "—"}'
                    "</td>\n"
                    f"        <td>{log}</td>\n"
                    "      </tr>\n"
                )
        out.append("      </tbody>\n    </table>\n    </div>\n  </details>\n")
        skipped = page.totals.skipped
        if skipped:
            out.append(
                "  <h3>Skipped files</h3>\n"
                '  <div class="scroll">\n  <table>\n'
                '    <thead><tr><th>File</th><th>Why</th><th class="num">Events</th></tr>'
                "</thead>\n    <tbody>\n"
            )
            for s in skipped:
                out.append(
                    f"    <tr><td><code>{_e(self.public(s.path))}</code></td>"
                    f"<td>{_e(self.public(s.reason))}</td>"
                    f'<td class="num">{number(s.events)}</td></tr>\n'
                )
            out.append("    </tbody>\n  </table>\n  </div>\n")
        out.append("</section>\n")

    def _extras(self, out: list[str], page: TrainPage, r: TrainRecord) -> None:
        """Locality relaxed, jobs dropped, merges: only when there is something to say."""
        if r.locality_relaxed_at and page.locality_moved:
            at = r.locality_relaxed_at.strftime("%Y-%m-%d %H:%M:%S")
            out.append(
                "\n<section>\n  <h2>Locality relaxed</h2>\n"
                f"  <p>At {at} UTC enough jobs were done that the jobs still waiting for their "
                "own storage element's site were let run anywhere: "
                f"{page.locality_moved} attempt(s) moved; they show as <em>moved</em> among "
                "the attempts.</p>\n</section>\n"
            )
        if r.dropped:
            lost = f"{100 * r.events_lost_fraction:.2f}"
            out.append(
                f"\n<section>\n  <h2>Dropped by the {_e(r.policy)} policy</h2>\n"
                f"  <p>{len(r.dropped)} job(s) were still running far longer than typical once "
                "the others were done; the train stopped waiting for them. "
                f"<strong>{lost} % of the events</strong> are not in the output.</p>\n"
                '  <div class="scroll">\n  <table>\n'
                '    <thead><tr><th>Job</th><th class="num">Events</th><th>Files</th></tr>'
                "</thead>\n    <tbody>\n"
            )
            for d in r.dropped:
                out.append(
                    f'    <tr><td class="id">{_e(d.name)}</td>'
                    f'<td class="num">{number(d.events)}</td>'
                    f'<td class="files">{_files(d.files)}</td></tr>\n'
                )
            out.append("    </tbody>\n  </table>\n  </div>\n</section>\n")
        if r.merges:
            out.append(
                "\n<section>\n  <h2>Merges</h2>\n"
                '  <div class="scroll">\n  <table>\n'
                "    <thead><tr><th>Merge</th><th>Stage</th><th>State</th>"
                '<th class="num">Attempts</th><th class="num">Inputs</th>'
                '<th class="num">Events</th></tr></thead>\n    <tbody>\n'
            )
            for mg in r.merges:
                out.append(
                    f'    <tr><td class="id">{_e(mg.name)}</td><td>{_e(mg.stage)}</td>'
                    f"<td>{self.badge(mg.state)}</td>"
                    f'<td class="num">{len(mg.attempts)}</td>'
                    f'<td class="num">{len(mg.inputs)}</td>'
                    f'<td class="num">{number(mg.events)}</td></tr>\n'
                )
            out.append("    </tbody>\n  </table>\n  </div>\n</section>\n")

    def _histograms(self, out: list[str], page: TrainPage, root: str) -> None:
        out.append("\n<section>\n  <h2>Histograms</h2>\n")
        output = page.output
        if output.problem:
            out.append(f'  <p class="alert">{_e(self.public(output.problem))}</p>\n</section>\n')
            self._variants(out, page, root)
            return
        out.append('  <div class="outputs">\n')
        for wagon in output.wagons:
            anchor = _e(wagon.directory.replace("/", "-"))
            out.append(
                f'    <section class="wagon-output" id="dir-{anchor}">\n'
                f"      <h3><code>{_e(wagon.directory or '/')}</code></h3>\n"
                '      <div class="plots">\n'
            )
            for h in wagon.histograms:
                out.append(
                    '        <figure class="plot-card">\n'
                    f"          {svg(h)}\n"
                    "          <figcaption>\n"
                    f"            <strong>{_e(h.name)}</strong>\n"
                    f"            <span>entries {number(h.entries)}</span>\n"
                )
                if isinstance(h, Hist1D):
                    out.append(f"            <span>mean {number(h.mean)}</span>\n")
                    if h.std is not None:
                        out.append(f"<span>std dev {number(h.std)}</span>")
                    if h.underflow or h.overflow:
                        out.append(
                            f'<span class="muted">underflow {number(h.underflow)}, overflow '
                            f"{number(h.overflow)}</span>"
                        )
                else:
                    out.append(
                        f"            <span>mean x {number(h.mean_x)}</span>\n"
                        f"            <span>mean y {number(h.mean_y)}</span>\n"
                    )
                out.append("          </figcaption>\n        </figure>\n")
            out.append("      </div>\n    </section>\n")
        if not output.wagons:
            out.append('    <p class="muted">The output file holds no histograms.</p>\n')
        out.append("  </div>\n")
        if page.no_histograms:
            names = ", ".join(f"<code>{_e(d)}</code>" for d in page.no_histograms)
            out.append(
                '  <p class="muted">These wagons wrote no histograms (service wagons only add '
                f"columns): {names}.</p>\n"
            )
        if output.provenance:
            out.append(
                '  <details class="log">\n    <summary>Provenance stored in the file</summary>\n'
                f"    <pre>{_e(self.public(output.provenance))}</pre>\n  </details>\n"
            )
        out.append("</section>\n")
        self._variants(out, page, root)

    def _variants(self, out: list[str], page: TrainPage, root: str) -> None:
        if not page.variants:
            return
        out.append('\n<section id="variants">\n  <h2>Variants side by side</h2>\n')
        for ref, rows in page.variants:
            out.append(f"  <h3>{self.link('wagon', ref, root)}</h3>\n")
            for row in rows:
                out.append('  <div class="plots variants">\n')
                for directory, h in row.cells:
                    picture = svg(h) if h else f'<p class="muted">no {_e(row.name)}</p>'
                    entries = f" · entries {number(h.entries)}" if h else ""
                    out.append(
                        f'    <figure class="plot-card">{picture}<figcaption><code>'
                        f"{_e(directory)}</code>{entries}</figcaption></figure>\n"
                    )
                out.append("  </div>\n")
        out.append("</section>\n")

    def _previous(self, out: list[str], page: TrainPage, r: TrainRecord, root: str) -> None:
        ds = _e(r.dataset)
        out.append(
            f'\n<section id="previous">\n  <h2>Compared with the previous train on {ds}</h2>\n'
        )
        prev = page.previous
        if prev is None:
            out.append(f'  <p class="muted">This is the first train done on {ds}.</p>\n')
            out.append("</section>\n")
            return
        other = (
            f", catalog {self.commit(prev.catalog_commit)}"
            if prev.catalog_commit != r.catalog_commit
            else ""
        )
        out.append(
            f"  <p>{self.link('train', prev.train_id, root)} ({when(prev.created, False)} UTC, "
            f"{number(prev.events_processed)} events{other}).</p>\n"
        )
        if not page.comparison:
            out.append(
                '  <p class="muted">The histograms cannot be compared: one of the two outputs '
                "is not readable here.</p>\n</section>\n"
            )
            return
        out.append(
            '  <div class="scroll">\n  <table>\n'
            '    <thead><tr><th>Directory</th><th>Histogram</th><th class="num">Entries</th>'
            '<th class="num">Before</th><th class="num">Mean</th><th class="num">Before</th>'
            "</tr></thead>\n    <tbody>\n"
        )
        for c in page.comparison:
            changed = c.before_entries is None or c.before_entries != c.entries
            before = "new" if c.before_entries is None else number(c.before_entries)
            mark = ' class="changed"' if changed else ""
            out.append(
                f"    <tr{mark}>\n"
                f"      <td><code>{_e(c.directory)}</code></td><td>{_e(c.name)}</td>\n"
                f'      <td class="num">{number(c.entries)}</td><td class="num">{before}</td>\n'
                f'      <td class="num">{number(c.mean)}</td>'
                f'<td class="num">{number(c.before_mean)}</td>\n'
                "    </tr>\n"
            )
        out.append("    </tbody>\n  </table>\n  </div>\n</section>\n")

    def _downloads(self, out: list[str], page: TrainPage, r: TrainRecord, root: str) -> None:
        out.append('\n<section id="downloads">\n  <h2>Files</h2>\n  <ul>\n')
        for d in page.downloads:
            href = _e(d.href if d.inline else root + d.href)
            out.append(
                f'    <li><a href="{href}" download="{_e(d.label)}">{_e(d.label)}</a>: '
                f"{_e(d.what)}</li>\n"
            )
        out.append("  </ul>\n")
        url = r.output.url if r.output else None
        if url and "://" in url:
            u = _e(url)
            out.append(
                "  <p>On the output storage element, checksum verified after the copy: "
                f'<code class="storage-url">{u}</code> (<code>xrdcp {u} .</code>)</p>\n'
            )
        out.append("</section>\n")
