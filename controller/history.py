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
from collections.abc import Callable, Mapping
from pathlib import Path

from controller.errors import HistoryConflict, HistoryError

DEFAULT_BRANCH = "wagonyard/history"
DELTA_BASE_CACHE = "1g"  # a limit, not an allocation: git keeps only the bases it meets


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> str:
        return self.git_bytes(*args, input=input, env=env).decode().strip()

    def git_bytes(
        self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
    ) -> bytes:
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
        return done.stdout

    def rev(self, ref: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except HistoryError:
            return None


_TIP = object()  # commit on whatever the branch's tip is now


class HistoryStore:
    """Write files onto the history branch as commits; read them back.

    A commit names the parent it was planned on: it lands only if the branch is still there,
    locally (``update-ref`` with the old value) and on the remote (a push that is not a fast
    forward is refused); otherwise ``HistoryConflict`` says to read again. Never a force push.
    """

    def __init__(self, repo: Path, branch: str = DEFAULT_BRANCH, remote: str | None = None) -> None:
        self.repo = GitRepo(repo)
        self.branch = branch
        self.remote = remote

    @property
    def ref(self) -> str:
        return f"refs/heads/{self.branch}"

    def tip(self) -> str | None:
        return self.repo.rev(self.ref)

    def sync(self) -> None:
        """Make the local branch the remote's (the remote is the truth where there is one)."""
        if not self.remote:
            return
        try:
            self.repo.git("fetch", "--quiet", self.remote, f"+{self.ref}:{self.ref}")
        except HistoryError as exc:
            if "couldn't find remote ref" not in str(exc):
                raise

    def commit(
        self,
        files: dict[str, bytes],
        message: str,
        parent: str | object | None = _TIP,
        remove: tuple[str, ...] = (),
    ) -> str:
        """Add or replace ``files`` (paths relative to the branch root) in one new commit.

        With ``parent`` (a commit, or None for a branch that must not exist yet) the commit
        lands only if the branch is still there, else ``HistoryConflict``.
        """
        if parent is _TIP:
            parent = self.repo.rev(self.ref)
        assert parent is None or isinstance(parent, str)
        with tempfile.TemporaryDirectory(prefix="wagonyard-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent:
                self.repo.git("read-tree", parent, env=env)
            for path, data in sorted(files.items()):
                blob = self.repo.git("hash-object", "-w", "--stdin", input=data)
                self.repo.git(
                    "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env
                )
            for path in remove:
                self.repo.git("update-index", "--force-remove", path, env=env)
            tree = self.repo.git("write-tree", env=env)
        args = ["commit-tree", tree, "-m", message]
        if parent:
            args += ["-p", parent]
        commit = self.repo.git(*args)
        if self.remote:  # the remote first: a push that is not a fast-forward is refused
            try:
                self.repo.git("push", "--quiet", self.remote, f"{commit}:{self.ref}")
            except HistoryError as exc:
                if "rejected" in str(exc) or "fetch first" in str(exc):
                    raise HistoryConflict(
                        f"the history branch on {self.remote} moved since it was read"
                    ) from exc
                raise
        # compare-and-swap: fails if someone else moved the branch meanwhile
        try:
            self.repo.git("update-ref", self.ref, commit, parent or "0" * 40)
        except HistoryError as exc:
            if self.remote:  # the remote has it: the next sync brings the local branch along
                return commit
            raise HistoryConflict(
                f"the history branch {self.branch} moved since it was read"
            ) from exc
        return commit

    def blob_ids(self, at: str | None = None) -> dict[str, str]:
        """Every file of the branch (at ``at``) and its git blob id, from one ``ls-tree``."""
        rev = at or self.repo.rev(self.ref)
        if rev is None:
            return {}
        out = self.repo.git_bytes("ls-tree", "-r", "-z", "--full-tree", rev)
        ids = {}
        for item in out.split(b"\0"):
            if item:
                meta, _, path = item.partition(b"\t")
                kind_oid = meta.split(b" ")
                if kind_oid[1] == b"blob":
                    ids[path.decode()] = kind_oid[2].decode()
        return ids

    def read_listed(self, ids: Mapping[str, str], keep: Callable[[str], bool]) -> dict[str, bytes]:
        """The files of a listing (``blob_ids``) whose path ``keep`` accepts, by path, with one
        ``git cat-file --batch`` by blob id: fast with 100,000 files, where asking by
        ``rev:path`` walks the tree for each one."""
        wanted = [p for p in ids if keep(p)]
        return dict(zip(wanted, self.read_blobs([ids[p] for p in wanted]), strict=True))

    def read_blobs(self, ids: list[str]) -> list[bytes]:
        """The contents of git blobs by id, in order, with one ``git cat-file --batch``.

        Records are stored as deltas of one another; with git's default cache of delta bases
        (96 MB) 100,000 of them took 16 s to read, with ``DELTA_BASE_CACHE`` 3 s."""
        if not ids:
            return []
        query = "".join(f"{i}\n" for i in ids).encode()
        try:
            cache = f"core.deltaBaseCacheLimit={DELTA_BASE_CACHE}"
            out = subprocess.run(
                ["git", "-c", cache, "-C", str(self.repo.path), "cat-file", "--batch"],
                input=query,
                capture_output=True,
                check=True,
            ).stdout
        except (FileNotFoundError, subprocess.CalledProcessError) as exc:
            raise HistoryError(
                f"cannot read the history branch in {self.repo.path}: {exc}"
            ) from exc
        found: list[bytes] = []
        pos = 0
        for oid in ids:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) != 3:
                raise HistoryError(f"git cat-file cannot read blob {oid} in {self.repo.path}")
            size = int(header[2])
            found.append(out[pos : pos + size])
            pos += size + 1
        return found

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

    def files(self, prefix: str = "", at: str | None = None) -> list[str]:
        rev = at or self.repo.rev(self.ref)
        if rev is None:
            return []
        out = self.repo.git("ls-tree", "-r", "--name-only", rev, "--", prefix or ".")
        return [line for line in out.splitlines() if line]

    def log(self, limit: int = 50) -> list[tuple[str, str]]:
        """(commit, subject) of the newest commits, newest first."""
        if self.repo.rev(self.ref) is None:
            return []
        out = self.repo.git("log", f"-{limit}", "--format=%H %s", self.ref)
        pairs = (line.split(" ", 1) for line in out.splitlines())
        return [(sha, subject) for sha, subject in pairs]
