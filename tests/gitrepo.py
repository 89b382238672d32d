"""Run git in the tests' real repositories (with an identity, so commits work anywhere)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO_CATALOG = Path(__file__).resolve().parents[1] / "catalog"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def catalog_repo(repo: Path) -> Path:
    """A new git repository at ``repo`` holding a copy of the example catalog on main."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "--initial-branch=main")
    shutil.copytree(REPO_CATALOG, repo / "catalog", ignore=shutil.ignore_patterns("__pycache__"))
    return repo
