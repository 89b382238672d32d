"""Remember what each train page was rendered from, so that a rebuild renders again only the
train pages whose inputs changed (a big site has 100,000 of them, a millisecond each).

The manifest, ``.wagonyard-cache/train-pages.tsv`` in the site's folder (hidden: never
published), holds per page the key of its inputs, the digest of the bytes written but the
footer, the digest of the footer, and the file's size, modification time and inode as written.
A page is reused only when its key is the same and the file still holds those bytes: when the
file's size, time and inode are as written (and the footer the same), without reading it, as
``make`` and ``rsync`` judge a file; else by reading it and comparing digests. Anything else is
rendered again. The key covers the record and the previous train's as stored in git, every
other input of the page (the tests' memory, the dataset's limit, both output files' size, time
and inode), the links it makes, the site's title, the version, the hidden paths, the
templates' text and the code; it is made from the train's summary, without reading the
record. The footer (the site's time and catalog commit, which change with every commit read)
is not cached: a reused page gets this build's footer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from controller.sitegen.model import Frame, TrainBrief, TrainSummary, wagon_refs
from controller.sitegen.writing import CACHE

MANIFEST = f"{CACHE}/train-pages.tsv"
# (page path, key of its inputs, digest of its bytes but the footer, digest of the footer,
# the file's stamp: "" until it is written)
Entry = tuple[str, str, str, str, str]
FOOTER, FOOTER_END = b'<footer class="wrap">', b"</footer>"  # as _footer.html writes it


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def without_footer(html: bytes) -> tuple[bytes, bytes]:
    """A page's bytes before and after its footer (user text is escaped: no '<footer' in it)."""
    start = html.rfind(FOOTER)
    end = html.find(FOOTER_END, start) if start >= 0 else -1
    if end < 0:
        return html, b""
    return html[:start], html[end + len(FOOTER_END) :]


def site_key(site: Frame, templates: Path, extra: object) -> str:
    """What every train page shares but its footer: the site's title and links to the
    repository, the templates, and the code that writes the pages (this package's: a train
    page's body is written in Python, so a changed line renders every page again, released
    or not)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((site.title, site.repo_url, extra)).encode())
    code = Path(__file__).parent
    for path in [*sorted(templates.glob("*.html")), *sorted(code.glob("*.py"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def page_key(
    summary: TrainSummary, previous: TrainBrief | None, depends: str, site: Frame, shared: str
) -> str | None:
    """The key of a train page's inputs, from its summary: a rebuild decides which pages to
    make again without reading their records. None when its record is not known as stored.
    ``depends``: what the page shows beside the two records (``TrainShard.depends``: the
    tests' memory, the dataset's limit, the output file; and the previous train's output
    file); ``shared``: ``site_key``."""
    b = summary.record
    stored = b.key
    before = previous.key if previous is not None else ""
    if stored is None or before is None:
        return None
    refs = wagon_refs(summary)
    links = (
        [site.has("wagon", ref) for ref in refs],
        site.has("dataset", b.dataset),
        previous is not None and site.has("train", previous.train_id),
    )
    return digest(repr((shared, stored, before, depends, links)).encode())


class PageCache:
    """The manifest of the last build into ``out_dir``."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.entries: dict[str, tuple[str, ...]] = {}
        self.footer: tuple[bytes, str] = (b"", digest(b""))
        try:
            text = (out_dir / MANIFEST).read_text()
        except (FileNotFoundError, UnicodeDecodeError):
            return
        for line in text.splitlines():
            parts = line.split("\t")
            if len(parts) in (3, 5):  # 3: an older wagonyard's, without the stamps
                self.entries[parts[0]] = (*parts[1:], "", "")[:4]

    def fresh(self, path: str, key: str | None, footer: bytes) -> tuple[Entry, bytes | None] | None:
        """If ``path`` was rendered from ``key`` and still holds those bytes: its entry and
        its bytes with ``footer`` (None when the file holds them already); else None."""
        known = self.entries.get(path)
        if key is None or known is None or known[0] != key:
            return None
        if self.footer[0] != footer:
            self.footer = (footer, digest(footer))
        full = os.path.join(self.out_dir, path)
        if known[2] == self.footer[1] and known[3] and known[3] == stamp(full):
            return (path, key, known[1], known[2], known[3]), None  # untouched since written
        try:
            with open(full, "rb") as f:
                data = f.read()
        except OSError:
            return None
        before, after = without_footer(data)
        if digest(before + after) != known[1]:
            return None
        page = before + footer + after
        return (path, key, known[1], self.footer[1], ""), None if page == data else page


def stamp(path: str) -> str:
    """A file's size, modification time and inode: what a rewrite changes."""
    try:
        st = os.stat(path)
    except OSError:
        return "gone"
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def stamped(out_dir: Path, entries: Iterable[Entry]) -> list[Entry]:
    """``entries`` with the stamp of each file written (or checked) in this build."""
    root = str(out_dir)
    return [e if e[4] else (*e[:4], stamp(os.path.join(root, e[0]))) for e in entries]


def entry(path: str, key: str, html: bytes) -> Entry:
    """The manifest's entry of a page just rendered from ``key`` (stamped once written)."""
    before, after = without_footer(html)
    footer = html[len(before) : len(html) - len(after)]
    return path, key, digest(before + after), digest(footer), ""


def save(out_dir: Path, entries: Iterable[Entry]) -> None:
    """Write the manifest of this build (sorted: the same inputs give the same bytes); none
    when no page can be cached (records not read from git)."""
    lines = sorted("\t".join(e) + "\n" for e in entries)
    target = out_dir / MANIFEST
    if not lines:
        target.unlink(missing_ok=True)
        if target.parent.is_dir() and not any(target.parent.iterdir()):
            target.parent.rmdir()
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text("".join(lines))
    os.replace(tmp, target)
