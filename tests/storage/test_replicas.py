"""Jobs reading from real XRootD storage elements: root:// inputs, replicas read when a copy is
corrupt or its server is down (resumed where the bad copy failed: nothing counted twice), and
a file with no readable copy failing with every copy named."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.config import join_url
from controller.engine.output import read_output
from controller.errors import DataError
from controller.job import run_job
from controller.records import FileSlice, Replica
from tests.engine.test_job import spec
from tests.reference import ZMUMU, assert_matches, zmumu_reference
from tests.storage.conftest import Server
from tests.storage.data import corrupt_basket, zmumu_in_baskets


def on(server: Server, relative: str, site: str | None = None) -> tuple[str, str, str]:
    return join_url(server.url, relative), server.name, site or f"site-{server.name[-1]}"


def sliced(first: tuple[str, str, str], *others: tuple[str, str, str]) -> FileSlice:
    url, se, site = first
    return FileSlice(
        path=url,
        storage_element=se,
        site=site,
        replicas=[Replica(url=u, storage_element=s, site=t) for u, s, t in others],
    )


def test_a_job_reads_its_input_over_root_from_a_storage_element(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    xrootd["se-a"].put(Path(ZMUMU), "dimuon/zmumu.root")
    url = join_url(xrootd["se-a"].url, "dimuon/zmumu.root")
    report = run_job(spec(tmp_path, "job", [FileSlice(path=url, storage_element="se-a")]))
    assert report.events == 2304
    assert_matches(read_output(Path(report.output))[0], zmumu_reference())


def test_a_corrupt_copy_is_passed_over_from_the_entry_where_it_failed(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    good = zmumu_in_baskets(tmp_path / "zmumu.root")
    bad = xrootd["se-a"].put(good, "dimuon/zmumu.root")
    corrupt_basket(bad, "E1", 3)  # entries 1500-2000 of E1 are noise on se-a only
    xrootd["se-b"].put(good, "dimuon/zmumu.root")
    s = sliced(on(xrootd["se-a"], "dimuon/zmumu.root"), on(xrootd["se-b"], "dimuon/zmumu.root"))
    job = spec(tmp_path, "job", [s], step=500)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGONYARD_SITE", "site-a")  # se-a is this job's own storage element
        report = run_job(job)
    assert report.events == 2304  # not 2304 + the 1500 read before the failure
    assert_matches(read_output(Path(report.output))[0], zmumu_reference())
    [read] = report.replicas_read
    assert read.read == join_url(xrootd["se-b"].url, "dimuon/zmumu.root")
    assert read.storage_element == "se-b"
    [failure] = read.failed
    assert xrootd["se-a"].url.rstrip("/") in failure and "entries 1500-2000" in failure
    _, provenance = read_output(Path(report.output))
    assert provenance["replicas_read"][0]["read"] == read.read


def test_the_copy_at_the_jobs_own_site_is_read_first(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    for name in ("se-a", "se-b"):
        xrootd[name].put(Path(ZMUMU), "dimuon/zmumu.root")
    s = sliced(on(xrootd["se-a"], "dimuon/zmumu.root"), on(xrootd["se-b"], "dimuon/zmumu.root"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGONYARD_SITE", "site-b")
        report = run_job(spec(tmp_path, "job", [s]))
    assert [(r.storage_element, r.failed) for r in report.replicas_read] == [("se-b", [])]
    assert report.site == "site-b"


def test_a_storage_element_that_is_down_is_passed_over(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    for name in ("se-a", "se-b"):
        xrootd[name].put(Path(ZMUMU), "dimuon/zmumu.root")
    xrootd["se-a"].kill()
    s = sliced(on(xrootd["se-a"], "dimuon/zmumu.root"), on(xrootd["se-b"], "dimuon/zmumu.root"))
    report = run_job(spec(tmp_path, "job", [s]))
    assert report.events == 2304
    [read] = report.replicas_read
    assert read.storage_element == "se-b"
    assert "se-a" not in read.failed[0] and xrootd["se-a"].url.rstrip("/") in read.failed[0]


def test_a_file_with_no_readable_copy_fails_the_job_naming_every_copy(
    tmp_path: Path, xrootd: dict[str, Server]
) -> None:
    good = zmumu_in_baskets(tmp_path / "zmumu.root")
    corrupt_basket(xrootd["se-a"].put(good, "dimuon/zmumu.root"), "E1", 1)
    # nothing on se-b at all; se-c's server is down
    xrootd["se-c"].put(good, "dimuon/zmumu.root")
    xrootd["se-c"].kill()
    copies = [on(xrootd[n], "dimuon/zmumu.root") for n in ("se-a", "se-b", "se-c")]
    with pytest.raises(DataError) as err:
        run_job(spec(tmp_path, "job", [sliced(*copies)], step=500))
    message = str(err.value)
    assert "no readable copy among 3 replicas" in message
    for url, _, _ in copies:
        assert url in message
    assert "corrupt" in message and "no such file" in message.lower()
