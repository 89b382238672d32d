"""The pull request's one wagonyard comment: the wagon-test summary behind a hidden marker.

Pure text: the marker lets ``controller.github.pulls`` find the comment again on the next push
and update it instead of adding another. Links each tested wagon's page on the status site when
``site.url`` is set.
"""

from __future__ import annotations

from controller.github.mentions import quiet
from controller.sitegen.model import file_name
from controller.wagontest.report import TestReport, markdown

MARKER = "<!-- wagonyard:wagon-tests -->"
MAX_CHARS = 65_000  # GitHub refuses comment bodies over 65,536 characters
CUT = "\n\n*(cut: the summary is longer than a GitHub comment; the full report is in the run's artifact)*\n"


def wagon_url(site_url: str, ref: str) -> str:
    """The page of wagon 'analysis/wagon' on the status site."""
    analysis, _, wagon = ref.partition("/")
    return f"{site_url.rstrip('/')}/wagons/{file_name(analysis)}/{file_name(wagon)}.html"


def comment_body(report: TestReport, site_url: str | None = None) -> str:
    """The comment: marker, summary, and the wagons' pages when the site is known."""
    text = quiet(markdown(report))
    if site_url and report.selected:
        links = ", ".join(f"[{ref}]({wagon_url(site_url, ref)})" for ref in sorted(report.selected))
        text += f"\nOn the status site: {links}\n"
    body = f"{MARKER}\n{text}"
    if len(body) > MAX_CHARS:
        body = body[: MAX_CHARS - len(CUT)] + CUT
    return body


def is_ours(body: str | None) -> bool:
    """Is this comment the one wagonyard keeps up to date?"""
    return bool(body) and str(body).startswith(MARKER)
