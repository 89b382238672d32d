"""CLI commands on the catalog: validate, schema. (Being written: see issue 2.)"""

import click


@click.command("validate")
def validate_command() -> None:
    """Validate the catalog."""
    raise click.ClickException("not written yet")


@click.command("schema")
def schema_command() -> None:
    """Write or check the JSON Schemas."""
    raise click.ClickException("not written yet")
