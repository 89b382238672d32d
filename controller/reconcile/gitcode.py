"""Main and the wagons' code, from git: fetched, resolved to commits, materialised per commit.

The catalog a controller acts on is ``catalog/`` at main's commit, extracted with
``git archive`` into ``<home>/trees/<commit>/`` (content-addressed: a commit is extracted once
and never changed). A wagon whose code comes from a tag or a pull request gets the catalog of
that commit the same way; ``refs/pull/<n>/head`` is fetched from the remote. Adapter over git.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from controller.errors import HistoryError
from controller.history import GitRepo


class Code:
    """One repository's commits and their materialised catalogs."""

    def __init__(self, repo: GitRepo, remote: str | None, home: Path, main: str = "main") -> None:
        self.repo, self.remote, self.home, self.main = repo, remote, home, main
        self._fetched: set[str] = set()

    def fetch_main(self) -> str:
        """Main's commit, fetched from the remote first where there is one."""
        if self.remote:
            self.repo.git(
                "fetch",
                "--quiet",
                self.remote,
                f"+refs/heads/{self.main}:refs/remotes/{self.remote}/{self.main}",
            )
            ref = f"refs/remotes/{self.remote}/{self.main}"
        else:
            ref = f"refs/heads/{self.main}"
        commit = self.repo.rev(ref)
        if commit is None:
            raise HistoryError(f"no branch {self.main} in {self.repo.path}; push the catalog there")
        return commit

    def tag(self, tag: str) -> str | None:
        if self.remote and "tags" not in self._fetched:
            self._fetched.add("tags")
            self.repo.git("fetch", "--quiet", "--tags", self.remote)
        return self.repo.rev(f"refs/tags/{tag}")

    def pull_request(self, number: int) -> str | None:
        """The head commit of pull request ``number`` (``refs/pull/<n>/head`` on the remote)."""
        local = f"refs/wagonyard/pull/{number}"
        if self.remote and local not in self._fetched:
            self._fetched.add(local)
            try:
                self.repo.git("fetch", "--quiet", self.remote, f"+refs/pull/{number}/head:{local}")
            except HistoryError:
                return None
        return self.repo.rev(local)

    def blobs(
        self, commit: str, prefix: str = "catalog/analyses"
    ) -> dict[str, list[tuple[str, str]]]:
        """By analysis: (path within the analysis, blob id) of every file at ``commit``."""
        out = self.repo.git("ls-tree", "-r", commit, "--", prefix)
        found: dict[str, list[tuple[str, str]]] = {}
        for line in out.splitlines():
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) < 3 or parts[1] != "blob":
                continue
            rest = path[len(prefix) + 1 :]
            analysis, _, inner = rest.partition("/")
            found.setdefault(analysis, []).append((inner, parts[2]))
        return found

    def tree(self, commit: str) -> Path:
        """``catalog/`` (and ``wagonyard.yaml``) at ``commit``, extracted once: the catalog dir."""
        where = self.home / "trees" / commit
        if (where / "catalog").is_dir():
            return where / "catalog"
        where.parent.mkdir(parents=True, exist_ok=True)
        paths = ["catalog"]
        if self.repo.rev(commit) and _has(self.repo, commit, "wagonyard.yaml"):
            paths.append("wagonyard.yaml")
        data = self.repo.git_bytes("archive", "--format=tar", commit, "--", *paths)
        tmp = Path(tempfile.mkdtemp(prefix=f".{commit[:12]}-", dir=where.parent))
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                tar.extractall(tmp, filter="data")
            try:
                os.rename(tmp, where)
            except OSError:  # another controller extracted it meanwhile: the same content
                shutil.rmtree(tmp, ignore_errors=True)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return where / "catalog"


def _has(repo: GitRepo, commit: str, path: str) -> bool:
    try:
        repo.git("cat-file", "-e", f"{commit}:{path}")
    except HistoryError:
        return False
    return True
