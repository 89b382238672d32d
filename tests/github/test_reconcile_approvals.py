"""The reconciler runs a pull request's code only once GitHub shows a member's approval of it."""

from __future__ import annotations

from pathlib import Path

from tests.github.fakegithub import FakeGitHub, Pull
from tests.gitrepo import git
from tests.reconcile.yard import Yard

WAGON = "catalog/analyses/zmumu/wagons/dimuon-mass.yaml"


def test_reconcile_waits_for_a_members_approval_of_the_head_on_github(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    github = {"repository": "wagonyard/wagonyard", "api_url": fake_github.url}
    yard = Yard(tmp_path / "yard", settings={"github": github})
    git(yard.analyst, "checkout", "-q", "-b", "change")
    tasks = yard.analyst / "catalog" / "analyses" / "zmumu" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n# the pull request's change\n")
    git(yard.analyst, "commit", "-q", "-am", "Change the code")
    head = git(yard.analyst, "rev-parse", "HEAD")
    git(yard.analyst, "push", "-q", "origin", "HEAD:refs/pull/7/head")
    git(yard.analyst, "checkout", "-q", "main")
    yard.enable("dimuon-mass", code={"source": "pull-request", "pull_request": 7})
    env = {"GITHUB_TOKEN": "test-token"}

    fake_github.pulls[7] = Pull(
        "zmumu-convener", head, [WAGON], [("zmumu-convener", "APPROVED", head)]
    )
    waiting = yard.reconcile("--plan", env=env)
    assert waiting.returncode == 0, waiting.stderr
    assert "pull request #7" in waiting.stdout and "waits for the approval" in waiting.stdout

    fake_github.pulls[7].reviews.append(("alice-analyst", "APPROVED", head))
    ready = yard.reconcile("--plan", env=env)
    assert ready.returncode == 0, ready.stderr
    assert "waits for the approval" not in ready.stdout
    assert "nothing to do" in waiting.stdout  # the author's own approval does not count
    assert "no test yet: zmumu/dimuon-mass" in ready.stdout  # now its code is tested
    assert ("GET", "/repos/wagonyard/wagonyard/pulls/7/reviews") in fake_github.requests
