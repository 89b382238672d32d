"""The pages users open the site for, from a real repository: a wagon's tests, test history,
trains and change history; My Analyses; the dashboard's attention list; the feeds; paging; the
same bytes from the same inputs with no path of the machine; and every user text escaped."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import hist
import pytest

from controller.catalog.catalog import Catalog
from controller.sitegen import render
from controller.sitegen.build import build_from_repository
from controller.sitegen.formats import seconds
from controller.sitegen.gather import read_histograms
from controller.sitegen.model import Hist1D
from tests.sitegen.helpers import (
    DONE,
    FAILED,
    GONE,
    T0,
    BuiltSite,
    build_records,
    done_record,
    drawn_html,
    drawn_page,
    failed_record,
    published,
    read_page,
    site_repo,
    wagon_test_report,
    write_output,
    zmumu_histograms,
)
from tests.sitegen.helpers import (
    built_page as page,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def test_wagon_page_shows_its_tests_history_trains_and_changes(built: BuiltSite) -> None:
    p = page(built, "wagons/zmumu/dimuon-mass.html")
    assert p.h1 == ["Wagon zmumu/dimuon-mass"]
    # effective configuration, per variant, from the latest test
    assert "zmumu/dimuon-mass_wide" in p.text and "bins 75" in p.text
    # the test table with the measurements and the cost over the baseline
    assert "✓ done" in p.text and "0.350 ms" in p.text and "+0.175 ms" in p.text
    assert "62.8 MB" in p.text and "+1.2 MB" in p.text
    html = (built.out / "wagons/zmumu/dimuon-mass.html").read_text()
    assert 'data-metrics="metrics-1"' in html and '"rss_mb":' in html  # graphs drawn in place
    assert "CPU per event in each test" in p.text  # the test history plot
    # the trains it ran in, with its own usage per directory
    assert f"../../trains/{DONE}.html" in p.links and f"../../trains/{GONE}.html" in p.links
    assert "1.2 s" in p.text and "1.3 s" in p.text
    # change history: who, what, the pull request, the diff of its YAML
    assert "bob" in p.text and "Finer mass bins (#7)" in p.text and "alice" in p.text
    assert "https://github.com/example/yard/pull/7" in p.links
    assert any(h.startswith("https://github.com/example/yard/commit/") for h in p.links)
    assert "- bins: 60" in p.text.replace("-  ", "- ") and "+ bins: 64" in p.text.replace(
        "+  ", "+ "
    )
    assert "../../wagons/zmumu/muon-selection.html" in p.links  # its dependency


def test_a_failed_test_is_on_the_wagon_page_and_needs_attention(built: BuiltSite) -> None:
    p = page(built, "wagons/zmumu/muon-kinematics.html")
    assert "✗ failed" in p.text and "CPU per event 9.1 ms above the limit 5 ms" in p.text
    board = page(built, "index.html")
    assert "test failed" in board.text and "zmumu/muon-kinematics on cms-2010-dimuon" in board.text
    assert "train failed" in board.text and FAILED in board.text
    assert "e-mail not sent" in board.text and "connection refused" in board.text
    assert "The last 7 days" in board.text and "2 trains finished" not in board.text
    assert "3 trains finished" in board.text  # all three ended within the week before the site
    assert "Usage by analysis group" in board.text and "EW" in board.text
    # two different CPU figures, each named for what it counts
    assert "CPU of the jobs" in board.text and "Wagon CPU" in board.text
    assert "cms-2010-dimuon-large" in board.text and "0 3 * * *" in board.text  # due by cron


def test_my_analyses_lists_members_their_wagons_tests_and_trains(built: BuiltSite) -> None:
    index = page(built, "members.html")
    assert "members/alice-analyst.html" in index.links and "filter" in index.classes
    p = page(built, "members/alice-analyst.html")
    assert p.h1 == ["alice-analyst's analyses"]
    assert "../analyses/zmumu.html" in p.links and "../wagons/zmumu/dimuon-mass.html" in p.links
    assert "✗ failed" in p.text and "✓ done" in p.text
    assert f"../trains/{GONE}.html" in p.links
    assert "../feeds/members/alice-analyst.xml" in p.links
    wagons = page(built, "wagons.html")
    assert len([h for h in wagons.links if h.startswith("wagons/")]) == len(built.catalog.wagons)


def test_dataset_page_counts_files_events_and_bytes_and_shows_tests(built: BuiltSite) -> None:
    p = page(built, "datasets/cms-2010-dimuon.html")
    assert "Files 1 Events 2,304" in p.text  # the newest done train read one file
    assert "✓ done" in p.text and "✗ failed" in p.text
    assert "Finer mass bins" not in p.text  # the dataset's file did not change
    assert "Import the example catalog" in p.text


def test_feeds_are_atom_with_an_entry_per_result(built: BuiltSite) -> None:
    trains = ET.parse(built.out / "feeds/trains.xml").getroot()
    assert trains.tag == f"{ATOM}feed"
    entries = trains.findall(f"{ATOM}entry")
    assert len(entries) == 3
    assert entries[0].findtext(f"{ATOM}title") == f"Train {GONE} done"  # newest first
    assert entries[0].find(f"{ATOM}link").get("href") == f"trains/{GONE}.html"  # type: ignore[union-attr]
    zmumu = ET.parse(built.out / "feeds/analyses/zmumu.xml").getroot()
    titles = [e.findtext(f"{ATOM}title") for e in zmumu.findall(f"{ATOM}entry")]
    assert "Test of zmumu/muon-kinematics on cms-2010-dimuon: failed" in titles
    assert (built.out / "feeds/members/alice-analyst.xml").is_file()


def test_the_same_inputs_give_the_same_bytes_and_no_path_of_the_machine(
    tmp_path: Path, built: BuiltSite
) -> None:
    assert built.repo is not None
    again = tmp_path / "again"
    build_from_repository(built.repo, again, built.outputs_root)
    first, second = published(built.out), published(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []
    for relative, data in first.items():
        if Path(relative).suffix in (".html", ".xml", ".txt", ".json", ".sh"):
            text = data.decode()  # a train page holds its small files (record, inputs, commands)
            for local in (str(built.repo), str(built.outputs_root), str(Path.home()) + "/"):
                assert local not in text, f"{relative} publishes {local}"
    assert "As of 2010-11-05 13:00:00 UTC" in page(built, "index.html").text


def test_a_train_offers_its_output_and_what_reproduces_it(built: BuiltSite) -> None:
    p = page(built, f"trains/{DONE}.html")

    html = drawn_html(built.out / "trains" / f"{DONE}.html")
    inline_url = "data:text/plain;charset=utf-8,"

    def offered(name: str) -> Path:  # a file of the site, saved under its own name
        assert f'href="../files/{DONE}.{name}" download="{name}"' in html
        return built.out / "files" / f"{DONE}.{name}"

    def inline(name: str) -> str:  # a small file in the link itself
        found = re.search(f'href="{inline_url}([^"]*)" download="{name}"', html)
        assert found is not None, name
        return unquote(unescape(found.group(1)))

    assert (
        offered("AnalysisResults.root").read_bytes()
        == (built.outputs_root / DONE / "AnalysisResults.root").read_bytes()
    )
    assert "wagonyard run --dataset cms-2010-dimuon" in inline("reproduce.sh")
    assert "uproot-Zmumu.root\t800\t1600" in inline("inputs.txt")
    assert '"config_hash"' in inline("record.json")  # the frozen configurations
    # per-wagon usage: light wagons in ms or s, output bytes read from the file
    assert "Output in the file" in p.text and "900 ms" in p.text
    assert not (built.out / "files" / f"{GONE}.AnalysisResults.root").exists()
    assert "This is the first train done on cms-2010-dimuon." in p.text
    later = page(built, f"trains/{GONE}.html")
    assert f"../trains/{DONE}.html" in later.links  # compared with the previous train


def test_jobs_of_an_ended_train_are_not_shown_running(tmp_path: Path, catalog: Catalog) -> None:
    record = failed_record(catalog, FAILED, T0)
    record.jobs[2].state = "running"
    record.jobs[2].attempts[-1].state = "running"
    build_records(catalog, [record], tmp_path / "site", tmp_path)
    html = drawn_html(tmp_path / "site" / "trains" / f"{FAILED}.html")
    assert "state-running" not in html and "state-cancelled" in html


def test_weighted_histograms_say_sum_of_weights(tmp_path: Path) -> None:
    h = hist.Hist(hist.axis.Regular(10, 0, 1, name="x", label="x"), storage=hist.storage.Weight())
    h.fill(x=[0.1, 0.5, 0.5], weight=[0.5, 2.0, 2.0])
    write_output(tmp_path / "w.root", {"a/w": {"x": h}}, "t")
    wagons, _ = read_histograms(tmp_path / "w.root")
    read = wagons[0].histograms[0]
    assert isinstance(read, Hist1D) and read.weighted and wagons[0].file_bytes > 100
    from controller.sitegen.svg import histogram_svg

    assert "sum of weights" in histogram_svg(read)


def test_seconds_stay_readable_at_any_size() -> None:
    assert [seconds(v) for v in (0.0042, 0.9, 12.34, 0.000035, 7380.0)] == [
        "4.2 ms",
        "900 ms",
        "12.3 s",
        "35 µs",
        "2 h 03 min",
    ]


def test_big_lists_of_trains_are_paged_and_old_pages_removed(
    tmp_path: Path, built: BuiltSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "TRAINS_PER_PAGE", 2)
    out = tmp_path / "site"
    build_records(built.catalog, built.records, out, built.outputs_root)
    first, second = read_page((out / "trains.html").read_text()), out / "trains-2.html"
    assert "trains-2.html" in first.links and "page 1 of 2" in first.text
    assert "trains.html" in read_page(second.read_text()).links
    build_records(built.catalog, built.records[:2], out, built.outputs_root)
    assert not second.exists()


def test_every_user_text_is_escaped(tmp_path: Path, catalog: Catalog) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    outputs = tmp_path / "outputs"
    output = outputs / DONE / "AnalysisResults.root"
    write_output(output, zmumu_histograms(), DONE)
    record = done_record(catalog, DONE, output, outputs, T0)
    record.message = evil
    record.jobs[0].attempts[0].log_tail = evil
    report = wagon_test_report(catalog, "test-evil", T0 - timedelta(hours=1), hostile=evil)
    repo = site_repo(tmp_path / "repo", [record], [report], hostile=evil)
    build_from_repository(repo, tmp_path / "site", outputs)
    for path in (tmp_path / "site").rglob("*.html"):
        html = path.read_text()
        assert "<script>alert" not in html and "<img src=x" not in html, path
    wagon = read_page((tmp_path / "site/wagons/zmumu/dimuon-mass.html").read_text())
    assert evil in wagon.text  # shown as text
    # the train's page as train.js draws it in Chromium: the record's texts are text, and the
    # record offered for download is the record as stored
    train = tmp_path / "site/trains" / f"{DONE}.html"
    drawn = drawn_html(train)
    assert "<img src=x" not in drawn and "<script>alert" not in drawn
    assert drawn_page(train).text.count(evil) == 3  # the message; the log tail: last line, all
    found = re.search('href="data:text/plain;charset=utf-8,([^"]*)" download="record.json"', drawn)
    assert found is not None
    assert json.loads(unquote(unescape(found.group(1))))["message"] == evil
    for feed in (tmp_path / "site/feeds").rglob("*.xml"):
        ET.parse(feed)  # well-formed whatever the text


def test_site_build_command(built: BuiltSite, tmp_path: Path, wagonyard: Any) -> None:
    done = wagonyard(
        "site", "build", "--repo", str(built.repo), "--out", str(tmp_path / "s"),
        "--outputs", str(built.outputs_root), "--base-url", "https://x.example/yard/",
    )  # fmt: skip
    assert done.code == 0, done.output
    assert "wrote" in done.output and (tmp_path / "s" / "index.html").is_file()
    feed = ET.parse(tmp_path / "s/feeds/trains.xml").getroot()
    links = [e.get("href") for e in feed.iter(f"{ATOM}link")]
    assert "https://x.example/yard/feeds/trains.xml" in links
    missing = wagonyard("site", "build", "--repo", str(tmp_path / "nope"))
    assert missing.code == 1 and "not a git repository" in missing.output
    assert "Traceback" not in missing.output
    serve = wagonyard("site", "serve", "--dir", str(tmp_path / "nope"))
    assert serve.code == 1 and "holds no built site" in serve.output


def test_a_fresh_clone_builds_from_the_remote_history(tmp_path: Path, built: BuiltSite) -> None:
    """A CI checkout has main and only origin's history branch: the site reads that."""
    from tests.gitrepo import git

    assert built.repo is not None
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(built.repo), str(clone))
    pages, warnings = build_from_repository(clone, tmp_path / "site", built.outputs_root)
    assert warnings == ["no local branch wagonyard/history: read origin/wagonyard/history"]
    assert (tmp_path / "site" / "trains" / f"{DONE}.html") in pages


def test_a_train_finished_in_the_sites_last_second_counts(catalog: Catalog) -> None:
    """Commits have whole seconds and records microseconds: a train recorded as finished
    0.7 s after the site's time (its commit's second) still counts in the last 7 days."""
    from controller.sitegen.dashboard import dashboard
    from controller.sitegen.model import summarize

    record = failed_record(catalog, FAILED, T0)
    now = record.finished.replace(microsecond=0) if record.finished else T0
    record.finished = now + timedelta(milliseconds=700)
    board = dashboard(catalog, [summarize(record)], [], [], now)
    assert board.week_trains == 1 and board.days[-1].trains == 1


def test_a_train_on_storage_shows_sites_replicas_read_and_its_output_url(
    tmp_path: Path, catalog: Catalog
) -> None:
    from controller.records import OutputFile, ReplicaRead

    record = failed_record(catalog, FAILED, T0)
    for job in record.jobs:
        for attempt in job.attempts:
            attempt.site = "site-<b>"
    done = next(j for j in record.jobs if j.report is not None)
    assert done.report is not None
    first = done.files[0].path
    done.report.replicas_read = [
        ReplicaRead(
            path=first,
            read="root://se-b.example//z.root",
            storage_element="se-b",
            failed=["root://se-a.example//z.root: cannot open"],
        )
    ]
    record.output = OutputFile(
        path="x/AnalysisResults.root", sha256="0" * 64, bytes=1, events=1,
        url="root://se-b.example:1094//trains/x/AnalysisResults.root",
    )  # fmt: skip
    build_records(catalog, [record], tmp_path / "site", tmp_path)
    html = drawn_html(tmp_path / "site" / "trains" / f"{FAILED}.html")
    assert "at site-&lt;b&gt;" in html and "site-<b>" not in html
    assert "read from se-b after 1 failed copy" in html
    assert "root://se-b.example:1094//trains/x/AnalysisResults.root" in html


def test_a_wagons_test_history_keeps_its_tests_on_a_dataset_it_left(
    tmp_path: Path, catalog: Catalog
) -> None:
    """A wagon tested on a dataset it is no longer enabled on (its YAML changed since): the
    test stays in its history, with its dataset; its current tests are its datasets' only."""
    report = wagon_test_report(catalog, "test-20101105-093000", T0 - timedelta(minutes=30))
    left = report.model_copy(
        update={
            "datasets": [
                d.model_copy(
                    update={
                        "dataset": "hzz-mc",
                        "cases": [c.model_copy(update={"dataset": "hzz-mc"}) for c in d.cases],
                    }
                )
                for d in report.datasets
            ]
        }
    )
    out = tmp_path / "public"
    build_from_repository(site_repo(tmp_path / "repo", [], [left]), out, tmp_path / "outputs")
    html = (out / "wagons/zmumu/dimuon-mass.html").read_text()
    current = html.split('<section id="tests">')[1].split('<section id="test-history">')[0]
    history = html.split('<section id="test-history">')[1].split('<section id="trains">')[0]
    assert "test-20101105-093000" in history and "hzz-mc" in history
    assert "No test recorded yet" not in history
    assert "hzz-mc" not in current and "untested" in current  # enabled on the two dimuon sets


@pytest.mark.parametrize(
    ("trigger", "shown"),
    [
        ("request rerun-7 (Z peak check)", "request rerun-7 (Z peak check)"),
        ("operator", "operator (request rerun-7)"),
    ],
)
def test_a_train_a_request_started_names_the_request_once(
    tmp_path: Path, catalog: Catalog, trigger: str, shown: str
) -> None:
    """The controller's trigger of a request names it ("request R (why)"): the page does not
    add it again; a trigger that does not name it gets it beside."""
    train_id = "hzz-mc-20101103-120000"
    record = failed_record(catalog, train_id, T0).model_copy(
        update={"trigger": trigger, "request": "rerun-7"}
    )
    out = tmp_path / "public"
    build_records(catalog, [record], out, tmp_path / "outputs")
    drawn = drawn_html(out / "trains" / f"{train_id}.html")
    fact = re.search(r"<dt>Trigger</dt><dd>(.*?)</dd>", drawn)
    assert fact is not None and re.sub(r"<[^>]+>", "", fact[1]) == shown
