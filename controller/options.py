"""Command-line options that several commands share, defined once."""

from __future__ import annotations

from pathlib import Path

import click

catalog_option = click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The catalog (default: the nearest catalog/ upwards from here, else the shipped example).",
)
edited_catalog_option = click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="The catalog to edit (default: the nearest catalog/ upwards from here; its "
    "repository's wagonyard.yaml holds the settings).",
)


def edited_catalog(given: Path | None) -> Path:
    """The catalog a command edits: ``--catalog``, else the nearest one (never the example)."""
    from controller.workspace import find_catalog

    return given.resolve() if given is not None else find_catalog(example=False)


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where relative dataset paths are (default: $WAGONYARD_DATA, else ./data).",
)
