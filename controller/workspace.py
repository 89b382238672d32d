"""Find the catalog, site and schema folders, and set up a demo working directory.

In a source checkout they sit beside the package; in an installed wheel they are shipped as
``controller/_data``. Adapter: looks at the file system and runs git.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import controller
from controller.errors import WagonyardError
from controller.history import GitRepo

PACKAGE_DIR = Path(controller.__file__).resolve().parent


def shipped(folder: str) -> Path:
    """The project's own ``catalog``, ``site`` or ``schema`` folder."""
    for candidate in (PACKAGE_DIR.parent / folder, PACKAGE_DIR / "_data" / folder):
        if candidate.is_dir():
            return candidate
    raise WagonyardError(f"cannot find wagonyard's '{folder}' folder; reinstall wagonyard")


def find_catalog(start: Path | None = None, example: bool = True) -> Path:
    """The nearest ``catalog/`` folder from ``start`` upwards, else the shipped example (with
    ``example=False``, for commands that edit it: an error saying where to run)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "catalog" / "analyses").is_dir():
            return folder / "catalog"
    if not example:
        raise WagonyardError(
            "no catalog/ folder here or above; run in your clone of the catalog repository, or "
            "give --catalog"
        )
    return shipped("catalog")


def init_demo_repo(workdir: Path, catalog_src: Path) -> Path:
    """A git repository ``workdir/repo`` with the catalog on main, pushed to a bare origin."""
    origin = workdir / "origin.git"
    repo = workdir / "repo"
    if not origin.exists():
        origin.mkdir(parents=True)
        GitRepo(origin).git("init", "--quiet", "--bare", "--initial-branch=main")
    if not (repo / ".git").exists():
        repo.mkdir(parents=True, exist_ok=True)
        GitRepo(repo).git("init", "--quiet", "--initial-branch=main")
        GitRepo(repo).git("remote", "add", "origin", str(origin.resolve()))
    target = repo / "catalog"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(catalog_src, target, ignore=shutil.ignore_patterns("__pycache__"))
    git = GitRepo(repo)
    git.git("add", "--all", "catalog")
    if git.git("status", "--porcelain", "--", "catalog"):
        git.git("commit", "--quiet", "-m", "Import the example catalog")
        git.git("push", "--quiet", "origin", "main")
    return repo
