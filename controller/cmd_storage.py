"""``wagonyard consolidate``: copy a dataset's files onto one storage element and propose the
dataset change. Wiring only: the plan and the edit are in ``controller.storage.consolidate``."""

from __future__ import annotations

from pathlib import Path

import click

from controller.errors import StorageError, WagonyardError
from controller.options import data_dir_option, edited_catalog, edited_catalog_option


def _same(source: str, destination: str) -> bool:
    from controller.storage.transfer import checksum_of, size_of

    try:
        return size_of(destination) == size_of(source) and checksum_of(destination) == checksum_of(
            source
        )
    except StorageError:
        return False


@click.command("consolidate")
@click.option("--dataset", "dataset_name", required=True, help="The dataset to consolidate.")
@click.option("--to", "target", required=True, help="The storage element to copy its files to.")
@click.option(
    "--plan",
    "plan_only",
    is_flag=True,
    help="Only show the jobs before and after and the copies to make; copy and edit nothing.",
)
@edited_catalog_option
@data_dir_option
def consolidate_command(
    dataset_name: str, target: str, plan_only: bool, catalog_dir: Path | None, data_dir: Path | None
) -> None:
    """Copy a dataset's files onto one storage element (xrdcp, each copy verified by size and
    adler32), so that one job reads several of them; show how many jobs the dataset needs
    before and after; write the dataset change for a pull request."""
    from controller.catalog.loader import load_valid_catalog
    from controller.cmd_author import git_hint
    from controller.config import load_config
    from controller.engine.files import data_dir as default_data_dir
    from controller.engine.files import input_files
    from controller.storage.consolidate import edited_text, plan, run_copies
    from controller.storage.transfer import copy_verified

    folder = edited_catalog(catalog_dir)
    storage = load_config(folder.parent).storage
    catalog = load_valid_catalog(folder)
    entry = catalog.datasets.get(dataset_name)
    if entry is None:
        known = ", ".join(sorted(catalog.datasets)) or "none"
        raise WagonyardError(f"there is no dataset '{dataset_name}' in {folder} (known: {known})")
    ds = entry.model
    by_events = ds.splitting.events_per_job is not None
    files = input_files(catalog, ds, default_data_dir(data_dir), by_events, storage)
    p = plan(ds, files, target, storage)
    saved = p.jobs_before - p.jobs_after
    click.echo(
        f"{dataset_name}: {len(files)} files, {p.jobs_before} jobs now, {p.jobs_after} once on "
        f"{target} ({saved} fewer, {saved / max(p.jobs_before, 1):.0%})"
    )
    click.echo(f"{len(p.copies)} file(s) to copy to {target}")
    if plan_only or not p.copies:
        if not p.copies:
            click.echo(f"every file of {dataset_name} is on {target} already: nothing to do")
        return
    copied = run_copies(p.copies, copy_verified, _same, click.echo)
    click.echo(f"copied {copied} bytes, every copy verified")
    relative = entry.path.removeprefix("catalog/")
    path = folder / relative
    path.write_text(edited_text(path.read_text(encoding="utf-8"), str(path), p, ds), "utf-8")
    git_hint(
        folder,
        [path],
        f"consolidate-{dataset_name}",
        f"Consolidate {dataset_name} on {target}: {p.jobs_before} jobs become {p.jobs_after}",
    )
