"""The Markdown summary's header names the catalog commit, shortened only when it is a hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controller.wagontest.report import TestReport, markdown


@pytest.mark.parametrize(
    ("commit", "shown"),
    [
        ("working-tree", "`working-tree`"),
        ("21713b679f0f4c1e2b3a4d5e6f708192a3b4c5d6", "`21713b679f`"),
    ],
)
def test_the_header_shows_the_commit_uncut_unless_it_is_a_hash(commit: str, shown: str) -> None:
    report = TestReport(
        test_id="test-1", created=datetime(2026, 1, 1, tzinfo=UTC), catalog_commit=commit,
        selected={}, datasets=[],
    )  # fmt: skip
    assert f"Catalog commit {shown};" in markdown(report)
