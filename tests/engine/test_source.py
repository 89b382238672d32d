"""Reading over a URL as well as a path, and refusing mismatched outputs at file level."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.engine.mergefiles import merge_files
from controller.engine.plan import WagonInstance
from controller.errors import MergeError
from controller.job import JobSpec, run_job
from controller.records import FileSlice
from tests.engine.test_job import spec
from tests.reference import ZMUMU, assert_matches, zmumu_reference

CATALOG = Path(__file__).resolve().parents[2] / "catalog"


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that honours byte ranges, as storage elements over HTTP do."""

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        header = self.headers.get("Range")
        if not header:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        parts = []
        for byte_range in header.removeprefix("bytes=").split(","):
            start, _, stop = byte_range.strip().partition("-")
            parts.append(data[int(start) : int(stop) + 1])
        body = parts[0]
        start_s = header.removeprefix("bytes=").split(",")[0].split("-")[0]
        self.send_response(206)
        self.send_header(
            "Content-Range", f"bytes {start_s}-{int(start_s) + len(body) - 1}/{len(data)}"
        )
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_root() -> Iterator[str]:
    directory = str(Path(ZMUMU).parent)

    def handler(*a: object, **kw: object) -> RangeHandler:
        return RangeHandler(*a, directory=directory, **kw)  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def job(tmp: Path, name: str, path: str, config: dict[str, object] | None = None) -> JobSpec:
    wagons = [
        WagonInstance("zmumu/muon-selection", None, "tasks:DimuonSelection", {}, False),
        WagonInstance(
            "zmumu/dimuon-mass",
            None,
            "tasks:DimuonMass",
            config or {},
            True,
            ("zmumu/muon-selection",),
        ),
    ]
    return spec(tmp, name, [FileSlice(path=path)], step=100_000, wagons=wagons)


def test_a_url_reads_the_same_events_as_the_path(tmp_path: Path, http_root: str) -> None:
    from controller.engine.output import read_output

    report = run_job(job(tmp_path, "url", f"{http_root}/uproot-Zmumu.root"))
    assert report.events == 2304
    histograms, _ = read_output(Path(report.output))
    expected = zmumu_reference()
    assert_matches(histograms, {"zmumu/dimuon-mass": expected["zmumu/dimuon-mass"]})


def test_outputs_with_other_binning_refuse_to_merge_naming_both_files(tmp_path: Path) -> None:
    a = run_job(job(tmp_path, "a", ZMUMU)).output
    b = run_job(job(tmp_path, "b", ZMUMU, {"bins": 30})).output
    with pytest.raises(MergeError) as err:
        merge_files([Path(a), Path(b)], tmp_path / "m.root")
    assert a in str(err.value) and b in str(err.value)
    assert "60 bins" in str(err.value) and "30 bins" in str(err.value)
    assert not (tmp_path / "m.root").exists()
