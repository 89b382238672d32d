"""The cache of train pages: a rebuild renders again exactly the train pages whose inputs
changed (the record, the previous train's record), gives every page this build's footer, never
serves a page whose file changed since, and builds the same bytes as a build without it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from controller.sitegen import build
from controller.sitegen.model import TrainPage
from controller.sitegen.pagecache import MANIFEST
from tests.sitegen.helpers import (
    DONE,
    FAILED,
    GONE,
    T0,
    BuiltSite,
    build_records,
    drawn_page,
    published,
)


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the train pages rendered (the build renders small sites in this process)."""
    paths: list[str] = []
    real = build.train_renderer

    def spy(*args: Any) -> Callable[[str, TrainPage], str]:
        render = real(*args)

        def counted(path: str, page: TrainPage) -> str:
            paths.append(path)
            return render(path, page)

        return counted

    monkeypatch.setattr(build, "train_renderer", spy)
    return paths


def test_a_rebuild_renders_again_only_the_train_pages_whose_inputs_changed(
    tmp_path: Path, built: BuiltSite, rendered: list[str]
) -> None:
    out, later = tmp_path / "site", T0 + timedelta(days=1)
    build_records(built.catalog, built.records, out, built.outputs_root, stored=True)
    assert sorted(rendered) == sorted(f"trains/{t}.html" for t in (DONE, FAILED, GONE))
    assert (out / MANIFEST).is_file()

    rendered.clear()
    build_records(built.catalog, built.records, out, built.outputs_root, later, stored=True)
    assert rendered == []  # nothing changed but the site's time
    assert "As of 2010-11-06 10:00:00 UTC" in drawn_page(out / f"trains/{DONE}.html").text

    changed = [r.model_copy(deep=True) for r in built.records]
    failed = next(r for r in changed if r.train_id == FAILED)
    failed.message = "disk full on wn07"
    done = next(r for r in changed if r.train_id == DONE)
    done.events_processed += 1  # shown on GONE's page: DONE is its previous train
    build_records(built.catalog, changed, out, built.outputs_root, later, stored=True)
    assert sorted(rendered) == sorted(f"trains/{t}.html" for t in (DONE, FAILED, GONE))
    assert "disk full on wn07" in drawn_page(out / f"trains/{FAILED}.html").text

    rendered.clear()
    build_records(built.catalog, changed[:2], out, built.outputs_root, later, stored=True)
    cold = tmp_path / "cold"
    build_records(built.catalog, changed[:2], cold, built.outputs_root, later, stored=True)
    assert published(out) == published(cold)  # with and without the cache, the same bytes


def test_a_page_changed_since_the_last_build_is_never_served(
    tmp_path: Path, built: BuiltSite, rendered: list[str]
) -> None:
    out = tmp_path / "site"
    build_records(built.catalog, built.records, out, built.outputs_root, stored=True)
    cold = published(out)
    page = out / f"trains/{DONE}.html"
    page.write_text(page.read_text().replace("cms-2010-dimuon", "tampered"))
    same_size = out / f"trains/{FAILED}.html"  # its size as written, its time not
    same_size.write_text(same_size.read_text().replace("<h1>Train", "<h1>Trxin"))
    (out / f"trains/{GONE}.html").unlink()
    (out / f"files/{DONE}.AnalysisResults.root").unlink()  # a download gone: made again
    rendered.clear()
    build_records(built.catalog, built.records, out, built.outputs_root, stored=True)
    assert sorted(rendered) == sorted(f"trains/{t}.html" for t in (DONE, FAILED, GONE))
    assert published(out) == cold


def test_the_same_bytes_with_and_without_the_cache(tmp_path: Path, built: BuiltSite) -> None:
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    build_records(built.catalog, built.records, cold, built.outputs_root, stored=True)
    for _ in range(2):  # the second build serves every train page from the cache
        build_records(built.catalog, built.records, warm, built.outputs_root, stored=True)
    assert published(warm) == published(cold)
    (warm / MANIFEST).unlink()  # a build that finds no cache
    build_records(built.catalog, built.records, warm, built.outputs_root, stored=True)
    assert published(warm) == published(cold)
