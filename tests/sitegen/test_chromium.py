"""The site as a real headless Chromium sees it, served over http from a local server: titles,
headings, links that resolve, a plotted SVG per histogram, and a screenshot that is not blank."""

from __future__ import annotations

import functools
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.browser import CHROMIUM, chromium
from tests.sitegen.helpers import DONE, BuiltSite, Page, read_page

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium at /usr/bin/chromium or on PATH"),
]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(built: BuiltSite) -> Iterator[str]:
    """The built site over http on 127.0.0.1, under a sub-path like a real web server's."""
    root = built.out.parent
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/{built.out.name}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def dom(tmp_path: Path, url: str) -> Page:
    return read_page(chromium(tmp_path, "--dump-dom", url))


def assert_links_resolve(page: Page, url: str, base: str, site: Path) -> None:
    assert page.links, f"{url} has no links"
    for href in page.links:
        target = urljoin(url, href)
        assert target.startswith(base), f"{url}: {href} leaves the site"
        path = site / unquote(urlsplit(target).path[len(urlsplit(base).path) :])
        assert path.is_file(), f"{url}: {href} resolves to {path}, which does not exist"


@pytest.mark.parametrize(
    ("relative", "title", "h1"),
    [
        ("index.html", "Dashboard · wagonyard", "Dashboard"),
        (f"trains/{DONE}.html", f"Train {DONE} · wagonyard", f"Train {DONE} done"),
        (
            "analyses/zmumu.html",
            "zmumu · wagonyard",
            "Z boson to muon pairs in 2010 pp collisions at 7 TeV",
        ),
        (
            "datasets/cms-2010-dimuon.html",
            "cms-2010-dimuon · wagonyard",
            "CMS 2010 dimuon events, Run2010B (real data)",
        ),
        (
            "runlists/run2010b-dimuon.html",
            "run2010b-dimuon · wagonyard",
            "Run list run2010b-dimuon",
        ),
    ],
)
def test_chromium_renders_the_page(
    tmp_path: Path, built: BuiltSite, server: str, relative: str, title: str, h1: str
) -> None:
    url = server + relative
    page = dom(tmp_path, url)
    assert page.title == title
    assert page.h1 == [h1]
    assert_links_resolve(page, url, server, built.out)


def test_chromium_sees_a_plotted_svg_per_histogram(
    tmp_path: Path, built: BuiltSite, server: str
) -> None:
    page = dom(tmp_path, f"{server}trains/{DONE}.html")
    names = sorted(name for hists in built.histograms.values() for name in hists)
    titled = sorted(name for picture in page.svgs for name in set(names) & set(picture.texts))
    assert titled == names  # one picture per histogram, each titled with its name
    for picture in page.svgs:
        plotted = [d for cls, d in picture.paths if cls in ("hist-line", "hist-cells")]
        assert plotted and all(len(d) > 20 for d in plotted), f"nothing plotted in {picture}"


def png_size_and_colours(png: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the decompressed pixel data."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    data, pos = b"", 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(data)))


def test_chromium_screenshot_of_a_train_page(tmp_path: Path, server: str) -> None:
    shot = tmp_path / "train.png"
    chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", f"{server}trains/{DONE}.html"
    )
    width, height, colours = png_size_and_colours(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    assert colours > 100, "the screenshot is blank"
