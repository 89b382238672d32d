"""Record train runs as commits on a history branch of the catalog's git repository.

The catalog's ``main`` is the desired state; the history branch (``wagonyard/history`` by
default) is the observed state: one commit per recorded step, written with git's plumbing
through a private index, so the work tree and ``main`` are never touched. Pushes to a remote
where one is configured. Adapter around the ``git`` command.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from controller.errors import HistoryError

DEFAULT_BRANCH = "wagonyard/history"


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
        full_env = {**os.environ, **(env or {})}
        full_env.setdefault("GIT_AUTHOR_NAME", "wagonyard")
        full_env.setdefault("GIT_AUTHOR_EMAIL", "wagonyard@localhost")
        full_env.setdefault("GIT_COMMITTER_NAME", "wagonyard")
        full_env.setdefault("GIT_COMMITTER_EMAIL", "wagonyard@localhost")
        try:
            done = subprocess.run(
                ["git", "-C", str(self.path), *args],
                input=input,
                capture_output=True,
                env=full_env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise HistoryError("git is not installed; install git and retry") from exc
        if done.returncode != 0:
            raise HistoryError(
                f"git {' '.join(args[:2])} failed in {self.path}: "
                f"{done.stderr.decode(errors='replace').strip()}"
            )
        return done.stdout.decode().strip()

    def rev(self, ref: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except HistoryError:
            return None


class HistoryStore:
    """Write files onto the history branch as commits; read them back."""

    def __init__(self, repo: Path, branch: str = DEFAULT_BRANCH, remote: str | None = None) -> None:
        self.repo = GitRepo(repo)
        self.branch = branch
        self.remote = remote

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"

    def commit(self, files: dict[str, bytes], message: str) -> str:
        """Add or replace ``files`` (paths relative to the branch root) in one new commit."""
        parent = self.repo.rev(self.ref)
        with tempfile.TemporaryDirectory(prefix="wagonyard-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent:
                self.repo.git("read-tree", parent, env=env)
            for path, data in sorted(files.items()):
                blob = self.repo.git("hash-object", "-w", "--stdin", input=data)
                self.repo.git(
                    "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env
                )
            tree = self.repo.git("write-tree", env=env)
        args = ["commit-tree", tree, "-m", message]
        if parent:
            args += ["-p", parent]
        commit = self.repo.git(*args)
        # compare-and-swap: fails if someone else moved the branch meanwhile
        self.repo.git("update-ref", self.ref, commit, parent or "0" * 40)
        if self.remote:
            self.repo.git("push", "--quiet", self.remote, f"{self.ref}:{self.ref}")
        return commit

    def read(self, path: str) -> bytes | None:
        if self.repo.rev(self.ref) is None:
            return None
        try:
            out = subprocess.run(
                ["git", "-C", str(self.repo.path), "show", f"{self.ref}:{path}"],
                capture_output=True,
                check=False,
            )
        except FileNotFoundError as exc:
            raise HistoryError("git is not installed; install git and retry") from exc
        return out.stdout if out.returncode == 0 else None

    def files(self, prefix: str = "") -> list[str]:
        if self.repo.rev(self.ref) is None:
            return []
        out = self.repo.git("ls-tree", "-r", "--name-only", self.ref, "--", prefix or ".")
        return [line for line in out.splitlines() if line]

    def log(self, limit: int = 50) -> list[tuple[str, str]]:
        """(commit, subject) of the newest commits, newest first."""
        if self.repo.rev(self.ref) is None:
            return []
        out = self.repo.git("log", f"-{limit}", "--format=%H %s", self.ref)
        pairs = (line.split(" ", 1) for line in out.splitlines())
        return [(sha, subject) for sha, subject in pairs]
