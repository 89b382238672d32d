"""``wagonyard site build`` and ``wagonyard site serve``: the status site of a repository.

``build`` reads main's catalog and the history branch of the repository (not its work tree)
and writes the static site; ``serve`` previews a built site over http on localhost. Wiring
only: the site is made in ``controller.sitegen``.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click

from controller.cmd_reconcile import repo_option
from controller.errors import WagonyardError


@click.group("site")
def site_command() -> None:
    """Build the status site of a repository, or preview one."""


@site_command.command("build")
@repo_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("public"),
    show_default=True,
    help="Where the site is written (pages of objects gone since are removed; nothing else).",
)
@click.option(
    "--base-url",
    help="Where the site will be published (e.g. https://org.github.io/repo/): the feeds' "
    "links are absolute with it (default: site.url in wagonyard.yaml). Pages link "
    "relatively and work anywhere without it.",
)
@click.option(
    "--outputs",
    "outputs_root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the trains' merged outputs are (default: the controller's, "
    "<controller.home>/outputs).",
)
def build_command(
    repo: Path, out_dir: Path, base_url: str | None, outputs_root: Path | None
) -> None:
    """Build the static site from main's catalog and the history branch of REPO."""
    from controller.config import load_config
    from controller.sitegen.build import build_from_repository

    if base_url is None and (repo / ".git").exists():
        base_url = load_config(repo.resolve()).site.url
    pages, warnings = build_from_repository(repo, out_dir, outputs_root, base_url)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {len(pages)} pages to {out_dir}; open {out_dir / 'index.html'}")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@site_command.command("serve")
@click.option(
    "--dir",
    "site_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("public"),
    show_default=True,
)
@click.option("--port", type=int, default=8000, show_default=True)
def serve_command(site_dir: Path, port: int) -> None:
    """Preview a built site on http://127.0.0.1:PORT/ until Ctrl-C."""
    if not (site_dir / "index.html").is_file():
        raise WagonyardError(
            f"{site_dir} holds no built site (no index.html); run 'wagonyard site build --out "
            f"{site_dir}' first"
        )
    handler = functools.partial(_Quiet, directory=str(site_dir))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise WagonyardError(f"cannot listen on 127.0.0.1:{port}: {exc}; try --port") from exc
    click.echo(f"serving {site_dir} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
