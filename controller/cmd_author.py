"""The analysts' commands: ``wagonyard analysis new`` and ``wagonyard wagon new | clone |
enable | disable | show | try``. Each edit is checked as ``validate`` checks the catalog before
anything is written, keeps the files' comments and order, and ends with the git commands that
put it in a pull request. Wiring only: the edits are in ``controller.authoring``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from controller.errors import WagonyardError
from controller.options import data_dir_option, edited_catalog, edited_catalog_option


def _split_ref(ref: str) -> tuple[str, str]:
    analysis, slash, wagon = ref.partition("/")
    if not slash or not analysis or not wagon or "/" in wagon:
        raise WagonyardError(f"{ref!r}: name a wagon as analysis/wagon, for example zmumu/mass")
    return analysis, wagon


def _wagon_path(catalog_dir: Path, ref: str, must_exist: bool = True) -> str:
    analysis, wagon = _split_ref(ref)
    relative = f"analyses/{analysis}/wagons/{wagon}.yaml"
    if not (catalog_dir / "analyses" / analysis / "analysis.yaml").is_file():
        raise WagonyardError(
            f"there is no analysis '{analysis}' in {catalog_dir}; create it with "
            f"'wagonyard analysis new {analysis}'"
        )
    exists = (catalog_dir / relative).is_file()
    if must_exist and not exists:
        raise WagonyardError(f"there is no wagon {ref} ({catalog_dir.name}/{relative})")
    if not must_exist and exists:
        raise WagonyardError(f"the wagon {ref} exists already ({catalog_dir.name}/{relative})")
    return relative


def _read(catalog_dir: Path, relative: str) -> str:
    return (catalog_dir / relative).read_text(encoding="utf-8")


def git_hint(catalog_dir: Path, written: list[Path], branch: str, message: str) -> None:
    root = catalog_dir.parent
    paths = " ".join(str(p.relative_to(root)) for p in written)
    click.echo(f"wrote {', '.join(str(p.relative_to(root)) for p in written)}")
    click.echo("to propose it in a pull request:")
    click.echo(f"  git switch -c {branch}")
    click.echo(f"  git add {paths}")
    click.echo(f"  git commit -m {json.dumps(message)}")
    click.echo(f"  git push -u origin {branch}")


def _commit_of(folder: Path) -> str:
    """HEAD of the catalog's repository, or 'working-tree' if the catalog has changes or none."""
    from controller.history import GitRepo

    git = GitRepo(folder)
    try:
        head = git.rev("HEAD")
        dirty = git.git("status", "--porcelain", "--", ".")
    except WagonyardError:
        return "working-tree"
    return head if head and not dirty else "working-tree"


@click.group("analysis")
def analysis_command() -> None:
    """Start an analysis."""


@analysis_command.command("new")
@click.argument("name")
@click.option("--title", required=True, help="A one-line human title.")
@click.option("--group", required=True, help="The physics group (PWG), e.g. EW.")
@click.option("--member", "members", multiple=True, required=True, help="A GitHub login.")
@edited_catalog_option
def analysis_new(
    name: str, title: str, group: str, members: tuple[str, ...], catalog_dir: Path | None
) -> None:
    """A new analysis NAME: its folder, analysis.yaml and a tasks.py with an example task."""
    from controller.authoring.apply import apply_checked
    from controller.authoring.edits import analysis_files

    catalog = edited_catalog(catalog_dir)
    if (catalog / "analyses" / name).exists():
        raise WagonyardError(f"the analysis {name} exists already ({catalog.name}/analyses/{name})")
    written = apply_checked(catalog, analysis_files(name, title, group, members))
    written += _refresh_codeowners(catalog)
    git_hint(catalog, written, f"analysis/{name}", f"Start the analysis {name}")


def _refresh_codeowners(catalog: Path) -> list[Path]:
    """The repository's .github/CODEOWNERS, if it has one, with the new analysis's members."""
    from controller.catalog.loader import scan_catalog
    from controller.config import load_config
    from controller.github.codeowners import PATH, codeowners

    root = catalog.parent
    owners = root / PATH
    if not owners.is_file():
        return []
    analyses = scan_catalog(catalog, root, tasks=False).catalog.analyses
    members = {n: list(e.model.members) for n, e in analyses.items()}
    teams = load_config(root).github
    text = codeowners(members, teams.operators_team, teams.data_quality_team, catalog.name)
    if owners.read_text(encoding="utf-8") == text:
        return []
    owners.write_text(text, encoding="utf-8")
    return [owners]


@click.group("wagon")
def wagon_command() -> None:
    """Create, clone, enable, show and try wagons."""


@wagon_command.command("new")
@click.argument("ref")
@click.option("--task", required=True, help="The task as module:Class, e.g. tasks:DimuonMass.")
@click.option("--set", "sets", multiple=True, help="A configurable's value, key=value.")
@edited_catalog_option
def wagon_new(ref: str, task: str, sets: tuple[str, ...], catalog_dir: Path | None) -> None:
    """A new wagon REF (analysis/wagon) of TASK, its configurables written out with their
    defaults and descriptions."""
    from controller.authoring.apply import apply_checked
    from controller.authoring.edits import parse_sets, wagon_text
    from controller.authoring.taskinfo import task_info

    catalog = edited_catalog(catalog_dir)
    relative = _wagon_path(catalog, ref, must_exist=False)
    analysis, wagon = _split_ref(ref)
    values = parse_sets(sets)
    info = task_info(catalog / "analyses" / analysis, task, {})
    text = wagon_text(wagon, task, info.fields, values, info.doc)  # then checked as validate does
    written = apply_checked(catalog, {relative: text})
    git_hint(catalog, written, f"wagon/{analysis}-{wagon}", f"Add the wagon {ref}")


@wagon_command.command("clone")
@click.argument("source")
@click.argument("target")
@edited_catalog_option
def wagon_clone(source: str, target: str, catalog_dir: Path | None) -> None:
    """Copy the wagon SOURCE to TARGET (analysis/wagon), disabled until enabled."""
    from controller.authoring.apply import apply_checked
    from controller.authoring.edits import clone_text

    catalog = edited_catalog(catalog_dir)
    src = _wagon_path(catalog, source)
    dst = _wagon_path(catalog, target, must_exist=False)
    dst_analysis = _split_ref(target)[0]
    theirs = {p.stem for p in (catalog / "analyses" / dst_analysis / "wagons").glob("*.yaml")}
    text = clone_text(_read(catalog, src), source, target, _commit_of(catalog), theirs)
    try:
        written = apply_checked(catalog, {dst: text})
    except WagonyardError as exc:
        src_analysis = _split_ref(source)[0]
        if src_analysis != dst_analysis and "task" in str(exc):
            raise WagonyardError(
                f"{exc}\nthe task's code lives in analyses/{src_analysis}/: copy the class into "
                f"analyses/{dst_analysis}/ first, or clone into an analysis that has it"
            ) from exc
        raise
    git_hint(catalog, written, f"wagon/{target.replace('/', '-')}", f"Clone {source} as {target}")


def _code(tag: str | None, pull_request: int | None) -> dict[str, Any] | None:
    if tag and pull_request:
        raise WagonyardError("give --tag or --pull-request, not both")
    if tag:
        return {"source": "tag", "tag": tag}
    if pull_request:
        return {"source": "pull-request", "pull_request": pull_request}
    return None


@wagon_command.command("enable")
@click.argument("ref")
@click.option("--dataset", required=True)
@click.option("--tag", help="Run the code of this git tag (default: the commit at composition).")
@click.option("--pull-request", type=click.IntRange(min=1), help="Run this pull request's code.")
@edited_catalog_option
def wagon_enable(
    ref: str, dataset: str, tag: str | None, pull_request: int | None, catalog_dir: Path | None
) -> None:
    """Enable the wagon REF on a dataset (or change the code it runs there)."""
    from controller.authoring.apply import apply_checked
    from controller.authoring.edits import enabled_text

    catalog = edited_catalog(catalog_dir)
    relative = _wagon_path(catalog, ref)
    text = enabled_text(
        _read(catalog, relative), relative, dataset, _code(tag, pull_request), enable=True
    )
    written = apply_checked(catalog, {relative: text})
    git_hint(
        catalog, written, f"wagon/{ref.replace('/', '-')}-{dataset}", f"Enable {ref} on {dataset}"
    )


@wagon_command.command("disable")
@click.argument("ref")
@click.option("--dataset", required=True)
@edited_catalog_option
def wagon_disable(ref: str, dataset: str, catalog_dir: Path | None) -> None:
    """Stop running the wagon REF on a dataset."""
    from controller.authoring.apply import apply_checked
    from controller.authoring.edits import enabled_text

    catalog = edited_catalog(catalog_dir)
    relative = _wagon_path(catalog, ref)
    text = enabled_text(_read(catalog, relative), relative, dataset, None, enable=False)
    written = apply_checked(catalog, {relative: text})
    git_hint(
        catalog,
        written,
        f"wagon/{ref.replace('/', '-')}-off-{dataset}",
        f"Disable {ref} on {dataset}",
    )


@wagon_command.command("show")
@click.argument("ref")
@edited_catalog_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def wagon_show(ref: str, catalog_dir: Path | None, fmt: str) -> None:
    """The wagon's effective configuration, dependencies, datasets and latest tests."""
    from controller.authoring.show import describe, render

    catalog = edited_catalog(catalog_dir)
    _wagon_path(catalog, ref)
    shown = describe(catalog, ref)
    click.echo(json.dumps(shown, indent=2, sort_keys=True) if fmt == "json" else render(shown))


@wagon_command.command("try")
@click.argument("ref")
@click.option("--dataset", required=True)
@click.option(
    "--events",
    type=click.IntRange(min=1),
    help="Events to read (default: the dataset's test sample).",
)
@click.option("-o", "--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@edited_catalog_option
@data_dir_option
def wagon_try(
    ref: str,
    dataset: str,
    events: int | None,
    output_dir: Path | None,
    catalog_dir: Path | None,
    data_dir: Path | None,
) -> None:
    """Run the wagon with its dependencies on the dataset's test sample, here and now."""
    from controller.authoring.trial import try_wagon

    catalog = edited_catalog(catalog_dir)
    _wagon_path(catalog, ref)
    out = output_dir or Path("wagonyard-try") / ref.replace("/", "-")
    for line in try_wagon(catalog, ref, dataset, events, data_dir, out):
        click.echo(line)
