"""``wagonyard demo``: the whole loop once, on the embedded local grid, in a working directory.

Validate the catalog and put it on main of a git repository with a bare origin, merge an
operator's train request per dataset, then run the real controller (``wagonyard reconcile``
passes) until it has nothing left to do: it tests the wagons, composes, tests and runs each
train on the grid, merges, records every step on the history branch; then build the site.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.loader import load_valid_catalog
from controller.errors import WagonyardError
from controller.history import GitRepo
from controller.reconcile.approvals import NoApprovals
from controller.reconcile.context import open_context
from controller.reconcile.observed import read_history
from controller.reconcile.passes import one_pass
from controller.records import TrainRecord
from controller.sitegen.build import build_from_repository
from controller.workspace import init_demo_repo

DEFAULT_DATASETS = ("cms-2010-dimuon", "hzz-mc")
MAX_PASSES = 200


@dataclass
class DemoResult:
    records: list[TrainRecord]
    outputs_root: Path
    site_index: Path
    repo: Path


def _request_trains(repo: Path, datasets: tuple[str, ...]) -> list[str]:
    """Merge one 'run' request per dataset, as an operator would; their names."""
    git = GitRepo(repo)
    folder = repo / "catalog" / "trains"
    folder.mkdir(exist_ok=True)
    names = []
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    for dataset in datasets:
        name = f"demo-{dataset}-{stamp}"  # a new request each time the demo runs
        (folder / f"{name}.yaml").write_text(
            "# yaml-language-server: $schema=../../schema/train-request.schema.json\n"
            f"name: {name}\naction: run\ndataset: {dataset}\n"
            "reason: wagonyard demo\nrequested_by: octocat\n"
        )
        names.append(name)
    git.git("add", "--all", "catalog/trains")
    git.git("commit", "--quiet", "-m", f"Request demo trains on {', '.join(datasets)}")
    git.git("push", "--quiet", "origin", "main")
    return names


def _on_storage(
    repo: Path,
    urls: dict[str, str],
    data_root: Path,
    datasets: tuple[str, ...],
    say: Callable[[str], None],
) -> None:
    from controller.demostorage import put_on_storage

    put_on_storage(repo, urls, data_root, list(datasets))
    git = GitRepo(repo)
    git.git("add", "--all", "catalog", "wagonyard.yaml")
    if git.git("status", "--porcelain", "--", "catalog", "wagonyard.yaml"):
        git.git("commit", "--quiet", "-m", "The demo datasets on XRootD storage elements")
        git.git("push", "--quiet", "origin", "main")
    said = ", ".join(f"{n} {u}" for n, u in urls.items())
    say(f"    the input files on XRootD storage elements ({said}); outputs to se-b")


def run_demo(
    workdir: Path,
    catalog_src: Path,
    data_root: Path,
    datasets: tuple[str, ...] = DEFAULT_DATASETS,
    say: Callable[[str], None] = print,
    backend_name: str | None = None,
    storage: str = "local",
) -> DemoResult:
    """The demo; with ``storage='xrootd'`` its inputs and outputs on XRootD servers."""
    if storage == "xrootd":
        from controller.demostorage import xrootd_servers

        with xrootd_servers(workdir) as (urls, where):
            say(f"    XRootD storage elements se-a and se-b serve {where}/se-*/data")
            return _run(workdir, catalog_src, data_root, datasets, say, backend_name, urls)
    return _run(workdir, catalog_src, data_root, datasets, say, backend_name, None)


def _run(
    workdir: Path,
    catalog_src: Path,
    data_root: Path,
    datasets: tuple[str, ...],
    say: Callable[[str], None],
    backend_name: str | None,
    urls: dict[str, str] | None,
) -> DemoResult:
    workdir, data_root = workdir.resolve(), data_root.resolve()
    say(f"1/4 validate {catalog_src}")
    catalog = load_valid_catalog(catalog_src)
    unknown = [d for d in datasets if d not in catalog.datasets]
    if unknown:
        raise WagonyardError(
            f"--dataset {unknown[0]}: no such dataset; known: {', '.join(sorted(catalog.datasets))}"
        )
    repo = init_demo_repo(workdir, catalog_src)
    if urls is not None:
        _on_storage(repo, urls, data_root, datasets, say)
    requests = _request_trains(repo, datasets)
    say(f"    catalog OK; on main of {repo}, with the train requests {', '.join(requests)}")
    ctx = open_context(repo, data_root, say=say, home=workdir, backend=backend_name)
    ctx.datasets = datasets
    say(f"2/4 reconcile until the grid matches main (grid backend: {ctx.backend.name})")
    for _ in range(MAX_PASSES):
        result = one_pass(ctx, NoApprovals(), lambda: datetime.now(UTC))
        if not result.plan.actions:
            break
        if result.waiting_for_lease:
            raise WagonyardError(f"the demo cannot act: {result.waiting_for_lease}")
        if all(a.kind == "advance" for a in result.plan.actions) and not result.commits:
            time.sleep(0.5)  # jobs running: look again shortly
    else:
        raise WagonyardError(f"the controller had still work to do after {MAX_PASSES} passes")
    say("3/4 the history branch")
    history = read_history(ctx.store)
    records = [r for r in history.records.values() if r.request in requests]
    records.sort(key=lambda r: r.dataset)
    for line in ctx.store.log(limit=12)[::-1]:
        say(f"    {line[0][:10]} {line[1]}")
    say("4/4 build the site")
    site_dir = workdir / "site"
    build_from_repository(repo, site_dir, workdir / "outputs")
    return DemoResult(records, workdir / "outputs", site_dir / "index.html", repo)
