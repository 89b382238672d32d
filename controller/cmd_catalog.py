"""CLI commands on the catalog: ``validate`` reports every problem, ``schema`` writes the schemas.

Thin wiring: loading and checking live in ``controller.catalog``; this module picks the
folders, prints, and turns a failed check into a ``WagonyardError`` (exit 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from controller.errors import WagonyardError

if TYPE_CHECKING:  # imported where used: a command that needs no catalog starts faster
    from controller.catalog.loader import Scan
    from controller.catalog.schema import ValidationReport


@click.command("validate")
@click.argument("catalog_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="'text': one 'path:line:column: field: message (hint)' line per problem; "
    "'json': one report object.",
)
def validate_command(catalog_dir: Path | None, output_format: str) -> None:
    """Check every file of CATALOG_DIR and the references between them; exit 1 on errors.

    CATALOG_DIR defaults to ./catalog, or the nearest catalog/ folder above.
    """
    from controller.catalog.loader import scan_catalog

    scan = scan_catalog(catalog_dir or _nearest_catalog(Path.cwd()))
    report = build_report(scan)
    if output_format == "json":
        click.echo(report.model_dump_json(indent=2))
    else:
        for problem in scan.problems:
            click.echo(problem.format())
    if not report.ok:
        raise WagonyardError(summary(report))
    if output_format == "text":
        click.echo(summary(report))


def _nearest_catalog(start: Path) -> Path:
    for folder in (start, *start.resolve().parents):
        if (folder / "catalog").is_dir():
            return folder / "catalog"
    raise WagonyardError(
        f"no catalog/ folder in {start} or above: run this inside a repository with a "
        "catalog, or name the folder ('wagonyard validate path/to/catalog')"
    )


def build_report(scan: Scan) -> ValidationReport:
    """The validation report of a scan, with its totals."""
    from controller.catalog.schema import Counts, ValidationReport

    problems = scan.problems
    errors = sum(p.severity == "error" for p in problems)
    catalog = scan.catalog
    counts = Counts(
        errors=errors,
        warnings=len(problems) - errors,
        files_with_problems=len({p.path for p in problems}),
        analyses=len(catalog.analyses),
        wagons=len(catalog.wagons),
        datasets=len(catalog.datasets),
        runlists=len(catalog.runlists),
        train_requests=len(catalog.trains),
    )
    files = len(set(scan.files) | {p.path for p in problems})
    return ValidationReport(ok=errors == 0, files_checked=files, problems=problems, counts=counts)


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def summary(report: ValidationReport) -> str:
    """'3 errors, 1 warning in 2 of 14 files' or 'catalog OK: 14 files (2 analyses, ...)'."""
    c = report.counts
    warnings = f", {_count(c.warnings, 'warning')}" if c.warnings else ""
    if not report.ok:
        return (
            f"{_count(c.errors, 'error')}{warnings} in {c.files_with_problems:,} of "
            f"{_count(report.files_checked, 'file')}"
        )
    kinds = ", ".join(
        [
            _count(c.analyses, "analysis", "analyses"),
            _count(c.wagons, "wagon"),
            _count(c.datasets, "dataset"),
            _count(c.runlists, "run list"),
        ]
        + ([_count(c.train_requests, "train request")] if c.train_requests else [])
    )
    return f"catalog OK: {_count(report.files_checked, 'file')} ({kinds}){warnings}"


@click.command("schema")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if a schema file is missing or differs from the models.",
)
@click.option(
    "--dir",
    "schema_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schema"),
    show_default=True,
    help="The folder of the schema files.",
)
def schema_command(check: bool, schema_dir: Path) -> None:
    """Write the JSON Schemas of the catalog files, generated from the pydantic models."""
    if check:
        from controller.catalog.schema import stale_schemas

        stale = stale_schemas(schema_dir)
        for name in stale:
            state = "missing" if not (schema_dir / name).exists() else "differs from the models"
            click.echo(f"{(schema_dir / name).as_posix()}: {state}")
        if stale:
            raise WagonyardError(
                f"{_count(len(stale), 'schema file')} out of date: run 'wagonyard schema' and "
                f"commit {schema_dir.as_posix()}/"
            )
        click.echo(f"schemas up to date in {schema_dir.as_posix()}/")
        return
    from controller.catalog.schema import write_schemas

    written = write_schemas(schema_dir)
    for path in written:
        click.echo(f"wrote {path.as_posix()}")
    if not written:
        click.echo(f"schemas already up to date in {schema_dir.as_posix()}/")
