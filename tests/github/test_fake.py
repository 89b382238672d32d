"""The fake GitHub is kept honest: what the API description forbids is caught."""

from __future__ import annotations

import requests

from tests.github.fakegithub import FakeGitHub


def test_a_request_the_description_does_not_allow_is_caught(fake_github: FakeGitHub) -> None:
    answer = requests.post(
        f"{fake_github.url}/repos/wagonyard/wagonyard/check-runs",
        json={"name": "x", "status": "finished"},  # no head_sha; 'finished' is no status
        timeout=10,
    )
    assert answer.status_code == 422
    found = list(fake_github.problems)
    fake_github.problems.clear()  # seen: the fixture must not fail this test
    assert any("request POST /repos/wagonyard/wagonyard/check-runs" in p for p in found), found
