"""Read what the site shows from a wagonyard repository: main's catalog (at one commit, from
git, not the work tree), the history branch (train records, wagon-test reports, e-mails that
failed), the catalog's ``git log`` and the trains' merged outputs. The site's time is the
newest of main's and the history's commit times, never the clock. Adapter: git and files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from controller.catalog.loader import scan_catalog
from controller.config import Config, load_config
from controller.errors import HistoryError, WagonyardError
from controller.history import GitRepo, HistoryStore
from controller.reconcile.mail import Notice
from controller.sitegen.assemble import SiteInputs
from controller.sitegen.changes import LOG_FORMAT, parse_log
from controller.sitegen.model import TestRun
from controller.sitegen.trains import RecordSource
from controller.wagontest.report import TestReport


def _git(repo: Path, *args: str) -> bytes:
    return GitRepo(repo).git_bytes(*args)


def _commit_time(repo: Path, rev: str) -> datetime:
    stamp = _git(repo, "show", "-s", "--format=%ct", rev).decode().strip()
    return datetime.fromtimestamp(int(stamp), UTC)


@dataclass(frozen=True)
class Located:
    """What ``locate`` finds first: main's commit and configuration, and the history branch
    listed (the train records known by blob id, not yet read: the shards read them)."""

    repo: Path
    main: str
    config: Config
    store: HistoryStore
    tip: str | None
    listed: Mapping[str, str]  # path on the history branch -> blob id
    records: RecordSource
    warnings: tuple[str, ...]


def locate(repo: Path) -> Located:
    """Main's commit and ``wagonyard.yaml`` there, and the history branch's files listed: a
    second, so the records can be read while the rest of the repository is."""
    repo = repo.resolve()
    if not (repo / ".git").exists() and not (repo / "HEAD").is_file():
        raise WagonyardError(f"{repo} is not a git repository; give the repository with --repo")
    warnings: list[str] = []
    branch = load_config(repo).controller.main
    main = _branch_tip(repo, branch, warnings)
    if main is None:
        raise WagonyardError(
            f"{repo} has no branch '{branch}' (controller.main in wagonyard.yaml); "
            "fetch it, or build in the repository that has it"
        )
    with tempfile.TemporaryDirectory(prefix="wagonyard-site-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        config_file = _config_file(repo, main)
        if config_file:
            _check_out(repo, main, config_file, tree)
        config = load_config(tree)
    store = HistoryStore(repo, config.history.branch)
    tip = _branch_tip(repo, config.history.branch, warnings)
    listed = store.blob_ids(tip) if tip is not None else {}
    blobs = [
        (path, blob)
        for path, blob in listed.items()
        if path.startswith("trains/") and path.endswith("/record.json")
    ]
    records = RecordSource(store=store, blobs=blobs) if tip is not None else RecordSource()
    return Located(repo, main, config, store, tip, listed, records, tuple(warnings))


def read_repository(
    repo: Path,
    outputs_root: Path | None = None,
    located: Located | None = None,
    kept: Path | None = None,
) -> tuple[SiteInputs, Path, list[str]]:
    """Everything the site shows, read from ``repo`` (found by ``locate``, unless given);
    where the trains' outputs are (the controller's, unless given); and warnings worth
    telling the operator. ``kept``: a folder where main's catalog stays checked out between
    builds (the site's cache), brought up to date in place; else a temporary one."""
    found = located or locate(repo)
    repo, main, config = found.repo, found.main, found.config
    warnings = list(found.warnings)
    if kept is not None and _has_catalog(repo, main):
        tree = _kept_checkout(repo, main, kept)
        scan = scan_catalog(tree / "catalog", tree, tasks=False)
    else:
        with tempfile.TemporaryDirectory(prefix="wagonyard-site-") as tmp:
            tree = Path(tmp) / "tree"
            _check_out(repo, main, ["catalog"], tree)
            scan = scan_catalog(tree / "catalog", tree, tasks=False)
    errors = [p for p in scan.problems if p.severity == "error"]
    if errors:
        warnings.append(
            f"main's catalog at {main[:10]} has {len(errors)} problem(s); the site shows the "
            f"valid part (first: {errors[0]}); run 'wagonyard validate'"
        )
    home = config.controller.home
    if outputs_root is None:
        base = Path(home) if home else repo / ".git" / "wagonyard"
        outputs_root = (base if base.is_absolute() else repo / base) / "outputs"
    tests, unsent = _history(found.store, found.listed, warnings)
    changes = parse_log(
        _git(
            repo,
            "log",
            "-p",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            f"--format={LOG_FORMAT}",
            main,
            "--",
            "catalog",
        ).decode("utf-8", errors="replace")
    )
    times = [_commit_time(repo, main)]
    if found.tip is not None:
        times.append(_commit_time(repo, found.tip))
    inputs = SiteInputs(
        catalog=scan.catalog,
        records=found.records,
        generated=max(times),
        catalog_commit=main,
        tests=tests,
        changes=changes,
        unsent=unsent,
        title=config.site.title,
        repo_url=config.site.repo_url,
    )
    return inputs, outputs_root, warnings


# how git writes main's files for the site: symbolic links as plain files, no hook of the repository
_SAFE_CHECKOUT = ("-c", "core.symlinks=false", "-c", f"core.hooksPath={os.devnull}")


def _check_out(repo: Path, commit: str, paths: list[str], into: Path) -> None:
    """Write ``paths`` as they are at ``commit`` into the folder ``into``, by git itself (a
    10,000-file catalog in a second; Python's tarfile took six), through an index of its own:
    the repository's index, HEAD and work tree are not touched, no hook runs, and symbolic
    links come out as plain files holding their target, so nothing read leaves ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    GitRepo(repo).git_bytes(
        *_SAFE_CHECKOUT,
        f"--work-tree={into}",
        "checkout",
        commit,
        "--",
        *paths,
        env={"GIT_INDEX_FILE": str(into.parent / "index")},
    )


def _has_catalog(repo: Path, commit: str) -> bool:
    try:
        return GitRepo(repo).git("cat-file", "-t", f"{commit}:catalog") == "tree"
    except HistoryError:
        return False


def _kept_checkout(repo: Path, commit: str, kept: Path) -> Path:
    """``kept``/tree/catalog made main's catalog at ``commit`` in place, by git through an
    index of its own (``kept``/index): only files that differ from it are written, files that
    are not in it are removed, and nothing is deleted and written again. (A big catalog is
    10,000 files; a fresh checkout deleted after each build also slows the next thousands of
    files the filesystem creates.) As ``_check_out``: no hook, symbolic links as plain files.
    A folder git cannot bring up to date is made again."""
    kept = kept.resolve()  # git runs in the repository: a relative path would be read there
    work = kept / "tree" / "catalog"
    git = GitRepo(repo)
    args = (*_SAFE_CHECKOUT, f"--work-tree={work}")
    for attempt in (1, 2):
        work.mkdir(parents=True, exist_ok=True)
        env = {"GIT_INDEX_FILE": str(kept / "index")}
        try:
            git.git_bytes(*args, "read-tree", "--reset", "-u", f"{commit}:catalog", env=env)
            git.git_bytes(*args, "clean", "-ffdxq", env=env)
            break
        except HistoryError:
            if attempt == 2:
                raise
            shutil.rmtree(kept, ignore_errors=True)
    return kept / "tree"


def _config_file(repo: Path, commit: str) -> list[str]:
    listed = _git(repo, "ls-tree", "--name-only", commit, "--", "wagonyard.yaml").decode()
    return ["wagonyard.yaml"] if listed.strip() else []


def _branch_tip(repo: Path, branch: str, warnings: list[str]) -> str | None:
    """The branch's commit; in a clone that only fetched it (a CI checkout), the remote's."""
    git = GitRepo(repo)
    local = git.rev(f"refs/heads/{branch}")
    if local is not None:
        return local
    for remote in git.git("remote").split():
        found = git.rev(f"refs/remotes/{remote}/{branch}")
        if found is not None:
            warnings.append(f"no local branch {branch}: read {remote}/{branch}")
            return found
    return None


def _history(
    store: HistoryStore, listed: Mapping[str, str], warnings: list[str]
) -> tuple[list[TestRun], list[tuple[str, str]]]:
    """The wagon tests and the e-mails that failed, from the history branch's listing."""
    data = store.read_listed(
        listed,
        lambda p: (
            (p.startswith("wagon-tests/") and p.endswith("/report.json"))
            or p.startswith("notifications/")
        ),
    )
    tests: list[TestRun] = []
    unsent: list[tuple[str, str]] = []
    for path, blob in data.items():
        try:
            if path.startswith("wagon-tests/"):
                report = TestReport.model_validate_json(blob)
                tests += [
                    TestRun(report.test_id, report.created, report.catalog_commit, case)
                    for d in report.datasets
                    for case in d.cases
                    if case.kind in ("wagon", "train")
                ]
            else:
                unsent += _unsent(blob)
        except (ValidationError, ValueError) as exc:
            first = str(exc).splitlines()[0]
            warnings.append(f"{store.branch}:{path} cannot be read ({first}); left out of the site")
    return tests, unsent


def _unsent(blob: bytes) -> list[tuple[str, str]]:
    notice = Notice.model_validate_json(blob)
    return [] if notice.sent or not notice.error else [(notice.subject, notice.error)]
