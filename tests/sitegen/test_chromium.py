"""The site in a real browser: Debian's Chromium driven by Playwright. Every page, reached by
following links from the dashboard over http under a sub-path, opens with no console error and
no failed request; the pages work from file:// too; the filter filters; the Performance Graphs
page draws an uploaded metrics.json written by the engine's own sampler; pages read at 390 px;
screenshots of the main pages are kept in test-artifacts/."""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import pytest

from controller.history import HistoryStore
from controller.metrics import Sampler
from controller.sitegen.build import build_from_repository, hidden_roots
from controller.sitegen.formats import bytesize, duration, number, period, public, seconds, when
from tests.browser import CHROMIUM
from tests.gitrepo import git
from tests.sitegen.helpers import DONE, REPO, BuiltSite, site_repo

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium at /usr/bin/chromium or on PATH"),
]
ARTIFACTS = Path(os.environ.get("WAGONYARD_ARTIFACTS", REPO / "test-artifacts"))
MAIN_PAGES = {
    "dashboard": "index.html",
    "wagon": "wagons/zmumu/dimuon-mass.html",
    "train": f"trains/{DONE}.html",
    "my-analyses": "members/alice-analyst.html",
    "performance": "performance.html",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(built: BuiltSite) -> Iterator[str]:
    """The built site over http on 127.0.0.1, under a sub-path like GitHub Pages'."""
    handler = functools.partial(_Quiet, directory=str(built.out.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/{built.out.name}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A page whose console errors, uncaught exceptions and failed requests are collected."""

    def __init__(self, browser: Any, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console", lambda m: self.problems.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.page.on(
            "response",
            lambda r: self.problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
        )

    def open(self, url: str) -> Any:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        return self.page

    def close(self) -> None:
        self.context.close()


def test_a_train_page_downloads_its_files(browser: Any, server: str, built: BuiltSite) -> None:
    """Each file a train offers downloads under its own name, the small ones made from the
    link itself (no request), the others from the site."""
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(server + f"trains/{DONE}.html")
        got: dict[str, bytes] = {}
        for name in ("reproduce.sh", "inputs.txt", "record.json", "AnalysisResults.root"):
            with page.expect_download() as download:
                page.click(f'#downloads a[download="{name}"]')
            got[download.value.suggested_filename] = Path(download.value.path()).read_bytes()
        assert b"wagonyard run --dataset cms-2010-dimuon" in got["reproduce.sh"]
        assert b"uproot-Zmumu.root\t800\t1600\n" in got["inputs.txt"]
        # the record as stored on the history branch, this machine's paths hidden
        assert built.repo is not None
        stored = git(built.repo, "show", f"wagonyard/history:trains/{DONE}/record.json")
        hide = hidden_roots(built.outputs_root, built.repo)
        assert got["record.json"].decode() == public(stored, hide)
        output = built.outputs_root / DONE / "AnalysisResults.root"
        assert got["AnalysisResults.root"] == output.read_bytes()
    finally:
        context.close()


def test_a_train_page_writes_numbers_and_times_as_the_rest_of_the_site(
    browser: Any, server: str
) -> None:
    """formats.js, with which train.js and site.js write, formats as formats.py does for every
    other page (here on a train page, as train.js draws it)."""
    numbers = [0, 1, -5, 12345, 1234567890123, 0.5, 1234.5678, 1e-5, 2.5e-7, 123456789.123,
               1e20, 0.000123456, 99999.5, 1.5e15]  # fmt: skip
    times = [0, 0.0042, 0.9, 12.34, 0.000035, 7380, 59.99, 60, 1e-9]
    sizes = [0, 999, 1000, 1234567, 10**13, 999999]
    spans = [0, 59, 61, 3600, 3725.4, 0.4]
    moments = ["2010-11-05T10:00:00Z", "2010-11-05T10:00:00.123456+00:00",
               "2010-11-05T12:30:00+02:00", "2010-11-05T10:00:00"]  # fmt: skip
    w = Watched(browser)
    try:
        page = w.open(server + f"trains/{DONE}.html")
        drawn = page.evaluate(
            """([numbers, times, sizes, spans, moments]) => {
                const f = window.wagonyardFormats;
                return [numbers.map((v) => f.number(v)), times.map((v) => f.seconds(v)),
                        sizes.map((v) => f.bytesize(v)), spans.map((v) => f.duration(v)),
                        moments.map((v) => f.when(v)), moments.map((v) => f.when(v, false)),
                        moments.map((v) => f.period(v, v))];
            }""",
            [numbers, times, sizes, spans, moments],
        )
        parsed = [datetime.fromisoformat(m) for m in moments]
        assert drawn == [
            [number(v) for v in numbers],
            [seconds(v) for v in times],
            [bytesize(v) for v in sizes],
            [duration(timedelta(seconds=v)) for v in spans],
            [when(m) for m in parsed],
            [when(m, False) for m in parsed],
            [period(m, m) for m in parsed],
        ]
        assert w.problems == []
    finally:
        w.close()


def test_every_page_opens_cleanly_and_every_link_resolves(
    browser: Any, server: str, built: BuiltSite
) -> None:
    w = Watched(browser)
    seen: set[str] = set()
    todo = [server + "index.html"]
    try:
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            page = w.open(url)
            assert page.title().endswith("· test yard"), url
            assert page.locator("h1").count() == 1, url
            assert w.problems == [], f"{url}: {w.problems}"
            hrefs = page.eval_on_selector_all(
                "a[href]", "els => els.map(e => e.getAttribute('href'))"
            )
            for href in hrefs:
                if href.startswith("data:text/plain;"):  # a small download in the link itself
                    continue  # (test_a_train_page_downloads_its_files)
                target = urldefrag(urljoin(url, href)).url
                if not target.startswith(server):
                    assert target.startswith("https://github.com/example/yard/"), f"{url}: {href}"
                    continue
                if target.endswith(".html") and target not in seen:
                    todo.append(target)
                elif not target.endswith(".html"):  # a feed or a download: it must be there
                    answer = w.context.request.get(target)
                    assert answer.ok, f"{url}: {href} answers {answer.status}"
    finally:
        w.close()
    every = {server + p.relative_to(built.out).as_posix() for p in built.pages}
    assert seen == every  # every page is reachable from the dashboard


def test_pages_work_from_file_urls(browser: Any, built: BuiltSite) -> None:
    w = Watched(browser)
    try:
        for relative in MAIN_PAGES.values():
            page = w.open((built.out / relative).as_uri())
            background = page.eval_on_selector(
                ".topbar", "e => getComputedStyle(e).backgroundColor"
            )
            assert background == "rgb(20, 35, 60)", relative  # the stylesheet was found
        assert w.problems == []
        page = w.open((built.out / MAIN_PAGES["wagon"]).as_uri())
        assert page.locator(".perf-plot svg").count() == 2  # memory and CPU of its test
        # its facts with numbers as the rest of the site writes them
        assert "; 2,040 events" in page.inner_text(".perf-facts")
    finally:
        w.close()


def test_the_filter_narrows_a_table(browser: Any, server: str) -> None:
    w = Watched(browser)
    try:
        page = w.open(server + "wagons.html")
        rows = page.locator("#wagons tbody tr")
        assert rows.count() == 6
        page.fill("input[data-filter=wagons]", "kinematics")
        assert page.locator("#wagons tbody tr:visible").count() == 1
        assert "1 of 6 shown" in page.inner_text("[data-count=wagons]")
        page.fill("input[data-filter=wagons]", "zmumu failed")
        assert page.locator("#wagons tbody tr:visible").count() == 1
        page.fill("input[data-filter=wagons]", "")
        assert page.locator("#wagons tbody tr:visible").count() == 6
        assert page.inner_text("[data-count=wagons]") == "6 rows"
        assert w.problems == []
    finally:
        w.close()


def test_performance_graphs_draw_an_uploaded_metrics_file(
    browser: Any, server: str, tmp_path: Path
) -> None:
    with Sampler(interval=0.01) as sampler:  # the engine's own sampler writes metrics.json
        total = 0
        for i in range(300_000):
            total += i * i
    good = tmp_path / "metrics.json"
    good.write_text(json.dumps(sampler.to_json()))
    hostile = tmp_path / "<img src=x onerror=alert(1)>.json"
    hostile.write_text('{"samples": "<script>alert(1)</script>"}')
    w = Watched(browser)
    try:
        page = w.open(server + "performance.html")
        page.set_input_files("#metrics-file", str(good))
        page.wait_for_selector("#uploaded svg")
        assert page.locator("#uploaded svg").count() == 2
        assert page.locator("#uploaded polyline.series").count() >= 2  # RSS, PSS, CPU lines
        facts = page.inner_text("#uploaded .perf-facts")
        assert f"{len(sampler.samples)} samples" in facts and "max RSS" in facts
        for events, said in ((1234567, "; 1,234,567 events"), (0.12345, "; 0.12345 events")):
            odd = tmp_path / f"metrics-{events}.json"
            sample = {"t": 1.0, "rss_mb": 10.0, "pss_mb": 8.0, "cpu_s": 0.5, "events": events}
            odd.write_text(json.dumps({"samples": [{**sample, "t": 0.0}, sample]}))
            page.set_input_files("#metrics-file", str(odd))
            page.wait_for_function(
                "s => document.querySelector('#uploaded .perf-facts')?.textContent.includes(s)",
                arg=said,
            )
        page.set_input_files("#metrics-file", str(hostile))
        page.wait_for_selector("#uploaded .alert")
        assert "Cannot draw this file" in page.inner_text("#uploaded")
        assert page.locator("img").count() == 0 and page.locator("#uploaded script").count() == 0
        assert w.problems == []
    finally:
        w.close()


def test_pages_read_at_390_px_and_screenshots_are_kept(browser: Any, server: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wide, narrow = Watched(browser), Watched(browser, width=390)
    try:
        for name, relative in MAIN_PAGES.items():
            page = narrow.open(server + relative)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 390, f"{relative} is {overflow} px wide at 390 px"
            shot = wide.open(server + relative).screenshot(full_page=True)
            (ARTIFACTS / f"site-{name}.png").write_bytes(shot)
            assert len(shot) > 20_000, f"the screenshot of {relative} looks blank"
        assert wide.problems == [] and narrow.problems == []
    finally:
        wide.close()
        narrow.close()


def test_a_record_with_only_its_required_fields_is_drawn(
    browser: Any, tmp_path: Path, catalog: Any
) -> None:
    """A record as an older controller or a person may have written it: every field with a
    default left out, the times as a Unix time and without seconds. train.js draws it with the
    defaults the record's model gives, and no error."""
    repo = site_repo(tmp_path / "repo", [], [])
    wagon = {"ref": "zmumu/dimuon-mass", "directory": "zmumu/dimuon-mass", "task": "t:T",
             "config": {}, "config_hash": "abc", "enabled": True}  # fmt: skip
    job = {"index": 0, "name": "job-0", "files": [{"path": "/data/a.root"}], "state": "done",
           "attempts": [{"number": 1, "state": "done", "started": "2010-11-05T10:00Z"}]}  # fmt: skip
    record = {"train_id": "minimal", "dataset": "cms-2010-dimuon", "catalog_commit": "0" * 40,
              "backend": "local", "created": 1288951200, "wagons": [wagon], "jobs": [job]}  # fmt: skip
    HistoryStore(repo, "wagonyard/history").commit(
        {"trains/minimal/record.json": json.dumps(record).encode()}, "A minimal record"
    )
    out = tmp_path / "site"
    _, warnings = build_from_repository(repo, out, tmp_path / "outputs")
    assert warnings == []
    w = Watched(browser)
    try:
        page = w.open((out / "trains/minimal.html").as_uri())
        text = " ".join(page.text_content("main").split())
        assert "Train minimal composed" in text  # the state's default
        assert "1 of 1 done" in text and "2010-11-05 10:00:00 UTC" in text  # created
        assert "2010-11-05 10:00 → …" in text  # an attempt with no end
        assert w.problems == []
    finally:
        w.close()
