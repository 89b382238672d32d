"""The files a git change touches: committed since REV, staged, unstaged and untracked.

Adapter around ``git``; the decision of what they affect is ``controller.wagontest.select``.
"""

from __future__ import annotations

from pathlib import Path

from controller.errors import HistoryError, WagonyardError
from controller.history import GitRepo


def changed_paths(repo: Path, since: str) -> list[str]:
    """Paths relative to the repository root changed since ``since`` (the work tree included)."""
    git = GitRepo(repo)
    if git.rev(since) is None:
        raise WagonyardError(
            f"--changed-since {since}: no such commit in {repo} "
            "(fetch it first, e.g. 'git fetch origin main', or name another revision)"
        )
    try:
        diff = git.git("diff", "--name-only", "--no-renames", since)
        untracked = git.git("ls-files", "--others", "--exclude-standard")
    except HistoryError as exc:
        raise WagonyardError(f"cannot list the changes since {since}: {exc}") from exc
    return sorted({p for p in (diff + "\n" + untracked).splitlines() if p})


def repo_root(path: Path) -> Path | None:
    """The git work tree holding ``path``, or None."""
    try:
        return Path(GitRepo(path).git("rev-parse", "--show-toplevel"))
    except HistoryError:
        return None
