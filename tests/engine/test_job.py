"""One job over real events: outputs match the reference; split jobs merged equal one job."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from controller.engine.mergefiles import merge_files, merge_staged
from controller.engine.output import read_output
from controller.engine.plan import WagonInstance
from controller.engine.train import load_wagons
from controller.errors import DataError, TaskError
from controller.job import JobSpec, run_job
from controller.records import FileSlice
from tests.reference import ZMUMU, assert_matches, zmumu_reference

CATALOG = Path(__file__).resolve().parents[2] / "catalog"

SELECTION = ("zmumu/muon-selection",)
ZMUMU_WAGONS = [
    WagonInstance("zmumu/muon-selection", None, "tasks:DimuonSelection", {}, False),
    WagonInstance("zmumu/dimuon-mass", None, "tasks:DimuonMass", {}, True, SELECTION),
    WagonInstance(
        "zmumu/dimuon-mass",
        "wide",
        "tasks:DimuonMass",
        {"bins": 75, "low": 0, "high": 150},
        True,
        SELECTION,
    ),
    WagonInstance("zmumu/muon-kinematics", None, "tasks:MuonKinematics", {}, True),
]


def spec(
    tmp: Path,
    name: str,
    slices: list[FileSlice],
    step: int = 500,
    wagons: list[WagonInstance] | None = None,
    catalog: Path = CATALOG,
    **kw: object,
) -> JobSpec:
    """A job over ``slices`` running the zmumu train (or ``wagons``) of ``catalog``."""
    described = [w.describe() for w in load_wagons(catalog, wagons or ZMUMU_WAGONS)]
    return JobSpec(
        name=name,
        train_id="t",
        catalog_dir=str(catalog),
        catalog_commit="c0ffee",
        dataset="cms-2010-dimuon",
        tree="events",
        wagons=described,
        slices=slices,
        output_dir=str(tmp / name),
        step=step,
        **kw,  # type: ignore[arg-type]
    )


def test_single_job_matches_the_reference_bin_for_bin(tmp_path: Path) -> None:
    report = run_job(spec(tmp_path, "all", [FileSlice(path=ZMUMU)]))
    assert report.events == 2304
    histograms, provenance = read_output(Path(report.output))
    assert assert_matches(histograms, zmumu_reference()) > 100
    assert provenance["events"] == 2304 and provenance["catalog_commit"] == "c0ffee"
    hashes = {w["directory"]: w["config_hash"] for w in provenance["wagons"]}
    assert hashes["zmumu/dimuon-mass"] != hashes["zmumu/dimuon-mass_wide"]
    usage = {w.directory: w for w in report.wagons}
    assert usage["zmumu/dimuon-mass"].events == 2304 and usage["zmumu/dimuon-mass"].cpu_s > 0
    assert report.max_rss_mb > 50
    assert (tmp_path / "all" / "metrics.json").is_file()


def test_merged_split_jobs_equal_one_job(tmp_path: Path) -> None:
    whole = run_job(spec(tmp_path, "whole", [FileSlice(path=ZMUMU)], step=1000))
    parts = [
        run_job(
            spec(tmp_path, f"p{i}", [FileSlice(path=ZMUMU, entry_start=a, entry_stop=b)], step=300)
        )
        for i, (a, b) in enumerate([(0, 700), (700, 1500), (1500, 2304)])
    ]
    merged = merge_files([Path(p.output) for p in parts], tmp_path / "merged.root")
    assert merged["events"] == 2304
    one, _ = read_output(Path(whole.output))
    many, _ = read_output(tmp_path / "merged.root")
    assert one.keys() == many.keys()
    for directory, hists in one.items():
        for name, h in hists.items():
            assert (h.values(flow=True) == many[directory][name].values(flow=True)).all()
            assert (h.variances(flow=True) == many[directory][name].variances(flow=True)).all()


def test_corrupt_file_is_named_and_fails_the_job_unless_skipping_is_allowed(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.root"
    data = Path(ZMUMU).read_bytes()
    bad.write_bytes(data[: len(data) // 2])  # truncated mid-file, as a failed transfer leaves it
    slices = [FileSlice(path=ZMUMU), FileSlice(path=str(bad))]
    with pytest.raises(DataError, match=r"corrupt\.root"):
        run_job(spec(tmp_path, "strict", slices))
    report = run_job(spec(tmp_path, "lenient", slices, skip_bad_files=True))
    assert report.events == 2304
    assert [s.path for s in report.skipped] == [str(bad)]


def test_a_bad_config_names_the_wagon_file_and_key() -> None:
    bad = WagonInstance("zmumu/dimuon-mass", None, "tasks:DimuonMass", {"bins": 0}, True)
    with pytest.raises(TaskError, match=r"dimuon-mass\.yaml: config\.bins"):
        load_wagons(CATALOG, [bad])


def test_a_raising_wagon_names_itself_the_file_and_the_range(tmp_path: Path) -> None:
    analysis = tmp_path / "catalog" / "analyses" / "broken"
    analysis.mkdir(parents=True)
    (analysis / "tasks.py").write_text(
        "from controller.engine.task import Task\n"
        "class Boom(Task):\n"
        "    columns = ('M',)\n"
        "    def process(self, events, out):\n"
        "        if events.M[0] > 0: raise ZeroDivisionError('bad luck')\n"
    )
    wagons = [WagonInstance("broken/boom", None, "tasks:Boom", {}, True)]
    slices = [FileSlice(path=ZMUMU, entry_start=1000, entry_stop=2000)]
    job = spec(tmp_path, "o", slices, step=400, wagons=wagons, catalog=tmp_path / "catalog")
    with pytest.raises(TaskError) as err:
        run_job(job)
    message = str(err.value)
    assert "broken/boom raised ZeroDivisionError: bad luck" in message
    assert f"{ZMUMU} entries 1000-1400" in message


def test_staged_merge_of_many_outputs_equals_a_flat_merge(tmp_path: Path) -> None:
    bounds = [*range(0, 2304, 200), 2304]
    outputs = [
        Path(
            run_job(
                spec(tmp_path, f"s{i}", [FileSlice(path=ZMUMU, entry_start=a, entry_stop=b)])
            ).output
        )
        for i, (a, b) in enumerate(pairwise(bounds))
    ]
    assert len(outputs) == 12
    flat = merge_files(outputs, tmp_path / "flat.root")
    staged = merge_staged(outputs, tmp_path / "staged.root", fan_in=3)
    assert staged["stages"] == 3 and staged["events"] == flat["events"] == 2304
    assert [p["job"] for p in staged["merged_from"]] == [f"s{i}" for i in range(12)]
    a, _ = read_output(tmp_path / "flat.root")
    b, _ = read_output(tmp_path / "staged.root")
    assert_matches(b, {d: {n: h.values() for n, h in hs.items()} for d, hs in a.items()})
    assert not list(tmp_path.glob(".staged.root.stages/*"))


def test_a_job_records_the_versions_it_ran_with(tmp_path: Path) -> None:
    import awkward
    import uproot

    report = run_job(spec(tmp_path, "v", [FileSlice(path=ZMUMU, entry_stop=100)]))
    _, provenance = read_output(Path(report.output))
    assert provenance["versions"] == report.versions
    assert report.versions["uproot"] == uproot.__version__
    assert report.versions["awkward"] == awkward.__version__
    assert report.versions["python"].startswith("3.")
