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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from jinja2 import Environment

import controller
from controller.gcpause import no_cycle_collection
from controller.sitegen.assemble import SiteInputs, site_model
from controller.sitegen.background import in_background
from controller.sitegen.downloads import offered, write_downloads
from controller.sitegen.feeds import feeds
from controller.sitegen.formats import Hide
from controller.sitegen.model import Site, TrainPage
from controller.sitegen.pagecache import Entry, PageCache, entry, page_key, save, site_key
from controller.sitegen.render import PageJob, environment, page_jobs, piece, renderer
from controller.sitegen.sources import read_repository
from controller.sitegen.writing import built_before, remove_stale, write_files
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


def build_site(
    inputs: SiteInputs,
    out_dir: Path,
    outputs_root: Path,
    hide: Hide = (),
    base_url: str | None = None,
) -> list[Path]:
    """Write the site into ``out_dir``; return the pages written, ``index.html`` first."""
    before = built_before(out_dir)
    records, raw = inputs.records, inputs.raw_records
    wait = in_background(  # beside the model's assembly and the pages
        lambda: write_downloads(out_dir, records, raw, outputs_root, hide),
        f"writing the trains' downloads into {out_dir / 'files'}",
        fork=len(records) >= PARALLEL_FROM // 2,
    )
    try:
        downloads = {r.train_id: offered(r, outputs_root, hide) for r in inputs.records}
        inputs = replace(inputs, downloads=downloads)
        site = site_model(inputs)
        folder = site_folder()
        jobs = page_jobs(site)
        env = environment(folder / "templates", hide)
        shared = site_key(site, folder / "templates", (controller.__version__, hide))
        work = _Work(
            site, env, out_dir, jobs, inputs, outputs_root, hide, PageCache(out_dir), shared
        )
        feed_files: list[str] = []

        def write_feeds() -> None:  # while the workers render the pages
            written = feeds(site, base_url)
            write_files(out_dir, written.items())
            feed_files.extend(written)

        save(out_dir, _render_all(work, write_feeds))
    except BaseException:
        wait(quiet=True)  # nothing left running; the first error is the one to tell
        raise
    wait()
    kept = [job[0] for job in jobs] + feed_files
    kept += [d.href for offers in downloads.values() for d in offers if not d.inline]
    remove_stale(out_dir, kept, before)
    shutil.copytree(folder / "assets", out_dir / "assets", dirs_exist_ok=True)
    return [out_dir / job[0] for job in jobs]


@dataclass(frozen=True)
class _Work:
    """Everything rendering and writing the pages and downloads needs."""

    site: Site
    env: Environment
    out_dir: Path
    jobs: list[PageJob]
    inputs: SiteInputs
    outputs_root: Path
    hide: Hide
    cache: PageCache
    shared: str  # the key of what every train page shares

    def run(self, share: tuple[int, int] = (0, 1)) -> list[Entry]:
        """Render and write every n-th page (a train page only if its inputs changed since
        the last build); the train pages' entries."""
        render = renderer(self.site, self.env)
        footer = piece(self.site, self.env, "_footer.html").encode()
        entries: list[Entry] = []

        def pages() -> Iterator[tuple[str, bytes]]:
            for job in self.jobs[share[0] :: share[1]]:
                page = job[3]
                if not isinstance(page, TrainPage):
                    yield job[0], render(job).encode()
                    continue
                key = page_key(page, self.site, self.inputs.raw_records, self.shared)
                reused = self.cache.fresh(job[0], key, footer)
                if reused is not None:
                    entries.append(reused[0])
                    yield job[0], reused[1]  # written only if the footer changed
                    continue
                data = render(job).encode()
                if key is not None:
                    entries.append(entry(job[0], key, data))
                yield job[0], data

        write_files(self.out_dir, pages())
        return entries


_SHARED: _Work | None = None
PARALLEL_FROM = 2000  # pages; below, forking costs more than it saves


def _run_share(share: tuple[int, int]) -> list[Entry]:
    """In a forked worker: its share of the pages and downloads."""
    assert _SHARED is not None
    gc.enable()  # for what rendering leaves; the shared model is frozen out of its passes
    return _SHARED.run(share)


def _render_all(work: _Work, meanwhile: Callable[[], None]) -> list[Entry]:
    """Render and write every page, and call ``meanwhile``; on big sites in one forked process
    per core while this one calls ``meanwhile`` (the site model is shared copy-on-write, each
    worker writes its own files)."""
    global _SHARED
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(work.jobs) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        meanwhile()
        return work.run()
    for folder in {os.path.dirname(job[0]) for job in work.jobs}:  # first: no race to make them
        (work.out_dir / folder).mkdir(parents=True, exist_ok=True)
    _SHARED = work
    gc.freeze()  # the workers' collector leaves the shared model alone: no copy-on-write
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            pending = pool.map_async(_run_share, [(i, workers) for i in range(workers)])
            meanwhile()
            shares = pending.get()
    finally:
        gc.unfreeze()
        _SHARED = None
    return [entry for share in shares for entry in share]
