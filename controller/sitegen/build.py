"""Build the status site: gather, render, write (mkdocs' ``build``).

``build_from_repository`` reads a wagonyard repository (main's catalog, the history branch, the
merged outputs), ``build_site`` renders every page, the feeds and each train's downloads, and
writes only what changed. The same inputs give byte-identical files: the time shown is the
newest input's, and paths of the operator's machine are replaced by names.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import controller
from controller.gcpause import no_cycle_collection
from controller.sitegen import recall
from controller.sitegen import shards as sharding
from controller.sitegen.assemble import SiteInputs, frame, site_model, tests_by_key
from controller.sitegen.feeds import feeds
from controller.sitegen.forks import Forked
from controller.sitegen.formats import Hide
from controller.sitegen.model import Frame, page_path
from controller.sitegen.pagecache import page_key, save, site_key
from controller.sitegen.render import (
    PageJob,
    environment,
    page_jobs,
    piece,
    renderer,
    train_renderer,
)
from controller.sitegen.shards import Shards
from controller.sitegen.sources import locate, read_repository
from controller.sitegen.trains import PageSetup, previous_trains, train_context
from controller.sitegen.writing import CACHE, built_before, remove_stale, write_files
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
    """Build the site of ``repo`` into ``out_dir``; the pages written and any warnings. The
    shards start reading the train records as soon as the history branch is listed."""
    with no_cycle_collection():
        # what the build read is freed before the collector resumes: its first pass looks
        # at every object made while it was paused (millions: 2.8 s on a big site)
        return _build(repo, out_dir, outputs_root, base_url)


def _build(
    repo: Path, out_dir: Path, outputs_root: Path | None, base_url: str | None
) -> tuple[list[Path], list[str]]:
    located = locate(repo)
    shards = Shards(located.records, workers(), out_dir / recall.FOLDER)
    try:
        shards.begin()
        kept = out_dir / CACHE / "catalog"
        inputs, root, warnings = read_repository(repo, outputs_root, located, kept)
        pages = build_site(
            inputs, out_dir, root, hidden_roots(root, located.repo), base_url, warnings, shards
        )
    finally:
        shards.close()
    return pages, warnings


def workers() -> int:
    """The shards of a build: one per core, at most eight."""
    return min(os.cpu_count() or 1, 8)


def page_setup(
    shown: Frame, hide: Hide, shared: str, out_dir: Path, trains: frozenset[str]
) -> PageSetup:
    """How a shard writes its train pages (in its own process; sent to it partly applied)."""
    folder = site_folder()
    framed = replace(shown, names={**shown.names, "train": trains})
    env = environment(folder / "templates", hide)
    return PageSetup(
        out_dir,
        train_renderer(framed, env),
        lambda summary, before, depends: page_key(summary, before, depends, framed, shared),
        piece(framed, env, "_footer.html").encode(),
    )


def build_site(
    inputs: SiteInputs,
    out_dir: Path,
    outputs_root: Path,
    hide: Hide = (),
    base_url: str | None = None,
    warnings: list[str] | None = None,
    shards: Shards | None = None,
) -> list[Path]:
    """Write the site into ``out_dir``; return the pages written, ``index.html`` first, the
    trains' newest first. Records that cannot be read are told in ``warnings``. ``shards``:
    already begun on ``inputs.records`` (else made here)."""
    before = built_before(out_dir)
    folder = site_folder()
    tests = tests_by_key(inputs.tests)
    shown = frame(inputs)
    shared = site_key(shown, folder / "templates", (controller.__version__, hide))
    setup = partial(page_setup, shown, hide, shared, out_dir)
    context = train_context(inputs.catalog, tests, outputs_root, hide)
    if shards is None:
        shards = Shards(inputs.records, workers(), out_dir / recall.FOLDER)
    other: Forked | None = None
    try:
        summaries, files, told = shards.summaries(context, setup)
        if warnings is not None:
            warnings += told
        shards.start(previous_trains(summaries))
        # the other pages and the feeds while the shards write the trains' pages: most of
        # them in a forked process (a rebuild, which reuses the trains' pages, waits on these)
        site = site_model(inputs, summaries, files, tests)
        jobs = page_jobs(site)
        render = renderer(site, environment(folder / "templates", hide))

        def write(part: Sequence[PageJob]) -> None:
            write_files(out_dir, ((job[0], render(job).encode()) for job in part))

        fork = len(jobs) >= sharding.PARALLEL_FROM and workers() > 1
        # this process also makes the feeds: it takes two pages of five, the writer three
        mine = [job for i, job in enumerate(jobs) if i % 5 in (0, 2)]
        theirs = [job for i, job in enumerate(jobs) if i % 5 not in (0, 2)]
        other = Forked("the site build's writer of other pages", partial(write, theirs), fork)
        write(mine)
        written = feeds(site, base_url)
        write_files(out_dir, written.items())
        other.wait()
        entries, trains = shards.finish()
    finally:
        if other is not None:
            other.close()
        shards.close()
    save(out_dir, entries)
    remove_stale(out_dir, [job[0] for job in jobs] + list(written) + trains, before)
    shutil.copytree(folder / "assets", out_dir / "assets", dirs_exist_ok=True)
    pages = [job[0] for job in jobs] + [page_path("train", t.train_id) for t in summaries]
    return [out_dir / p for p in pages]
