"""CLI commands that run trains: demo, demo-data, merge, job. (Being written: see issue 2.)"""

import click


@click.command("demo")
def demo_command() -> None:
    """Run the whole loop once."""
    raise click.ClickException("not written yet")


@click.command("demo-data")
def demo_data_command() -> None:
    """Write the large demo dataset."""
    raise click.ClickException("not written yet")


@click.command("merge")
def merge_command() -> None:
    """Merge job outputs."""
    raise click.ClickException("not written yet")


@click.command("job", hidden=True)
def job_command() -> None:
    """Run one grid job."""
    raise click.ClickException("not written yet")
