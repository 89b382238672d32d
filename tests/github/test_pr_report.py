"""``wagonyard github report``: one comment kept up to date, a check run, untrusted input refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from controller.github import client
from controller.github.comment import MARKER
from tests.conftest import CliResult
from tests.github.conftest import FAST
from tests.github.fakegithub import Failure, FakeGitHub, Pull
from tests.github.reports import HEAD, report, write

Cli = Callable[..., CliResult]
REASONS = {
    "done": "",
    "warning": "max PSS 161 MB is over the dataset's memory_mb 150",
    "failed": "the task raised ZeroDivisionError: division by zero (see the log)",
}


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "DEFAULT_PACING", FAST)


def _report(cli: Cli, repo: Path, tmp_path: Path, *extra: str, status: str = "done") -> CliResult:
    path = write(tmp_path / "wagon-tests.json", report(status, REASONS[status]))
    return cli("github", "report", "--pr", "7", "--report", str(path), "--repo", str(repo), *extra)


def test_one_comment_is_updated_in_place_and_a_check_run_tells_the_conclusion(
    wagonyard: Cli, repo: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.pulls[7] = Pull("analyst", HEAD)
    fake_github.comment(7, "LGTM, thanks!", "reviewer")
    first = _report(wagonyard, repo, tmp_path, "--head", HEAD)
    assert first.code == 0, first.output
    assert "created" in first.out
    second = _report(wagonyard, repo, tmp_path, status="warning")
    assert second.code == 0, second.output
    assert "updated" in second.out
    third = _report(wagonyard, repo, tmp_path, status="failed")
    ours = [b for b in fake_github.comments_on(7) if b.startswith(MARKER)]
    assert len(ours) == 1 and len(fake_github.comments_on(7)) == 2
    assert "❌" in ours[0] and "wagonyard test `t-20261128-0901`" in ours[0]
    assert "[zmumu/mass](https://wagonyard.github.io/wagonyard/wagons/zmumu/mass.html)" in ours[0]
    assert third.code == 0, third.output
    assert len(fake_github.check_runs) == 1, "one check run per head, updated on a rerun"
    log = fake_github.check_log
    assert [r["conclusion"] for r in log] == ["success", "neutral", "failure"]
    assert {(r["name"], r["head_sha"]) for r in log} == {("wagonyard/wagon-tests", HEAD)}
    assert "check run wagonyard/wagon-tests on 6dcb09b5b5: updated: failure" in third.out
    run = fake_github.check_runs[0]
    assert (
        "| ❌ | `zmumu/mass` | `cms-2010-dimuon` | +18.4 | 0.0412 | the task raised"
        in run["output"]["text"]
    )
    shown = Path(__file__).parents[2] / "test-artifacts" / "github"
    shown.mkdir(parents=True, exist_ok=True)
    (shown / "comment.md").write_text(ours[0], encoding="utf-8")
    (shown / "check-run.json").write_text(json.dumps(run, indent=1, ensure_ascii=False))


def test_a_forged_pull_request_number_is_refused_and_nothing_is_posted(
    wagonyard: Cli, repo: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.pulls[7] = Pull("analyst", "0" * 40)  # the artifact names #7; the run was on HEAD
    result = _report(wagonyard, repo, tmp_path, "--head", HEAD)
    assert result.code == 1
    assert "refused, nothing was posted" in result.err and "#7 has head 0000000000" in result.err
    path = write(tmp_path / "r.json", report())
    for forged in ("7; rm -rf /", "-1", "7\n8", "0x7"):
        bad = wagonyard(
            "github", "report", "--pr", forged, "--report", str(path), "--repo", str(repo)
        )
        assert bad.code == 1 and "is not a positive integer" in bad.err
    assert fake_github.comments == {} and fake_github.check_runs == []


def test_a_report_failing_its_schema_is_refused_before_github_is_asked(
    wagonyard: Cli, repo: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.pulls[7] = Pull("analyst", HEAD)
    data = json.loads(report().model_dump_json())
    data["datasets"][0]["cases"][1]["status"] = "<img src=x onerror=alert(1)>"
    path = write(tmp_path / "wagon-tests.json", data)
    result = wagonyard("github", "report", "--pr", "7", "--report", str(path), "--repo", str(repo))
    assert result.code == 1
    assert "datasets/0/cases/1/status" in result.err
    assert "fails schema/wagon-test-report.schema.json" in result.err
    assert fake_github.requests == []


def test_rate_limits_and_server_errors_are_retried_then_reported(
    wagonyard: Cli, repo: Path, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    import time

    fake_github.pulls[7] = Pull("analyst", HEAD)
    pull = "/repos/wagonyard/wagonyard/pulls/7"
    comments = "/repos/wagonyard/wagonyard/issues/7/comments"
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()))}
    fake_github.failures = [
        Failure("GET", pull, 503, 2),
        Failure("POST", comments, 403, 1, limited, "API rate limit exceeded for installation."),
    ]
    ok = _report(wagonyard, repo, tmp_path)
    assert ok.code == 0, ok.output
    assert fake_github.requests.count(("GET", pull)) == 3
    assert fake_github.requests.count(("POST", comments)) == 2
    assert len(fake_github.comments_on(7)) == 1

    fake_github.failures = [Failure("GET", pull, 503, 99)]
    down = _report(wagonyard, repo, tmp_path)
    assert down.code == 1
    assert "reading pull request #7: GitHub answered 503" in down.err
    assert "kept failing after retries" in down.err
    assert fake_github.requests.count(("GET", pull)) == 3 + 1 + FAST.retries

    far = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3600)}
    fake_github.failures = [
        Failure("POST", comments, 403, 99, far, "API rate limit exceeded for installation.")
    ]
    fake_github.comments.clear()
    limited_out = _report(wagonyard, repo, tmp_path)
    assert limited_out.code == 1
    assert "rate limit" in limited_out.err and "resets at" in limited_out.err
    assert fake_github.comments == {}
