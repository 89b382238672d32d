"""A rebuild recalls each train's summary from the last build (``sitegen/recall.py``): it
reads no record that did not change, yet makes a summary and a page again when what they
show beside the record changed (an output file, a dataset's limit), builds the same bytes as
a build from scratch, and a cache edited by hand runs no code."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from controller.sitegen import shards
from controller.sitegen.build import build_from_repository
from controller.sitegen.recall import FOLDER
from controller.sitegen.trains import RecordSource
from tests.sitegen.helpers import DONE, FAILED, GONE, BuiltSite, drawn_html, drawn_page, published


@pytest.fixture(params=["in this process", "forked"])
def reads(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A file listing the records each build reads, one line each (shards may be forked: they
    append to it)."""
    if request.param == "forked":
        monkeypatch.setattr(shards, "PARALLEL_FROM", 1)
        monkeypatch.setattr(os, "cpu_count", lambda: 2)
    log = tmp_path_factory.mktemp("reads") / "blobs.txt"
    log.touch()
    real = RecordSource.read

    def read(self: RecordSource, blobs: Any) -> Any:
        with log.open("a") as f:
            f.writelines(f"{path}\n" for path, _ in blobs)
        return real(self, blobs)

    monkeypatch.setattr(RecordSource, "read", read)
    return log


def _read_since(log: Path, before: int) -> list[str]:
    return sorted(log.read_text().splitlines()[before:])


def _copy_outputs(built: BuiltSite, tmp_path: Path) -> Path:
    outputs = tmp_path / "outputs"
    shutil.copytree(built.outputs_root, outputs)
    return outputs


def test_a_rebuild_reads_only_what_it_cannot_recall_and_builds_the_same_bytes(
    tmp_path: Path, built: BuiltSite, reads: Path
) -> None:
    assert built.repo is not None
    out, fresh = tmp_path / "public", tmp_path / "fresh"
    build_from_repository(built.repo, out, built.outputs_root)
    assert _read_since(reads, 0) == sorted(f"trains/{t}/record.json" for t in (DONE, FAILED, GONE))
    assert sorted(os.listdir(out / FOLDER))[0] == "part-0.pickle"

    before = len(reads.read_text().splitlines())
    pages, warnings = build_from_repository(built.repo, out, built.outputs_root)
    assert warnings == []
    # only each shard's newest done train of the dataset, for its input files: no summary,
    # no page made again
    read_again = _read_since(reads, before)
    assert f"trains/{FAILED}/record.json" not in read_again
    assert f"trains/{GONE}/record.json" in read_again and len(read_again) <= 2
    build_from_repository(built.repo, fresh, built.outputs_root)
    assert published(out) == published(fresh)
    assert [p.relative_to(out) for p in pages] == [p.relative_to(built.out) for p in built.pages]


def test_a_changed_output_file_makes_its_summary_and_page_again(
    tmp_path: Path, built: BuiltSite, reads: Path
) -> None:
    assert built.repo is not None
    outputs = _copy_outputs(built, tmp_path)
    out = tmp_path / "public"
    build_from_repository(built.repo, out, outputs)
    page = drawn_page(out / f"trains/{DONE}.html")
    assert "verified" in page.text and "is missing" not in page.text

    (outputs / DONE / "AnalysisResults.root").unlink()  # its record did not change
    before = len(reads.read_text().splitlines())
    build_from_repository(built.repo, out, outputs)
    assert f"trains/{DONE}/record.json" in _read_since(reads, before)
    page = drawn_page(out / f"trains/{DONE}.html")
    assert "AnalysisResults.root is missing" in page.text
    assert not (out / f"files/{DONE}.AnalysisResults.root").exists()
    fresh = tmp_path / "fresh"
    build_from_repository(built.repo, fresh, outputs)
    assert published(out) == published(fresh)


def test_a_changed_dataset_limit_marks_again_the_wagons_over_it(
    tmp_path: Path, built: BuiltSite
) -> None:
    """The limit is in the catalog on main, not in the record: the summary's usage rows are
    made again."""
    assert built.repo is not None
    repo = tmp_path / "repo"
    shutil.copytree(built.repo, repo, symlinks=True)
    out = tmp_path / "public"
    build_from_repository(repo, out, built.outputs_root)
    over = 'title="above the dataset\'s limit"'
    assert over in drawn_html(out / f"trains/{DONE}.html")  # 2.8 ms per event, above 0.5

    dataset = repo / "catalog/datasets/cms-2010-dimuon.yaml"
    text, n = re.subn(r"cpu_ms_per_event: \S+", "cpu_ms_per_event: 1000", dataset.read_text())
    assert n == 1
    dataset.write_text(text)
    subprocess.run(["git", "-C", repo, "commit", "-qam", "A loose limit"], check=True)
    build_from_repository(repo, out, built.outputs_root)
    assert over not in drawn_html(out / f"trains/{DONE}.html")


class _Payload:
    """What a hand-edited cache could hold: unpickled by plain ``pickle``, it runs a command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_a_cache_edited_by_hand_runs_no_code_and_is_not_used(
    tmp_path: Path, built: BuiltSite, reads: Path
) -> None:
    assert built.repo is not None
    out = tmp_path / "public"
    build_from_repository(built.repo, out, built.outputs_root)
    folder = out / FOLDER
    code, entries = pickle.loads((folder / "part-0.pickle").read_bytes())
    marker = tmp_path / "ran"
    key = next(iter(entries))
    entries[key] = (entries[key][0], _Payload(marker))
    (folder / "part-0.pickle").write_bytes(pickle.dumps((code, entries)))
    (folder / "part-1.pickle").write_bytes(b"not a pickle at all")
    (folder / "part-7.pickle").write_bytes(pickle.dumps((code, {})))  # of a build with 8 shards

    before = len(reads.read_text().splitlines())
    build_from_repository(built.repo, out, built.outputs_root)
    assert not marker.exists()
    assert len(_read_since(reads, before)) == 3  # nothing recalled from the files edited
    assert not (folder / "part-7.pickle").exists()
    fresh = tmp_path / "fresh"
    build_from_repository(built.repo, fresh, built.outputs_root)
    assert published(out) == published(fresh)
