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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from jinja2 import Environment

from controller.records import TrainRecord
from controller.sitegen.assemble import SiteInputs, site_model
from controller.sitegen.feeds import feeds
from controller.sitegen.gather import output_path
from controller.sitegen.model import FOLDERS, Download, Site, download_path
from controller.sitegen.render import Hide, PageJob, environment, page_jobs, public, renderer
from controller.sitegen.sources import read_repository
from controller.workspace import shipped

GENERATED_FOLDERS = (*FOLDERS.values(), "feeds", "files")


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
    files = _train_files(inputs.records, inputs.raw_records, outputs_root, hide)
    downloads = {
        r.train_id: tuple(
            Download(name, download_path(r.train_id, name), what)
            for name, (what, _) in files[r.train_id].items()
        )
        for r in inputs.records
    }
    site = site_model(replace(inputs, downloads=downloads))
    folder = site_folder()
    jobs = page_jobs(site)
    _render_all(site, environment(folder / "templates", hide), out_dir, jobs)
    written = [out_dir / job[0] for job in jobs]
    written_feeds = write_files(out_dir, feeds(site, base_url).items())
    kept = set(written) | set(written_feeds)
    for train_id, named in files.items():
        for name, (_, source) in named.items():
            target = out_dir / download_path(train_id, name)
            kept.add(target)
            _place(source, target)
    _remove_stale(out_dir, kept)
    shutil.copytree(folder / "assets", out_dir / "assets", dirs_exist_ok=True)
    return written


_SHARED: tuple[Site, Environment, Path, list[PageJob]] | None = None
PARALLEL_FROM = 2000  # pages; below, forking costs more than it saves


def _render_share(share: tuple[int, int]) -> None:
    """In a forked worker: render and write every n-th page job."""
    assert _SHARED is not None
    gc.enable()  # for what rendering leaves; the shared model is frozen out of its passes
    site, env, out_dir, jobs = _SHARED
    render = renderer(site, env)
    mine = jobs[share[0] :: share[1]]
    write_files(out_dir, ((job[0], render(job).encode()) for job in mine))


def _render_all(site: Site, env: Environment, out_dir: Path, jobs: list[PageJob]) -> None:
    """Render and write every page; on big sites in one forked process per core (the site
    model is shared copy-on-write, each worker writes its own pages)."""
    global _SHARED
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(jobs) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        render = renderer(site, env)
        write_files(out_dir, ((job[0], render(job).encode()) for job in jobs))
        return
    for job in jobs:  # folders first, so that workers do not race to make them
        (out_dir / job[0]).parent.mkdir(parents=True, exist_ok=True)
    _SHARED = (site, env, out_dir, jobs)
    gc.freeze()  # the workers' collector leaves the shared model alone: no copy-on-write
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            pool.map(_render_share, [(i, workers) for i in range(workers)])
    finally:
        gc.unfreeze()
        _SHARED = None


def _train_files(
    records: Sequence[TrainRecord], raw: Mapping[str, bytes], outputs_root: Path, hide: Hide
) -> dict[str, dict[str, tuple[str, bytes | Path]]]:
    """Per train: file name -> (what it is, its bytes or the file to copy)."""
    out: dict[str, dict[str, tuple[str, bytes | Path]]] = {}
    for r in records:
        named: dict[str, tuple[str, bytes | Path]] = {}
        merged = output_path(r, outputs_root)
        if merged is not None and merged.is_file():
            named["AnalysisResults.root"] = ("the merged output", merged)
        stored = raw.get(r.train_id) or r.model_dump_json(indent=1).encode()
        named["record.json"] = (
            "the train record: the wagons' frozen configurations, every job and attempt",
            public(stored.decode(), hide).encode(),
        )
        slices = sorted(
            {
                f"{s.path}\t{s.entry_start}\t{'' if s.entry_stop is None else s.entry_stop}"
                for j in r.jobs
                for s in j.files
            }
        )
        named["inputs.txt"] = (
            "the input files (path, first entry, end entry)",
            public("".join(line + "\n" for line in slices), hide).encode(),
        )
        named["reproduce.sh"] = ("the commands that run it again", _reproduce(r).encode())
        out[r.train_id] = named
    return out


def _reproduce(r: TrainRecord) -> str:
    wagons = " ".join(f"--wagon {ref}" for ref in sorted({w.ref for w in r.wagons if w.enabled}))
    versions = ", ".join(f"{k} {v}" for k, v in sorted(r.versions.items()))
    return (
        "#!/bin/sh\n"
        f"# Run train {r.train_id} again on this machine: the catalog at the commit it ran,\n"
        "# the same wagons and dataset, in one process (wagonyard run).\n"
        + (f"# It ran with: {versions}\n" if versions else "")
        + "set -e\n"
        f"git checkout {r.catalog_commit}\n"
        f"wagonyard run --dataset {r.dataset} {wagons} --catalog catalog "
        f"-o reproduce-{r.train_id}\n"
    )


def _place(source: bytes | Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, bytes):
        _write_if_changed(target, source)
        return
    same_size = target.exists() and target.stat().st_size == source.stat().st_size
    if same_size and target.read_bytes() == source.read_bytes():
        return
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.write_bytes(data)
    return True


def write_files(out_dir: Path, files: Iterable[tuple[str, bytes]]) -> list[Path]:
    """Write each file whose content changed; return every path given."""
    written = []
    made: set[Path] = set()
    for relative, data in files:
        path = out_dir / relative
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        _write_if_changed(path, data)
        written.append(path)
    return written


def _remove_stale(out_dir: Path, keep: set[Path]) -> None:
    """Remove files an earlier build wrote for objects that no longer exist."""
    for page in out_dir.glob("trains-*.html"):
        if page not in keep:
            page.unlink()
    kept = {str(p) for p in keep}
    for folder in GENERATED_FOLDERS:
        for here, _, names in os.walk(out_dir / folder, topdown=False):
            for name in names:
                path = os.path.join(here, name)
                if path not in kept:
                    os.unlink(path)
            if not os.listdir(here):
                os.rmdir(here)
