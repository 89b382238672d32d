"""Build the status site: gather, render, write (mkdocs' ``build``).

``build_from_repository`` reads a wagonyard repository (main's catalog, the history branch, the
merged outputs), ``build_site`` renders every page, the feeds and each train's downloads, and
writes only what changed. The same inputs give byte-identical files: the time shown is the
newest input's, and paths of the operator's machine are replaced by names.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import shutil
import sysconfig
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from jinja2 import Environment

from controller.records import TrainRecord
from controller.sitegen.assemble import SiteInputs, site_model
from controller.sitegen.downloads import offered, write_downloads
from controller.sitegen.feeds import feeds
from controller.sitegen.model import Site
from controller.sitegen.render import Hide, PageJob, environment, page_jobs, renderer
from controller.sitegen.sources import read_repository
from controller.sitegen.writing import remove_stale, write_files
from controller.workspace import shipped


def site_folder() -> Path:
    """wagonyard's ``site/`` folder (templates and assets): beside the package in a source
    checkout, ``controller/_data/site`` in an installed wheel."""
    return shipped("site")


def hidden_roots(*roots: Path) -> Hide:
    """Prefixes of this machine never published, and what they are shown as instead."""
    pairs = [
        (str(r.resolve()), label) for r, label in zip(roots, ("$OUTPUTS", "$REPO"), strict=False)
    ]
    for key in ("purelib", "platlib"):
        pairs.append((sysconfig.get_paths()[key], "$SITE_PACKAGES"))
    pairs.append((str(Path.home()), "~"))
    pairs.append(("/tmp", "$TMP"))
    # longest first, so that a root inside another is replaced by its own name
    return tuple(sorted({p for p in pairs if p[0] not in ("", "/")}, key=lambda p: -len(p[0])))


def build_from_repository(
    repo: Path,
    out_dir: Path,
    outputs_root: Path | None = None,
    base_url: str | None = None,
) -> tuple[list[Path], list[str]]:
    """Build the site of ``repo`` into ``out_dir``; the pages written and any warnings."""
    with no_cycle_collection():
        inputs, root, warnings = read_repository(repo, outputs_root)
        pages = build_site(inputs, out_dir, root, hidden_roots(root, repo), base_url)
    return pages, warnings


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: a build makes millions of objects that live to its end
    and almost no cycles, and the collector's passes over them took half the time of reading
    and assembling. Collects once when done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


def build_site(
    inputs: SiteInputs,
    out_dir: Path,
    outputs_root: Path,
    hide: Hide = (),
    base_url: str | None = None,
) -> list[Path]:
    """Write the site into ``out_dir``; return the pages written, ``index.html`` first."""
    downloads = {r.train_id: offered(r, outputs_root) for r in inputs.records}
    site = site_model(replace(inputs, downloads=downloads))
    folder = site_folder()
    jobs = page_jobs(site)
    trains = _Downloads(inputs.records, inputs.raw_records, outputs_root, hide)
    _render_all(site, environment(folder / "templates", hide), out_dir, jobs, trains)
    written = [out_dir / job[0] for job in jobs]
    written_feeds = write_files(out_dir, feeds(site, base_url).items())
    kept = set(written) | set(written_feeds)
    kept.update(out_dir / d.href for offers in downloads.values() for d in offers)
    remove_stale(out_dir, kept)
    shutil.copytree(folder / "assets", out_dir / "assets", dirs_exist_ok=True)
    return written


@dataclass(frozen=True)
class _Downloads:
    """What the trains' downloads are made from."""

    records: Sequence[TrainRecord]
    raw: Mapping[str, bytes]
    outputs_root: Path
    hide: Hide

    def write(self, out_dir: Path, share: tuple[int, int] = (0, 1)) -> None:
        mine = self.records[share[0] :: share[1]]
        write_downloads(out_dir, mine, self.raw, self.outputs_root, self.hide)


_SHARED: tuple[Site, Environment, Path, list[PageJob], _Downloads] | None = None
PARALLEL_FROM = 2000  # pages; below, forking costs more than it saves


def _render_share(share: tuple[int, int]) -> None:
    """In a forked worker: render and write every n-th page job, and every n-th train's
    downloads."""
    assert _SHARED is not None
    gc.enable()  # for what rendering leaves; the shared model is frozen out of its passes
    site, env, out_dir, jobs, trains = _SHARED
    render = renderer(site, env)
    mine = jobs[share[0] :: share[1]]
    write_files(out_dir, ((job[0], render(job).encode()) for job in mine))
    trains.write(out_dir, share)


def _render_all(
    site: Site, env: Environment, out_dir: Path, jobs: list[PageJob], trains: _Downloads
) -> None:
    """Render and write every page and download; on big sites in one forked process per core
    (the site model is shared copy-on-write, each worker writes its own files)."""
    global _SHARED
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(jobs) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        render = renderer(site, env)
        write_files(out_dir, ((job[0], render(job).encode()) for job in jobs))
        trains.write(out_dir)
        return
    for folder in {os.path.dirname(job[0]) for job in jobs}:  # first: no race to make them
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    _SHARED = (site, env, out_dir, jobs, trains)
    gc.freeze()  # the workers' collector leaves the shared model alone: no copy-on-write
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            pool.map(_render_share, [(i, workers) for i in range(workers)])
    finally:
        gc.unfreeze()
        _SHARED = None
