"""Builders for the site tests: the example catalog, a real merged output file filled from the
real CMS dimuon events, train records as the controller writes them, and an HTML reader."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import hist
import numpy as np
import pytest
import skhep_testdata
import uproot
import yaml

from controller.catalog.catalog import Catalog, Entry
from controller.catalog.models import Analysis, Dataset, RunList, Wagon
from controller.reconcile.mail import Notice
from controller.records import (
    Attempt,
    FileSlice,
    JobRecord,
    JobReport,
    JobState,
    OutputFile,
    TrainRecord,
    WagonInTrain,
    WagonUsage,
)
from controller.wagontest.judge import Figures, Sample
from controller.wagontest.report import CaseReport, DatasetTests, Delta, TestReport

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "catalog"
ZMUMU = skhep_testdata.data_path("uproot-Zmumu.root")
HZZ = skhep_testdata.data_path("uproot-HZZ.root")
T0 = datetime(2010, 11, 5, 10, 0, 0, tzinfo=UTC)
DONE = "cms-2010-dimuon-20101105-100000-a1b2c3"
FAILED = "hzz-mc-20101105-110000-d4e5f6"
GONE = "cms-2010-dimuon-20101105-120000-0f9e8d"


@dataclass
class BuiltSite:
    """A site built by the ``built`` fixture, with what it was built from."""

    out: Path
    outputs_root: Path
    pages: list[Path]
    catalog: Catalog
    records: list[TrainRecord]
    histograms: dict[str, dict[str, hist.Hist]]
    repo: Path | None = None


# --------------------------------------------------------------------------- catalog


def example_catalog() -> Catalog:
    """The example catalog: through the real loader where it exists, else straight from YAML."""
    try:
        from controller.catalog.loader import load_valid_catalog
    except ImportError:
        return _catalog_from_yaml(CATALOG)
    return load_valid_catalog(CATALOG)


def _catalog_from_yaml(root: Path) -> Catalog:
    def load(path: Path) -> Any:
        return yaml.safe_load(path.read_text())

    def rel(path: Path) -> str:
        return str(path.relative_to(root.parent))

    cat = Catalog(root=root)
    for path in sorted(root.glob("analyses/*/analysis.yaml")):
        a = Analysis.model_validate(load(path))
        cat.analyses[a.name] = Entry(a, rel(path))
        for wpath in sorted(path.parent.glob("wagons/*.yaml")):
            w = Wagon.model_validate(load(wpath))
            cat.wagons[f"{a.name}/{w.name}"] = Entry(w, rel(wpath))
    for path in sorted(root.glob("datasets/*.yaml")):
        d = Dataset.model_validate(load(path))
        cat.datasets[d.name] = Entry(d, rel(path))
    for path in sorted(root.glob("runlists/*.yaml")):
        r = RunList.model_validate(load(path))
        cat.runlists[r.name] = Entry(r, rel(path))
    return cat


# --------------------------------------------------------------------------- output file


def dimuon_events() -> dict[str, np.ndarray]:
    with uproot.open(ZMUMU) as f:
        return dict(f["events"].arrays(library="np"))


def dimuon_mass(a: dict[str, np.ndarray]) -> np.ndarray:
    """The invariant mass of the pairs the example's muon-selection wagon keeps."""
    good = (
        (a["pt1"] > 20.0)
        & (a["pt2"] > 20.0)
        & (np.abs(a["eta1"]) < 2.1)
        & (np.abs(a["eta2"]) < 2.1)
        & (a["Q1"] != a["Q2"])
    )
    e = a["E1"][good] + a["E2"][good]
    px = a["px1"][good] + a["px2"][good]
    py = a["py1"][good] + a["py2"][good]
    pz = a["pz1"][good] + a["pz2"][good]
    return np.sqrt(np.clip(e**2 - px**2 - py**2 - pz**2, 0, None))


def zmumu_histograms() -> dict[str, dict[str, hist.Hist]]:
    """The histograms of the zmumu wagons over all 2,304 real events, by wagon directory."""
    a = dimuon_events()
    mass = dimuon_mass(a)
    reg = hist.axis.Regular
    narrow = hist.Hist(reg(60, 60.0, 120.0, name="mass", label="m(μμ) [GeV]"))
    wide = hist.Hist(reg(75, 0.0, 150.0, name="mass", label="m(μμ) [GeV]"))
    narrow.fill(mass=mass)
    wide.fill(mass=mass)
    pt = hist.Hist(reg(50, 0.0, 100.0, name="pt", label="pT [GeV]"))
    eta = hist.Hist(reg(40, -2.5, 2.5, name="eta", label="η"))
    phi = hist.Hist(reg(32, -np.pi, np.pi, name="phi", label="φ"))
    eta_phi = hist.Hist(
        reg(20, -2.5, 2.5, name="eta", label="η"), reg(16, -np.pi, np.pi, name="phi", label="φ")
    )
    for i in ("1", "2"):
        pt.fill(pt=a["pt" + i])
        eta.fill(eta=a["eta" + i])
        phi.fill(phi=a["phi" + i])
        eta_phi.fill(eta=a["eta" + i], phi=a["phi" + i])
    return {
        "zmumu/dimuon-mass": {"mass": narrow},
        "zmumu/dimuon-mass_wide": {"mass": wide},
        "zmumu/muon-kinematics": {"pt": pt, "eta": eta, "phi": phi, "eta_phi": eta_phi},
    }


def write_output(path: Path, histograms: dict[str, dict[str, hist.Hist]], train_id: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with uproot.recreate(path) as f:
        for directory, hists in histograms.items():
            for name, h in hists.items():
                f[f"{directory}/{name}"] = h
        provenance = {"train_id": train_id, "events": 2304, "dataset": "cms-2010-dimuon"}
        f["wagonyard/provenance"] = json.dumps(provenance, sort_keys=True)


# --------------------------------------------------------------------------- records


def _wagon(
    ref: str, variant: str | None, task: str, config: dict[str, Any], enabled: bool
) -> WagonInTrain:
    text = json.dumps(config, sort_keys=True)
    return WagonInTrain(
        ref=ref,
        variant=variant,
        directory=ref + (f"_{variant}" if variant else ""),
        task=task,
        config=config,
        config_hash=hashlib.sha256(text.encode()).hexdigest(),
        enabled=enabled,
    )


def zmumu_wagons(catalog: Catalog) -> list[WagonInTrain]:
    """The wagons of a train over cms-2010-dimuon as the planner orders them."""
    sel = catalog.wagons["zmumu/muon-selection"].model
    mass = catalog.wagons["zmumu/dimuon-mass"].model
    kin = catalog.wagons["zmumu/muon-kinematics"].model
    return [
        _wagon("zmumu/muon-selection", None, sel.task, dict(sel.config), False),
        _wagon("zmumu/dimuon-mass", None, mass.task, dict(mass.config), True),
        _wagon(
            "zmumu/dimuon-mass", "wide", mass.task, {**mass.config, **mass.variants["wide"]}, True
        ),
        _wagon("zmumu/muon-kinematics", None, kin.task, dict(kin.config), True),
    ]


def _job(
    train_id: str, index: int, start: int, stop: int, path: str, states: list[tuple[JobState, int]]
) -> JobRecord:
    name = f"{train_id}-j{index:04d}"
    files = [FileSlice(path=path, entry_start=start, entry_stop=stop, storage_element="local")]
    attempts = [
        Attempt(
            number=n + 1,
            state=s,
            exit_code=code,
            host="worker-1",
            backend_id=f"{index}.{n}",
            started=T0 + timedelta(seconds=5),
            finished=T0 + timedelta(seconds=65),
            log_tail="" if s == "done" else "Traceback (most recent call last):\nMemoryError\n",
        )
        for n, (s, code) in enumerate(states)
    ]
    done = states[-1][0] == "done"
    report = (
        JobReport(
            job=name,
            events=stop - start,
            files=files,
            wagons=[],
            wall_s=50.0,
            cpu_s=40.0,
            max_rss_mb=310.0,
            output=f"/grid/{name}/AnalysisResults.root",
            output_bytes=30_000,
        )
        if done
        else None
    )
    return JobRecord(
        index=index, name=name, files=files, state=states[-1][0], attempts=attempts, report=report
    )


def done_record(
    catalog: Catalog, train_id: str, output: Path, outputs_root: Path, created: datetime
) -> TrainRecord:
    """A train over cms-2010-dimuon that ran 3 jobs and merged into ``output``."""
    data = output.read_bytes() if output.is_file() else b""
    usage = [
        WagonUsage(directory="zmumu/muon-selection", cpu_s=0.9, events=2304, output_bytes=0),
        WagonUsage(directory="zmumu/dimuon-mass", cpu_s=1.2, events=2304, output_bytes=640),
        WagonUsage(directory="zmumu/dimuon-mass_wide", cpu_s=1.3, events=2304, output_bytes=784),
        WagonUsage(directory="zmumu/muon-kinematics", cpu_s=6.4, events=2304, output_bytes=2900),
    ]
    jobs = [
        _job(train_id, i, start, stop, ZMUMU, [("done", 0)])
        for i, (start, stop) in enumerate([(0, 800), (800, 1600), (1600, 2304)])
    ]
    return TrainRecord(
        train_id=train_id,
        dataset="cms-2010-dimuon",
        catalog_commit="3f9c2a7d5e1b4c8a9f0e6d2c1b7a5e4f3d2c1b0a",
        backend="local",
        state="done",
        created=created,
        finished=created + timedelta(minutes=4, seconds=30),
        wagons=zmumu_wagons(catalog),
        jobs=jobs,
        events_processed=2304,
        wagon_usage=usage,
        output=OutputFile(
            path=str(output.relative_to(outputs_root)),
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
            events=2304,
        ),
    )


def failed_record(catalog: Catalog, train_id: str, created: datetime) -> TrainRecord:
    """A train over hzz-mc whose second job failed on every attempt, so nothing was merged."""
    four = catalog.wagons["multilepton/four-lepton"].model
    jobs = [
        _job(train_id, 0, 0, 1000, HZZ, [("done", 0)]),
        _job(train_id, 1, 1000, 2000, HZZ, [("failed", 1), ("failed", 1), ("failed", 137)]),
        _job(train_id, 2, 2000, 2421, HZZ, [("done", 0)]),
    ]
    return TrainRecord(
        train_id=train_id,
        dataset="hzz-mc",
        catalog_commit="3f9c2a7d5e1b4c8a9f0e6d2c1b7a5e4f3d2c1b0a",
        backend="local",
        state="failed",
        created=created,
        finished=created + timedelta(minutes=9),
        wagons=[_wagon("multilepton/four-lepton", None, four.task, dict(four.config), True)],
        jobs=jobs,
        message=f"jobs failed after every attempt: {train_id}-j0001 (exit 137)",
    )


# --------------------------------------------------------------------------- HTML


@dataclass
class Svg:
    paths: list[tuple[str, str]] = field(default_factory=list)  # (class, d)
    texts: list[str] = field(default_factory=list)


@dataclass
class Page:
    """What a test looks at in an HTML page: title, headings, links, ids, pictures, text."""

    title: str = ""
    h1: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    svgs: list[Svg] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    text: str = ""


INLINE = {"a", "abbr", "b", "code", "em", "i", "small", "strong"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[str] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag not in INLINE:
            self.chunks.append(" ")
        if "id" in a:
            self.page.ids.add(a["id"])
        self.page.classes.extend(a.get("class", "").split())
        if tag in ("a", "link") and "href" in a:
            self.page.links.append(a["href"])
        if tag == "h1":
            self.page.h1.append("")
        if tag == "svg":
            self.page.svgs.append(Svg())
        if tag == "path" and "svg" in self.stack:
            self.page.svgs[-1].paths.append((a.get("class", ""), a.get("d", "")))
        if tag not in ("meta", "link", "br", "path", "rect", "input", "img"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self.chunks.append(" ")
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "title" in self.stack and "svg" not in self.stack:
            self.page.title += data
        elif "h1" in self.stack:
            self.page.h1[-1] += data
        if "svg" in self.stack and self.stack[-1] == "text":
            self.page.svgs[-1].texts.append(data)
        self.chunks.append(data)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    page = reader.page
    page.title = " ".join(page.title.split())
    page.h1 = [" ".join(h.split()) for h in page.h1]
    page.text = " ".join("".join(reader.chunks).split())
    return page


# --------------------------------------------------------------------------- repositories


def build_records(
    catalog: Catalog,
    records: list[TrainRecord],
    out: Path,
    outputs_root: Path,
    generated: datetime = T0,
    stored: bool = False,
) -> list[Path]:
    """Build a site straight from records (no repository): what the build does after reading;
    ``stored``: with each record's JSON as if read from git (what the page cache keys on)."""
    from controller.sitegen.assemble import SiteInputs
    from controller.sitegen.build import build_site, hidden_roots
    from controller.sitegen.trains import RecordSource

    raw = {r.train_id: r.model_dump_json().encode() for r in records} if stored else {}
    inputs = SiteInputs(catalog=catalog, records=RecordSource(records, raw), generated=generated)
    return build_site(inputs, out, outputs_root, hidden_roots(outputs_root))


def samples(n: int = 40) -> list[Sample]:
    """A test's memory and CPU over time: memory rising then flat, CPU at about one core."""
    return [
        Sample(t=0.1 * i, rss_mb=120.0 + min(i, 20) * 2.5, pss_mb=100.0 + min(i, 20) * 2.0,
               cpu_s=0.095 * i, events=max(0, i - 5) * 60)
        for i in range(n)
    ]  # fmt: skip


def wagon_test_report(
    catalog: Catalog, test_id: str, created: datetime, hostile: str = ""
) -> TestReport:
    """A recorded wagon test on cms-2010-dimuon: dimuon-mass done (with its samples and effective
    configuration), muon-kinematics failed; ``hostile`` text goes into a reason and the log."""
    wagons = zmumu_wagons(catalog)
    figures = Figures(events=2000, cpu_ms_per_event=0.35, max_pss_mb=62.8, max_rss_mb=82.8,
                      output_bytes=26_300)  # fmt: skip
    mass = CaseReport(
        kind="wagon",
        name="zmumu/dimuon-mass",
        dataset="cms-2010-dimuon",
        status="done",
        figures=figures,
        delta=Delta(cpu_ms_per_event=0.175, max_pss_mb=1.2, output_bytes=800),
        wagons=[w for w in wagons if w.ref in ("zmumu/dimuon-mass", "zmumu/muon-selection")],
        samples=samples(),
        log=f"processed 2000 events {hostile}",
    )
    kinematics = CaseReport(
        kind="wagon",
        name="zmumu/muon-kinematics",
        dataset="cms-2010-dimuon",
        status="failed",
        reasons=[f"CPU per event 9.1 ms above the limit 5 ms {hostile}".strip()],
        figures=figures.model_copy(update={"cpu_ms_per_event": 9.1}),
        wagons=[w for w in wagons if w.ref == "zmumu/muon-kinematics"],
    )
    return TestReport(
        test_id=test_id,
        created=created,
        catalog_commit="3f9c2a7d5e1b4c8a9f0e6d2c1b7a5e4f3d2c1b0a",
        selected={"zmumu/dimuon-mass": "changed", "zmumu/muon-kinematics": "changed"},
        datasets=[DatasetTests(dataset="cms-2010-dimuon", cases=[mass, kinematics])],
    )


def site_repo(
    repo: Path,
    records: list[TrainRecord],
    reports: list[TestReport],
    notices: list[Notice] = (),  # type: ignore[assignment]
    hostile: str = "",
) -> Path:
    """A real git repository: the example catalog on main (imported, then one wagon changed by
    another author in a pull request) and a history branch with the records, tests, e-mails."""

    stamp = (T0 + timedelta(hours=3)).isoformat()
    saved = {k: os.environ.get(k) for k in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    os.environ.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)  # a site of 2010
    try:
        _fill(repo, records, reports, list(notices), hostile)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return repo


def _fill(
    repo: Path,
    records: list[TrainRecord],
    reports: list[TestReport],
    notices: list[Notice],
    hostile: str,
) -> None:
    from controller.history import HistoryStore
    from tests.gitrepo import catalog_repo, git

    catalog_repo(repo)
    if hostile:  # user-supplied text everywhere it can go
        analysis = repo / "catalog/analyses/zmumu/analysis.yaml"
        text = analysis.read_text()
        text = re.sub(r"(?m)^title: .*$", f"title: {json.dumps(hostile)}", text)
        analysis.write_text(text)
        wagon = repo / "catalog/analyses/zmumu/wagons/dimuon-mass.yaml"
        text = re.sub(
            r"(?m)^description: .*$", f"description: {json.dumps(hostile)}", wagon.read_text()
        )
        wagon.write_text(text)
    (repo / "wagonyard.yaml").write_text(
        "site:\n  repo_url: https://github.com/example/yard\n  title: test yard\n"
    )
    git(repo, "add", "-A")
    env = ["-c", "user.name=alice", "-c", "user.email=alice@example.org"]
    git(repo, *env, "commit", "-qm", "Import the example catalog")
    wagon = repo / "catalog/analyses/zmumu/wagons/dimuon-mass.yaml"
    wagon.write_text(wagon.read_text().replace("bins: 60", "bins: 64"))
    env = ["-c", "user.name=bob", "-c", "user.email=bob@example.org"]
    git(repo, *env, "commit", "-qam", f"Finer mass bins (#7) {hostile}".strip())
    store = HistoryStore(repo, "wagonyard/history")
    files: dict[str, bytes] = {}
    for r in records:
        files[f"trains/{r.train_id}/record.json"] = r.model_dump_json(indent=1).encode()
    for t in reports:
        files[f"wagon-tests/{t.test_id}/report.json"] = t.model_dump_json(indent=1).encode()
    for n in notices:
        files[f"notifications/{n.key}.json"] = n.model_dump_json().encode()
    store.commit(files, "Record the trains and tests")


def built_page(built: BuiltSite, relative: str) -> Page:
    """A page of the shared built site, as a test looks at it (drawn, if a train's page)."""
    return drawn_page(built.out / relative)


_DRAWN: dict[tuple[str, int], str] = {}


def drawn_page(path: Path) -> Page:
    """A page as a person sees it (``drawn_html``)."""
    return read_page(drawn_html(path))


def drawn_html(path: Path) -> str:
    """A page's HTML as a person's browser has it. A train's page is drawn from its data by
    ``train.js``: its DOM once the script ran in Chromium (``--dump-dom``; remembered while
    the file is the same). Every other page as written."""
    html = path.read_text(encoding="utf-8")
    if 'id="train-page"' not in html:
        return html
    from tests.browser import CHROMIUM, chromium

    if CHROMIUM is None:
        pytest.skip("a train page is drawn by JavaScript: no Chromium here to draw it")
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _DRAWN:
        with tempfile.TemporaryDirectory() as profile:
            _DRAWN[key] = chromium(Path(profile), "--dump-dom", path.as_uri())
    return _DRAWN[key]


def published(out: Path) -> dict[str, bytes]:
    """A built site's files as published, by path: its cache (which keeps the files' times)
    is not."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and ".wagonyard-cache" not in p.parts
    }
