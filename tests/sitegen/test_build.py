"""The built site: every page exists with a title and a heading, every link resolves, the train
page draws every histogram of the real output file with the right numbers, and a missing or
unreadable output is said plainly instead of failing the build."""

from __future__ import annotations

import gc
import re
import weakref
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from controller.catalog.catalog import Catalog
from controller.sitegen import build
from controller.sitegen.build import build_from_repository, site_folder
from controller.sitegen.gather import read_histograms, read_train_output
from controller.sitegen.model import Hist1D, Hist2D
from tests.gitrepo import git
from tests.sitegen.helpers import (
    DONE,
    FAILED,
    GONE,
    T0,
    BuiltSite,
    build_records,
    dimuon_events,
    dimuon_mass,
    done_record,
    drawn_page,
    failed_record,
    site_repo,
    write_output,
    zmumu_histograms,
)
from tests.sitegen.helpers import (
    built_page as page,
)


def test_every_object_gets_a_page_and_the_assets_are_copied(built: BuiltSite) -> None:
    written = {p.relative_to(built.out).as_posix() for p in built.pages}
    assert built.pages[0] == built.out / "index.html"
    assert written == {
        "index.html",
        "trains.html",
        "analyses.html",
        "wagons.html",
        "members.html",
        "datasets.html",
        "runlists.html",
        "performance.html",
        *(f"wagons/{ref}.html" for ref in built.catalog.wagons),
        *(f"members/{m}.html" for m in ("alice-analyst", "higgs-analyst", "zmumu-convener")),
        "analyses/zmumu.html",
        "analyses/multilepton.html",
        "datasets/cms-2010-dimuon.html",
        "datasets/cms-2010-dimuon-large.html",
        "datasets/hzz-mc.html",
        "runlists/run2010b-dimuon.html",
        f"trains/{DONE}.html",
        f"trains/{FAILED}.html",
        f"trains/{GONE}.html",
    }
    assert all(p.is_file() for p in built.pages)
    assert (built.out / "assets" / "style.css").is_file()


def test_every_page_has_a_title_one_heading_and_links_that_resolve(built: BuiltSite) -> None:
    for path in built.pages:
        p = drawn_page(path)  # a train's page once train.js drew it
        assert p.title.endswith("· test yard"), path
        # the browser shows <title> as text, tags and all: it holds a name and no markup
        title = re.search(r"<title>(.*?)</title>", path.read_text(), re.S)
        assert title is not None and len(title[1]) < 200, path
        assert "<" not in title[1] and "\n" not in title[1], f"{path}: <title>{title[1][:80]}"
        assert len(p.h1) == 1 and p.h1[0], path
        for href in p.links:
            if href.startswith("https://github.com/example/yard/"):  # site.repo_url
                continue
            if href.startswith("data:text/plain;charset=utf-8,"):  # a small file in the link
                assert len(href) > len("data:text/plain;charset=utf-8,"), path
                continue
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc, f"{path}: absolute link {href}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{path}: link {href} points nowhere"
            if parts.fragment:
                assert parts.fragment in drawn_page(target).ids, href


def test_dashboard_counts_the_catalog_and_lists_trains_newest_first(built: BuiltSite) -> None:
    p = page(built, "index.html")
    for text in ("2 analyses", "6 wagons", "3 datasets", "2 runs", "3 trains"):
        assert text in p.text
    trains = [h for h in p.links if h.startswith("trains/")][-3:]  # the recent trains
    assert trains == [f"trains/{GONE}.html", f"trains/{FAILED}.html", f"trains/{DONE}.html"]
    assert {"state-done", "state-failed"} <= set(p.classes)
    assert "4 min 30 s" in p.text  # the turnaround of the done trains


def test_train_page_draws_every_histogram_of_the_output(built: BuiltSite) -> None:
    p = page(built, f"trains/{DONE}.html")
    expected = sum(len(h) for h in built.histograms.values())
    assert expected == 6
    assert len(p.svgs) == expected + 2  # and the mass beside its variant's, side by side
    for picture in p.svgs:
        drawn = [d for cls, d in picture.paths if cls in ("hist-line", "hist-cells") and d]
        assert drawn, "a histogram picture without a plotted path"
    for directory in ("zmumu/dimuon-mass", "zmumu/dimuon-mass_wide", "zmumu/muon-kinematics"):
        assert directory in p.text
    assert "verified" in p.text  # the sha256 of the record matches the file
    assert "dependency only" in p.text
    assert "These wagons wrote no histograms" in p.text and "zmumu/muon-selection" in p.text


def test_train_page_shows_the_entries_and_mean_of_the_real_mass_spectrum(built: BuiltSite) -> None:
    mass = dimuon_mass(dimuon_events())
    counts, edges = np.histogram(mass, bins=60, range=(60.0, 120.0))
    centres = (edges[:-1] + edges[1:]) / 2
    mean = float((counts * centres).sum() / counts.sum())
    text = page(built, f"trains/{DONE}.html").text
    assert f"mass entries {len(mass):,} mean {mean:.4g}" in text


def test_train_page_lists_jobs_with_attempts_exit_codes_and_usage(built: BuiltSite) -> None:
    p = page(built, f"trains/{FAILED}.html")
    assert "1, 1, 137" in p.text  # the exit codes of the three attempts of the failed job
    assert "jobs failed after every attempt" in p.text
    assert "This train has no merged output yet: it failed before merging." in p.text
    assert "MemoryError" in p.text  # its log tail
    done = page(built, f"trains/{DONE}.html")
    assert "uproot-Zmumu.root [800, 1,600)" in done.text
    assert "2.778 ms" in done.text  # 6.4 s over 2,304 events, above the 2 ms limit
    assert "bad" in done.classes


def test_a_missing_output_file_is_said_plainly(built: BuiltSite) -> None:
    p = page(built, f"trains/{GONE}.html")
    assert "is missing" in p.text and not p.svgs


def test_an_unreadable_output_file_is_said_plainly(tmp_path: Path, catalog: Catalog) -> None:
    output = tmp_path / "outputs" / "t" / "AnalysisResults.root"
    output.parent.mkdir(parents=True)
    output.write_bytes(b"this is not a ROOT file" * 100)
    record = done_record(catalog, "t", output, tmp_path / "outputs", T0)
    shown = read_train_output(record, tmp_path / "outputs")
    assert shown.problem and "cannot be read" in shown.problem
    build_records(catalog, [record], tmp_path / "site", tmp_path / "outputs")
    assert "cannot be read" in drawn_page(tmp_path / "site/trains/t.html").text


def test_a_changed_output_file_fails_its_checksum(tmp_path: Path, catalog: Catalog) -> None:
    output = tmp_path / "t" / "AnalysisResults.root"
    write_output(output, zmumu_histograms(), "t")
    record = done_record(catalog, "t", output, tmp_path, T0)
    write_output(output, {"zmumu/dimuon-mass": zmumu_histograms()["zmumu/dimuon-mass"]}, "x")
    assert read_train_output(record, tmp_path).sha256_ok is False


def test_gather_reads_axes_contents_errors_and_entries(tmp_path: Path) -> None:
    histograms = zmumu_histograms()
    write_output(tmp_path / "out.root", histograms, "t")
    wagons, provenance = read_histograms(tmp_path / "out.root")
    assert '"train_id": "t"' in provenance
    read = {w.directory: {h.name: h for h in w.histograms} for w in wagons}
    assert set(read) == set(histograms)
    mass = read["zmumu/dimuon-mass"]["mass"]
    source = histograms["zmumu/dimuon-mass"]["mass"]
    assert isinstance(mass, Hist1D)
    assert mass.x.label == "m(μμ) [GeV]"
    assert mass.x.edges == pytest.approx(source.axes[0].edges)
    assert mass.values == pytest.approx(source.values())
    assert mass.errors == pytest.approx(np.sqrt(source.variances()))
    assert mass.entries == source.sum(flow=True)
    eta_phi = read["zmumu/muon-kinematics"]["eta_phi"]
    assert isinstance(eta_phi, Hist2D)
    assert (eta_phi.x.label, eta_phi.y.label) == ("η", "φ")
    assert np.array(eta_phi.values) == pytest.approx(
        histograms["zmumu/muon-kinematics"]["eta_phi"].values()
    )


def test_analysis_page_links_dependencies_datasets_and_trains(built: BuiltSite) -> None:
    p = page(built, "analyses/zmumu.html")
    assert p.h1 == ["Z boson to muon pairs in 2010 pp collisions at 7 TeV"]
    assert "../wagons/zmumu/muon-selection.html" in p.links
    assert {"wagon-dimuon-mass", "wagon-muon-kinematics", "wagon-muon-selection"} <= p.ids
    assert "../datasets/cms-2010-dimuon-large.html" in p.links
    assert f"../trains/{DONE}.html" in p.links and f"../trains/{FAILED}.html" not in p.links
    wagon = page(built, "wagons/zmumu/muon-selection.html")
    assert "eta_max 2.1" in wagon.text  # the configuration table


def test_dataset_and_runlist_pages(built: BuiltSite) -> None:
    ds = page(built, "datasets/cms-2010-dimuon.html")
    assert "../runlists/run2010b-dimuon.html" in ds.links
    assert "testdata:uproot-Zmumu.root" in ds.text
    assert "events per job 800" in ds.text
    wagons = [h for h in ds.links if h.startswith("../wagons/")]
    assert wagons == ["../wagons/zmumu/dimuon-mass.html", "../wagons/zmumu/muon-kinematics.html"]
    rl = page(built, "runlists/run2010b-dimuon.html")
    assert "148029" in rl.text and "148031" in rl.text and "2 good 0 limited 0 bad" in rl.text
    assert "q-good" in rl.classes
    assert "../datasets/cms-2010-dimuon.html" in rl.links


@pytest.mark.parametrize("listed", [True, False], ids=["files-listed", "folder-walked"])
def test_a_rebuild_removes_pages_of_trains_that_are_gone(
    tmp_path: Path, built: BuiltSite, listed: bool
) -> None:
    """Stale files are found from the list the last build left (or, without it, by walking
    the generated folders); what the operator put there is kept."""
    out = tmp_path / "site"
    build_records(built.catalog, built.records, out, built.outputs_root)
    gone = [out / f"trains/{FAILED}.html"]
    assert all(p.is_file() for p in gone)
    (out / "notes.txt").write_text("mine")
    if not listed:
        (out / ".wagonyard-cache" / "files.txt").unlink()
    else:  # a list edited to name a file outside the site: never removed
        (tmp_path / "outside.txt").write_text("not the site's")
        with (out / ".wagonyard-cache" / "files.txt").open("a") as f:
            f.write(f"../outside.txt\n{tmp_path / 'outside.txt'}\n")
    later = [r for r in built.records if r.train_id != FAILED]
    build_records(built.catalog, later, out, built.outputs_root, T0 + timedelta(days=1))
    assert not any(p.exists() for p in gone)
    kept = [out / f"trains/{DONE}.html", out / f"files/{DONE}.AnalysisResults.root"]
    assert all(p.is_file() for p in kept)
    assert (out / "notes.txt").read_text() == "mine"
    assert not listed or (tmp_path / "outside.txt").is_file()
    listed_now = (out / ".wagonyard-cache" / "files.txt").read_text().splitlines()
    assert f"trains/{DONE}.html" in listed_now and f"trains/{FAILED}.html" not in listed_now


def test_the_site_folder_holds_the_templates_and_the_stylesheet() -> None:
    folder = site_folder()
    assert (folder / "templates" / "base.html").is_file()
    assert (folder / "assets" / "style.css").is_file()


def test_an_express_train_shows_what_it_dropped_and_its_merges(
    tmp_path: Path, catalog: Catalog
) -> None:
    from controller.records import DroppedJob, FileSlice, MergeRecord

    outputs_root = tmp_path / "outputs"
    output = outputs_root / DONE / "AnalysisResults.root"
    write_output(output, zmumu_histograms(), DONE)
    record = done_record(catalog, DONE, output, outputs_root, T0)
    slice_ = FileSlice(path="/data/run148031.root", entry_start=1600, entry_stop=2304)
    record.policy = "express"
    record.dropped = [DroppedJob(name=f"{DONE}-j0002", files=[slice_], events=704)]
    record.events_lost_fraction = 704 / 2304
    record.merges = [MergeRecord(name=f"{DONE}-merge000", stage="group", inputs=["a", "b"])]
    record.locality_relaxed_at = T0 + timedelta(minutes=3)
    build_records(catalog, [record], tmp_path / "site", outputs_root)
    page = drawn_page(tmp_path / "site" / "trains" / f"{DONE}.html")
    assert "Locality relaxed" not in page.text  # relaxed, but no job moved: nothing to say
    record.jobs[2].attempts.append(
        record.jobs[2].attempts[0].model_copy(update={"number": 2, "state": "moved"})
    )
    build_records(catalog, [record], tmp_path / "site", outputs_root)
    page = drawn_page(tmp_path / "site" / "trains" / f"{DONE}.html")
    assert "Dropped by the express policy" in page.text
    assert "30.56 % of the events" in page.text
    assert f"{DONE}-j0002" in page.text and "704" in page.text
    assert "Merges" in page.text and f"{DONE}-merge000" in page.text
    assert "Locality relaxed" in page.text and "2010-11-05 10:03:00 UTC" in page.text


def test_the_catalog_is_read_from_main_without_touching_the_repository(tmp_path: Path) -> None:
    """main's catalog is checked out by git into a private folder: a symbolic link committed
    in it cannot make the site read a file of this machine, no hook of the repository runs,
    and the repository's work tree, index and HEAD are left as they were."""
    repo = site_repo(tmp_path / "repo", [], [])
    example = (repo / "catalog" / "datasets" / "hzz-mc.yaml").read_text()
    secret = tmp_path / "secret.yaml"  # a file of this machine that reads as a dataset
    secret.write_text(
        example.replace("name: hzz-mc", "name: leak").replace(
            "title: ", "title: leaked-secret-title ", 1
        )
    )
    link = repo / "catalog" / "datasets" / "leak.yaml"
    link.symlink_to(secret)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=eve", "-c", "user.email=eve@example.org", "commit", "-qm", "leak")
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {tmp_path / 'hook-ran'}\n")
    hook.chmod(0o755)
    link.unlink()  # the work tree differs from main: it must stay so
    status = git(repo, "status", "--porcelain")
    head = git(repo, "rev-parse", "HEAD")
    _, warnings = build_from_repository(repo, tmp_path / "public")
    published = "".join(p.read_text() for p in (tmp_path / "public").rglob("*.html"))
    assert "leaked-secret-title" not in published
    assert any("problem" in w for w in warnings)  # the link's text is no dataset
    assert not (tmp_path / "hook-ran").exists()
    assert git(repo, "status", "--porcelain") == status and git(repo, "rev-parse", "HEAD") == head


def test_the_catalog_kept_between_builds_follows_main_and_nothing_else(tmp_path: Path) -> None:
    """The site's cache keeps main's catalog checked out between builds, brought up to date in
    place: a wagon main removed is gone from the next build, a file put into the cache or
    changed there by hand is not read, and a cache git cannot read is made again."""
    repo = site_repo(tmp_path / "repo", [], [])
    out = tmp_path / "public"
    build_from_repository(repo, out)
    kept = out / ".wagonyard-cache" / "catalog" / "tree" / "catalog"
    assert (out / "wagons/zmumu/muon-kinematics.html").is_file()
    assert (kept / "analyses/zmumu/wagons/muon-kinematics.yaml").is_file()

    git(repo, "rm", "-q", "catalog/analyses/zmumu/wagons/muon-kinematics.yaml")
    git(repo, "-c", "user.name=bob", "-c", "user.email=bob@example.org", "commit", "-qm", "gone")
    planted = kept / "analyses/zmumu/wagons/planted.yaml"
    planted.write_text((kept / "analyses/zmumu/wagons/dimuon-mass.yaml").read_text().replace(
        "name: dimuon-mass", "name: planted"))  # fmt: skip
    dataset = kept / "datasets/hzz-mc.yaml"
    dataset.write_text(dataset.read_text().replace("title: ", "title: edited-by-hand ", 1))

    build_from_repository(repo, out)
    assert not (out / "wagons/zmumu/muon-kinematics.html").exists()
    assert not (out / "wagons/zmumu/planted.html").exists() and not planted.exists()
    assert "edited-by-hand" not in (out / "datasets/hzz-mc.html").read_text()
    assert (out / "wagons/zmumu/dimuon-mass.html").is_file()

    (out / ".wagonyard-cache/catalog/index").write_bytes(b"not an index")  # made again
    build_from_repository(repo, out)
    assert (kept / "analyses/zmumu/wagons/dimuon-mass.yaml").is_file()
    assert (out / "wagons/zmumu/dimuon-mass.html").is_file()


def test_a_site_folder_given_relative_keeps_its_catalog_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git runs in the repository: the kept catalog is where the site is, not in the repository."""
    repo = site_repo(tmp_path / "repo", [], [])
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    build_from_repository(repo, Path("public"))
    kept = tmp_path / "here/public/.wagonyard-cache/catalog/tree/catalog"
    assert (kept / "analyses/zmumu/wagons/dimuon-mass.yaml").is_file()
    assert not (repo / "public").exists()
    assert (tmp_path / "here/public/wagons/zmumu/dimuon-mass.html").is_file()


def test_the_site_model_is_freed_when_the_build_ends_not_left_to_the_cycle_collector(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build pauses the cycle collector. A page's model kept by a cycle (a macro Jinja
    imports with its page's context refers to it, and it to the macro) outlives the build
    until the collector looks at every object made meanwhile: 2.8 s at the end of a big
    build. Freed when the build ends, it is not there to look at."""
    models: list[weakref.ref[Any]] = []
    real = build.renderer

    def renderer(site: Any, env: Any) -> Any:
        models.append(weakref.ref(site))
        return real(site, env)

    monkeypatch.setattr(build, "renderer", renderer)
    records = [
        failed_record(catalog, f"hzz-mc-2010110{i}-120000", T0 + timedelta(days=i))
        for i in range(3)
    ]
    paused = gc.isenabled()
    gc.disable()
    try:
        pages = build_records(catalog, records, tmp_path / "public", tmp_path / "outputs")
        assert len(models) == 1 and models[0]() is None, "the site's model outlived the build"
    finally:
        if paused:
            gc.enable()
    assert tmp_path / "public" / "trains.html" in pages
    assert f"trains/{records[0].train_id}.html" in (tmp_path / "public" / "trains.html").read_text()
