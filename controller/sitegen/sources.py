"""Read what the site shows from a wagonyard repository: main's catalog (at one commit, from
git, not the work tree), the history branch (train records, wagon-test reports, e-mails that
failed), the catalog's ``git log`` and the trains' merged outputs. The site's time is the
newest of main's and the history's commit times, never the clock. Adapter: git and files.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from controller.catalog.loader import scan_catalog
from controller.config import load_config
from controller.errors import WagonyardError
from controller.history import GitRepo, HistoryStore
from controller.reconcile.mail import Notice
from controller.records import TrainRecord
from controller.sitegen.assemble import SiteInputs
from controller.sitegen.changes import LOG_FORMAT, parse_log
from controller.sitegen.gather import read_train_output
from controller.sitegen.model import TestRun
from controller.wagontest.report import TestReport


def _git(repo: Path, *args: str) -> bytes:
    return GitRepo(repo).git_bytes(*args)


def _commit_time(repo: Path, rev: str) -> datetime:
    stamp = _git(repo, "show", "-s", "--format=%ct", rev).decode().strip()
    return datetime.fromtimestamp(int(stamp), UTC)


def read_repository(
    repo: Path, outputs_root: Path | None = None
) -> tuple[SiteInputs, Path, list[str]]:
    """Everything the site shows, read from ``repo``; where the trains' outputs are (the
    controller's, unless given); and warnings worth telling the operator."""
    repo = repo.resolve()
    if not (repo / ".git").exists() and not (repo / "HEAD").is_file():
        raise WagonyardError(f"{repo} is not a git repository; give the repository with --repo")
    warnings: list[str] = []
    work_config = load_config(repo)
    branch = work_config.controller.main
    main = _branch_tip(repo, branch, warnings)
    if main is None:
        raise WagonyardError(
            f"{repo} has no branch '{branch}' (controller.main in wagonyard.yaml); "
            "fetch it, or build in the repository that has it"
        )
    with tempfile.TemporaryDirectory(prefix="wagonyard-site-") as tmp:
        tree = Path(tmp) / "tree"
        _check_out(repo, main, ["catalog", *_config_file(repo, main)], tree)
        config = load_config(tree)
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
    store = HistoryStore(repo, config.history.branch)
    tip = _branch_tip(repo, config.history.branch, warnings)
    records, raw, tests, unsent = _history(store, tip, warnings)
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
    if tip is not None:
        times.append(_commit_time(repo, tip))
    outputs = {r.train_id: read_train_output(r, outputs_root) for r in records}
    inputs = SiteInputs(
        catalog=scan.catalog,
        records=records,
        outputs=outputs,
        generated=max(times),
        catalog_commit=main,
        tests=tests,
        changes=changes,
        unsent=unsent,
        raw_records=raw,
        file_bytes=_input_sizes(records),
        title=config.site.title,
        repo_url=config.site.repo_url,
    )
    return inputs, outputs_root, warnings


def _check_out(repo: Path, commit: str, paths: list[str], into: Path) -> None:
    """Write ``paths`` as they are at ``commit`` into the folder ``into``, by git itself (a
    10,000-file catalog in a second; Python's tarfile took six), through an index of its own:
    the repository's index, HEAD and work tree are not touched, no hook runs, and symbolic
    links come out as plain files holding their target, so nothing read leaves ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    GitRepo(repo).git_bytes(
        "-c",
        "core.symlinks=false",
        "-c",
        f"core.hooksPath={os.devnull}",
        f"--work-tree={into}",
        "checkout",
        commit,
        "--",
        *paths,
        env={"GIT_INDEX_FILE": str(into.parent / "index")},
    )


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
    store: HistoryStore, tip: str | None, warnings: list[str]
) -> tuple[list[TrainRecord], dict[str, bytes], list[TestRun], list[tuple[str, str]]]:
    if tip is None:
        return [], {}, [], []
    data = store.read_listed(
        store.blob_ids(tip),
        lambda p: (
            (p.startswith("trains/") and p.endswith("/record.json"))
            or (p.startswith("wagon-tests/") and p.endswith("/report.json"))
            or p.startswith("notifications/")
        ),
    )
    records: list[TrainRecord] = []
    raw: dict[str, bytes] = {}
    tests: list[TestRun] = []
    unsent: list[tuple[str, str]] = []
    for path, blob in data.items():
        try:
            if path.startswith("trains/"):
                record = TrainRecord.model_validate_json(blob)
                records.append(record)
                raw[record.train_id] = blob
            elif path.startswith("wagon-tests/"):
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
    return records, raw, tests, unsent


def _unsent(blob: bytes) -> list[tuple[str, str]]:
    notice = Notice.model_validate_json(blob)
    return [] if notice.sent or not notice.error else [(notice.subject, notice.error)]


def _input_sizes(records: list[TrainRecord]) -> dict[str, int]:
    """The size of every input file of the newest done train per dataset, where it is here."""
    newest: dict[str, TrainRecord] = {}
    for r in sorted(records, key=lambda r: r.created):
        if r.state == "done":
            newest[r.dataset] = r
    sizes: dict[str, int] = {}
    for r in newest.values():
        for j in r.jobs:
            for s in j.files:
                if s.path not in sizes:
                    try:
                        sizes[s.path] = os.stat(s.path).st_size
                    except OSError:
                        continue
    return sizes
