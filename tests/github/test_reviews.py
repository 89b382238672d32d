"""``wagonyard github review-check`` and the reconciler's approvals, read from GitHub reviews."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from controller.github import client
from controller.github.approvals import GitHubApprovals
from controller.github.client import Session
from tests.conftest import REPO, CliResult
from tests.github.conftest import FAST
from tests.github.fakegithub import FakeGitHub, Pull
from tests.github.reports import HEAD

Cli = Callable[..., CliResult]
WAGON = "catalog/analyses/zmumu/wagons/mass.yaml"
MEMBER, OTHER_MEMBER = "alice-analyst", "zmumu-convener"  # zmumu's members in the example


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "DEFAULT_PACING", FAST)


def _check(cli: Cli, repo: Path, fake: FakeGitHub) -> tuple[CliResult, dict[str, object]]:
    result = cli("github", "review-check", "--pr", "7", "--repo", str(repo))
    assert result.code == 0, result.output
    return result, fake.check_runs[-1]


@pytest.mark.parametrize(
    ("reviews", "conclusion"),
    [
        ([(MEMBER, "APPROVED", HEAD)], "success"),
        ([("stranger", "APPROVED", HEAD)], "failure"),  # not a member
        ([(OTHER_MEMBER, "APPROVED", HEAD)], "failure"),  # the author approving themselves
        ([(MEMBER, "APPROVED", HEAD), (MEMBER, "DISMISSED", HEAD)], "failure"),
        ([(MEMBER, "APPROVED", HEAD), (MEMBER, "COMMENTED", HEAD)], "success"),
        ([(MEMBER, "CHANGES_REQUESTED", HEAD)], "failure"),
    ],
    ids=["member", "non-member", "author", "dismissed", "comment-after", "changes-requested"],
)
def test_a_wagon_change_needs_a_member_other_than_the_author(
    wagonyard: Cli,
    repo: Path,
    fake_github: FakeGitHub,
    reviews: list[tuple[str, str, str]],
    conclusion: str,
) -> None:
    fake_github.pulls[7] = Pull(OTHER_MEMBER, HEAD, [WAGON], reviews)
    result, run = _check(wagonyard, repo, fake_github)
    assert run["name"] == "wagonyard/reviews" and run["head_sha"] == HEAD
    assert run["conclusion"] == conclusion
    if conclusion == "failure":
        assert (
            "needs an approval from a member of zmumu (alice-analyst, zmumu-convener)"
            in (
                run["output"]["summary"]  # type: ignore[index]
            )
        )
        assert "missing 1 approval(s): analysis zmumu" in result.out


def test_reviews_and_files_are_read_past_the_first_page(
    wagonyard: Cli, repo: Path, fake_github: FakeGitHub
) -> None:
    files = [f"catalog/analyses/zmumu/notes/n{i:02}.md" for i in range(40)] + [
        "catalog/datasets/hzz-mc.yaml",
        "catalog/runlists/run2010b-dimuon.yaml",
    ]
    chatter = [("stranger", "COMMENTED", HEAD)] * 34
    reviews = [*chatter, (MEMBER, "APPROVED", HEAD), ("olga-ops", "APPROVED", HEAD)]
    fake_github.pulls[7] = Pull("someone", HEAD, files, reviews)
    fake_github.teams = {"wagonyard/operators": ["olga-ops"], "wagonyard/data-quality": ["dora-dq"]}
    result, run = _check(wagonyard, repo, fake_github)
    assert run["conclusion"] == "failure"
    assert run["output"]["title"] == "missing 1 approval(s): run lists"  # type: ignore[index]
    assert "✅ **analysis zmumu**: approved by @alice-analyst (a member of zmumu" in result.out
    assert "✅ **datasets**: approved by @olga-ops (the team @wagonyard/operators)" in result.out
    assert "❌ **run lists**: needs an approval from the team @wagonyard/data-quality" in result.out
    assert fake_github.requests.count(("GET", "/repos/wagonyard/wagonyard/pulls/7/files")) == 2
    assert fake_github.requests.count(("GET", "/repos/wagonyard/wagonyard/pulls/7/reviews")) == 2
    shown = REPO / "test-artifacts" / "github"
    shown.mkdir(parents=True, exist_ok=True)
    (shown / "review-check.txt").write_text(result.out, encoding="utf-8")


def test_the_reconciler_runs_a_pull_request_only_once_its_head_is_approved(
    session: Session, fake_github: FakeGitHub
) -> None:
    members = [MEMBER, OTHER_MEMBER]
    fake_github.pulls[7] = Pull(OTHER_MEMBER, HEAD, [WAGON], [(MEMBER, "APPROVED", "1" * 40)])
    fake_github.pulls[8] = Pull(OTHER_MEMBER, HEAD, [WAGON], [(MEMBER, "APPROVED", HEAD)])
    fake_github.pulls[9] = Pull(MEMBER, HEAD, [WAGON], [(MEMBER, "APPROVED", HEAD)])
    approvals = GitHubApprovals(lambda: session)
    assert approvals.approver(7, HEAD, members) is None  # approved an older push
    assert approvals.approver(8, HEAD, members) == MEMBER
    assert approvals.approver(9, HEAD, members) is None  # only the author approved
