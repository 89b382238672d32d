"""The ``wagonyard`` command line: wires the commands together and maps errors to exit codes.

A known ``WagonyardError`` prints its message and exits 1; anything unexpected exits 3 with
the traceback written to a log file whose path is printed. A user never sees a traceback.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

from controller import __version__
from controller.cmd_author import analysis_command, wagon_command
from controller.cmd_catalog import schema_command, validate_command
from controller.cmd_github import codeowners_command, github_group
from controller.cmd_reconcile import history_command, reconcile_command, status_command
from controller.cmd_site import site_command
from controller.cmd_storage import consolidate_command
from controller.cmd_train import (
    demo_command,
    demo_data_command,
    job_command,
    merge_command,
    run_command,
)
from controller.errors import WagonyardError
from controller.wagontest.cli import test_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wagonyard")
def cli() -> None:
    """wagonyard: analysis trains the GitOps way."""


for command in (
    validate_command,
    schema_command,
    demo_command,
    demo_data_command,
    run_command,
    test_command,
    merge_command,
    job_command,
    reconcile_command,
    status_command,
    history_command,
    site_command,
    analysis_command,
    wagon_command,
    github_group,
    codeowners_command,
    consolidate_command,
):
    cli.add_command(command)


def _crash_log() -> Path:
    base = Path(os.environ.get("WAGONYARD_LOG_DIR", tempfile.gettempdir()))
    base.mkdir(parents=True, exist_ok=True)
    return base / "wagonyard-crash.log"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; the console script's entry point."""
    try:
        cli.main(args=argv, prog_name="wagonyard", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("wagonyard: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except WagonyardError as exc:
        click.echo(f"wagonyard: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("wagonyard: interrupted", err=True)
        sys.exit(130)
    except Exception:
        log = _crash_log()
        with log.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.now(UTC).isoformat()} wagonyard {' '.join(sys.argv[1:])}\n")
            f.write(traceback.format_exc())
        click.echo(
            "wagonyard: internal error (a bug in wagonyard, not in your input). "
            f"The traceback is in {log}; please attach it to an issue.",
            err=True,
        )
        sys.exit(3)
