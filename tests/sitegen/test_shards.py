"""The trains' side of a big build runs in forked shards (``sitegen/shards.py``): the same
bytes as one process, a record that cannot be read is told and left out, and a shard that
fails or dies is an error naming it with no process left behind."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest

from controller.errors import WagonyardError
from controller.history import HistoryStore
from controller.sitegen import build, shards
from controller.sitegen.build import build_from_repository
from controller.sitegen.traindata import TrainData
from controller.sitegen.trains import RecordSource, TrainShard
from tests.sitegen.helpers import T0, BuiltSite, failed_record, published, site_repo


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards in forked processes even for three records: one record each, its summary sent
    in parts of one."""
    monkeypatch.setattr(shards, "PARALLEL_FROM", 1)
    monkeypatch.setattr(shards, "CHUNK", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)


@pytest.mark.usefixtures("forked")
def test_three_forked_shards_build_the_same_bytes_as_one_process(
    tmp_path: Path, built: BuiltSite
) -> None:
    out = tmp_path / "public"
    pages, warnings = build_from_repository(built.repo, out, built.outputs_root)
    assert warnings == []
    assert [p.relative_to(out) for p in pages] == [p.relative_to(built.out) for p in built.pages]
    # every train's previous train is in another shard: its output is read there again
    assert published(out) == published(built.out)
    assert mp.active_children() == []


@pytest.mark.usefixtures("forked")
def test_a_record_that_cannot_be_read_is_told_and_the_rest_is_built(
    tmp_path: Path, built: BuiltSite
) -> None:
    repo = site_repo(
        tmp_path / "repo",
        [failed_record(built.catalog, f"t-{n}", T0 + timedelta(hours=n)) for n in range(3)],
        [],
    )
    HistoryStore(repo, "wagonyard/history").commit(
        {"trains/broken/record.json": b'{"train_id": "broken", "dataset": '}, "A cut record"
    )
    out = tmp_path / "public"
    pages, warnings = build_from_repository(repo, out, tmp_path / "outputs")
    assert len(warnings) == 1
    assert "wagonyard/history:trains/broken/record.json cannot be read" in warnings[0]
    assert "left out of the site" in warnings[0]
    trains = sorted(p.name for p in pages if p.parent.name == "trains")
    assert trains == ["t-0.html", "t-1.html", "t-2.html"]


def _boom(*args: Any) -> NoReturn:
    raise OSError(28, "No space left on device")


def _die(*args: Any) -> NoReturn:
    os._exit(3)


@pytest.mark.usefixtures("forked")
@pytest.mark.parametrize(
    "where",
    [(RecordSource, "read"), (TrainShard, "write")],
    ids=["reading its records", "writing its pages"],
)
@pytest.mark.parametrize(
    ("how", "said"),
    [
        (_boom, r"shard \d of 3 \(the trains' pages\) failed: OSError: .*No space left"),
        (_die, r"shard \d of 3 \(the trains' pages\) exited with code 3 before it was done"),
    ],
)
def test_a_shard_that_fails_or_dies_is_named_and_none_is_left_running(
    tmp_path: Path,
    built: BuiltSite,
    monkeypatch: pytest.MonkeyPatch,
    where: tuple[Any, str],
    how: Any,
    said: str,
) -> None:
    """Whether it fails while it reads its records (while this process reads the catalog:
    told when the build needs the summaries) or while it writes its pages."""
    monkeypatch.setattr(*where, how)
    with pytest.raises(WagonyardError, match=said):
        build_from_repository(built.repo, tmp_path / "public", built.outputs_root)
    assert mp.active_children() == []


@pytest.mark.usefixtures("forked")
def test_a_shard_killed_between_its_summaries_and_its_pages_is_named(
    tmp_path: Path, built: BuiltSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = shards.Shards.start

    def start(self: shards.Shards, previous: Any) -> None:
        child = self.children[1][0]
        os.kill(child.pid, signal.SIGKILL)  # as the kernel's out-of-memory killer does
        child.join()
        real(self, previous)

    monkeypatch.setattr(shards.Shards, "start", start)
    with pytest.raises(WagonyardError, match=r"shard 2 of 3 .* was killed by signal 9"):
        build_from_repository(built.repo, tmp_path / "public", built.outputs_root)
    assert mp.active_children() == []


@pytest.mark.usefixtures("forked")
@pytest.mark.parametrize(
    ("how", "said"),
    [
        (_boom, r"writer of other pages failed: OSError: .*No space left"),
        (_die, r"writer of other pages exited with code 3 before it was done"),
    ],
)
def test_the_forked_writer_of_the_other_pages_is_named_when_it_fails(
    tmp_path: Path, built: BuiltSite, monkeypatch: pytest.MonkeyPatch, how: Any, said: str
) -> None:
    """Half the pages but the trains' are written by a forked process: its failure or death
    stops the build with its name, and nothing is left running."""
    main = os.getpid()
    real = build.renderer

    def renderer(*args: Any) -> Any:
        render = real(*args)

        def failing(job: Any) -> str:
            if os.getpid() != main:
                how()
            html: str = render(job)
            return html

        return failing

    monkeypatch.setattr(build, "renderer", renderer)
    with pytest.raises(WagonyardError, match=said):
        build_from_repository(built.repo, tmp_path / "public", built.outputs_root)
    assert mp.active_children() == []


@pytest.mark.parametrize("fork", [True, False])
def test_a_train_page_that_cannot_be_made_names_its_train(
    tmp_path: Path, built: BuiltSite, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    """A bug that a record brings out stops the build naming that train and where to find
    its record, in a shard or in this process."""
    if fork:
        monkeypatch.setattr(shards, "PARALLEL_FROM", 1)
        monkeypatch.setattr(os, "cpu_count", lambda: 3)
    real = TrainData.body
    victim = built.pages[-1].stem  # the oldest train

    def body(self: TrainData, page: Any, root: str) -> str:
        if page.summary.train_id == victim:
            raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'int'")
        return real(self, page, root)

    monkeypatch.setattr(TrainData, "body", body)
    with pytest.raises(WagonyardError) as caught:
        build_from_repository(built.repo, tmp_path / "public", built.outputs_root)
    said = str(caught.value)
    assert f"the page of train {victim} cannot be made (TypeError: unsupported operand" in said
    assert "(at test_shards.py:" in said  # where it was raised
    assert f"trains/{victim}/record.json on the history branch" in said
    assert ("the site build's shard" in said) == fork
    assert mp.active_children() == []


@pytest.mark.parametrize("fork", [True, False])
def test_two_records_of_one_train_are_told_and_its_page_made_once(
    tmp_path: Path, built: BuiltSite, monkeypatch: pytest.MonkeyPatch, fork: bool
) -> None:
    """A history branch edited by hand: the same record under a second path. In forked shards
    the two land in different shards (every other record each)."""
    if fork:
        monkeypatch.setattr(shards, "PARALLEL_FROM", 1)
        monkeypatch.setattr(os, "cpu_count", lambda: 2)
    records = [failed_record(built.catalog, f"t-{n}", T0 + timedelta(hours=n)) for n in range(2)]
    repo = site_repo(tmp_path / "repo", records, [])
    store = HistoryStore(repo, "wagonyard/history")
    store.commit({"trains/t-0-again/record.json": records[0].model_dump_json().encode()}, "Again")
    out = tmp_path / "public"
    pages, warnings = build_from_repository(repo, out, tmp_path / "outputs")
    assert warnings == ["two records on the history branch are train t-0: the site shows one"]
    trains = [p.name for p in pages if p.parent.name == "trains"]
    assert sorted(trains) == ["t-0.html", "t-1.html"]
    assert mp.active_children() == []
