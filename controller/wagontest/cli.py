"""``wagonyard test``: select, run, print the summary, write and record the report."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from controller.options import catalog_option, data_dir_option


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C."""


def _interrupt(signum: int, frame: object) -> None:
    raise Terminated


@click.command("test")
@click.option(
    "--wagon", "wagon_refs", multiple=True, help="Test this wagon (analysis/wagon); repeatable."
)
@click.option(
    "--changed-since",
    metavar="REV",
    default=None,
    help="Test every wagon a git change since REV affects (changed wagons and task code, "
    "their dependents, wagons on changed datasets).",
)
@click.option(
    "--dataset",
    "dataset_names",
    multiple=True,
    help="Only on this dataset; alone, test every wagon enabled on it.",
)
@catalog_option
@data_dir_option
@click.option(
    "--work",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("wagonyard-test"),
    show_default=True,
    help="Where the test jobs' outputs and logs go.",
)
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--record/--no-record",
    default=False,
    help="Commit the results to the history branch (what the controller does).",
)
def test_command(
    wagon_refs: tuple[str, ...],
    changed_since: str | None,
    dataset_names: tuple[str, ...],
    catalog_dir: Path | None,
    data_dir: Path | None,
    work: Path,
    markdown_path: Path | None,
    json_path: Path | None,
    record: bool,
) -> None:
    """Test wagons: the baseline, each wagon, the full train and the merge, measured."""
    # imported here, so that other commands do not pay for uproot and awkward at start-up
    from controller.catalog.loader import load_valid_catalog
    from controller.config import load_config
    from controller.engine.files import data_dir as default_data_dir
    from controller.errors import WagonyardError
    from controller.history import GitRepo, HistoryStore
    from controller.wagontest.changes import changed_paths, repo_root
    from controller.wagontest.report import CaseReport, markdown
    from controller.wagontest.run import run_tests
    from controller.wagontest.select import affected_wagons
    from controller.wagontest.store import previous_case, record_tests
    from controller.workspace import find_catalog

    wagons, datasets = list(wagon_refs), list(dataset_names)
    catalog_dir = catalog_dir or find_catalog()
    catalog = load_valid_catalog(catalog_dir)
    repo = repo_root(catalog_dir)
    selected: dict[str, str] = {}
    for ref in wagons:
        if ref not in catalog.wagons:
            raise WagonyardError(f"--wagon {ref}: no such wagon; give it as analysis/wagon")
        selected[ref] = "named on the command line"
    if changed_since:
        if repo is None:
            raise WagonyardError(
                f"--changed-since needs a git repository; {catalog_dir} is in none"
            )
        prefix = catalog_dir.resolve().relative_to(repo.resolve()).as_posix()
        changed = changed_paths(repo, changed_since)
        for ref, why in affected_wagons(catalog, changed, prefix).items():
            selected.setdefault(ref, why)
    for dataset in datasets:
        if dataset not in catalog.datasets:
            raise WagonyardError(f"--dataset {dataset}: no such dataset")
        if not wagons and not changed_since:
            for ref in catalog.enabled_on(dataset):
                selected.setdefault(ref, f"enabled on {dataset}")
    if not selected:
        click.echo("nothing to test: no wagon is selected or affected by the change")
        return
    commit = GitRepo(repo).git("rev-parse", "HEAD") if repo else "working-tree"
    store = HistoryStore(repo) if repo else None

    def previous(dataset: str, name: str) -> CaseReport | None:
        return previous_case(store, dataset, name) if store else None

    signal.signal(signal.SIGTERM, _interrupt)  # a SIGTERM stops the jobs as Ctrl-C does
    try:
        report = run_tests(
            catalog,
            selected,
            default_data_dir(data_dir),
            work,
            commit,
            previous,
            datasets or None,
            storage=load_config(catalog_dir.resolve().parent).storage,
        )
    except KeyboardInterrupt as exc:
        click.echo(
            "wagonyard: interrupted: the running test job was stopped, with every process it "
            "started; nothing was recorded",
            err=True,
        )
        raise SystemExit(143 if isinstance(exc, Terminated) else 130) from exc
    text = markdown(report)
    click.echo(text)
    if markdown_path:
        markdown_path.write_text(text)
    if json_path:
        json_path.write_text(report.model_dump_json(indent=1) + "\n")
    if record:
        if store is None:
            raise WagonyardError("--record needs the catalog in a git repository")
        from controller.reconcile.versions import test_versions
        from controller.reconcile.worktree import code_hashes

        versions = test_versions(
            catalog, code_hashes(catalog), [d.dataset for d in report.datasets]
        )
        for d in report.datasets:
            for case in d.cases:
                if case.kind == "wagon":
                    case.version = versions.get((d.dataset, case.name), "")
        sha = record_tests(store, report)
        click.echo(f"recorded on the history branch as {sha[:10]}")
    failed = report.failed()
    if failed:
        names = ", ".join(sorted({f"{c.name} on {c.dataset}" for c in failed}))
        raise WagonyardError(f"{len(failed)} test(s) failed: {names}")
