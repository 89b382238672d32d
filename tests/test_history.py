"""The history branch: commits through a private index, pushed to a real bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.errors import HistoryError
from controller.history import HistoryStore
from tests.gitrepo import git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(origin))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    (work / "catalog.txt").write_text("desired state\n")
    git(work, "add", "catalog.txt")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    git(work, "push", "-q", "origin", "HEAD:main")
    return work


def test_commits_land_on_the_branch_and_the_remote_not_on_main(repo: Path) -> None:
    main_before = git(repo, "rev-parse", "HEAD")
    store = HistoryStore(repo, remote="origin")
    first = store.commit({"trains/t1/record.json": b'{"a": 1}\n'}, "Compose train t1")
    second = store.commit({"trains/t1/record.json": b'{"a": 2}\n', "x/y": b"z"}, "Train t1 done")
    assert git(repo, "rev-parse", "HEAD") == main_before
    assert git(repo, "status", "--porcelain") == ""
    assert store.read("trains/t1/record.json") == b'{"a": 2}\n'
    assert store.files("trains") == ["trains/t1/record.json"]
    assert [s for _, s in store.log()] == ["Train t1 done", "Compose train t1"]
    assert git(repo, "rev-parse", f"{second}^") == first
    origin = repo.parent / "origin.git"
    assert git(origin, "rev-parse", "refs/heads/wagonyard/history") == second


def test_a_branch_moved_by_someone_else_is_not_overwritten(repo: Path) -> None:
    store = HistoryStore(repo)
    store.commit({"a": b"1"}, "one")
    git(repo, "branch", "-f", "wagonyard/history", "main")  # someone else moves it
    # our next commit starts from what the branch now is: nothing of theirs is lost
    store.commit({"b": b"2"}, "two")
    assert "catalog.txt" in store.files()
    assert store.read("a") is None


def test_reading_an_absent_branch_is_empty_and_bad_repo_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(HistoryError, match="git"):
        HistoryStore(tmp_path / "plain").commit({"a": b"1"}, "x")
