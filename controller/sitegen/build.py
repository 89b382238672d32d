"""Build the static status site: gather every train's output, render every page, write them.

Like mkdocs' ``build``: the whole model is gathered first, then rendered to strings, and only
then written, with the stylesheet copied beside the pages. Pages left by an earlier build for
objects that no longer exist are removed; nothing else in ``out_dir`` is touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.records import TrainRecord
from controller.sitegen.gather import read_train_output
from controller.sitegen.model import FOLDERS, site_model
from controller.sitegen.render import environment, render_pages
from controller.workspace import shipped


def site_folder() -> Path:
    """wagonyard's ``site/`` folder (templates and assets): beside the package in a source
    checkout, ``controller/_data/site`` in an installed wheel."""
    return shipped("site")


def build_site(
    catalog: Catalog,
    records: list[TrainRecord],
    out_dir: Path,
    outputs_root: Path,
    now: datetime | None = None,
) -> list[Path]:
    """Write the site into ``out_dir``; return the pages written, ``index.html`` first."""
    outputs = {r.train_id: read_train_output(r, outputs_root) for r in records}
    site = site_model(catalog, records, outputs, now or datetime.now(UTC))
    folder = site_folder()
    pages = render_pages(site, environment(folder / "templates"))
    written = write_pages(out_dir, pages.items())
    _remove_stale(out_dir, set(written))
    assets = out_dir / "assets"
    shutil.copytree(folder / "assets", assets, dirs_exist_ok=True)
    return written


def write_pages(out_dir: Path, pages: Iterable[tuple[str, str]]) -> list[Path]:
    written = []
    for relative, html in pages:
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written


def _remove_stale(out_dir: Path, keep: set[Path]) -> None:
    for folder in FOLDERS.values():
        for page in (out_dir / folder).glob("*.html"):
            if page not in keep:
                page.unlink()
