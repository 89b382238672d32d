"""Reading the example data over root:// from a local XRootD server against reading it from the
file system, side by side in one run, as ratios.

The data: the example catalog's datasets, cms-2010-dimuon (the real CMS dimuon events), hzz-mc
and cms-2010-dimuon-large (what 'wagonyard demo-data' writes: --events resampled events in
--files files, ZSTD). One XRootD server (Debian's xrootd, started by scripts/xrootd-up.sh on a
free port) serves copies of the same files from the same disk; both copies are read once before
timing, so both are in the page cache and the figures compare the access paths, not the disks.
uproot reads root:// the way its users do: its default handler (fsspec-xrootd over XRootD's own
client), default options. Figures, each the best of --repeat rounds, rounds alternating the two:
  U  plain uproot reading every numeric branch of every file (tree.arrays)
  J  a wagonyard job (controller.job.run_job, the example zmumu train's wagons) over the large
     dataset, as grid jobs run it
and the ratio root:// / file for each. Everything is written to OUT/results.json.

    python3 benchmarks/storage_read.py [--events 1000000] [--files 20] [--repeat 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import skhep_testdata
import uproot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from controller.catalog.loader import load_valid_catalog
from controller.config import join_url
from controller.demodata import write_demo_data
from controller.demostorage import free_port
from controller.engine.plan import plan_train
from controller.engine.train import load_wagons
from controller.job import JobSpec, run_job
from controller.records import FileSlice

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "catalog"
SCRIPT = ROOT / "scripts" / "xrootd-up.sh"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=1_000_000, help="events of the large dataset")
    p.add_argument("--files", type=int, default=20, help="its files")
    p.add_argument("--repeat", type=int, default=5, help="rounds; each figure is the best")
    p.add_argument("--out", type=Path, default=Path("/tmp/wagonyard-bench-storage"))
    return p.parse_args()


def read_all(paths: list[str]) -> int:
    entries = 0
    for path in paths:
        with uproot.open(path) as f:
            t = f["events"]
            names = [k for k, b in t.items() if b.typename not in ("char*", "std::string")]
            entries += len(next(iter(t.arrays(names, library="np").values())))
    return entries


def job(paths: list[str], out: Path) -> int:
    instances = plan_train(load_valid_catalog(CATALOG), "cms-2010-dimuon-large", None)
    described = [w.describe() for w in load_wagons(CATALOG, instances)]
    spec = JobSpec(
        name="bench",
        train_id="bench",
        catalog_dir=str(CATALOG),
        catalog_commit="bench",
        dataset="cms-2010-dimuon-large",
        tree="events",
        wagons=described,
        slices=[FileSlice(path=p) for p in paths],
        output_dir=str(out),
    )
    return run_job(spec).events


def timed(fn: Callable[[], int], timings: list[float]) -> int:
    t0 = time.perf_counter()
    n = fn()
    timings.append(time.perf_counter() - t0)
    return n


def main() -> int:
    args = parse_args()
    if shutil.which("xrootd") is None:
        print("needs Debian's xrootd-server and xrootd-client (bash scripts/install.sh --test)")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    large = args.out / f"large-{args.events}-{args.files}"
    if not large.exists():
        print(f"writing the large dataset ({args.events} events in {args.files} files)")
        write_demo_data(large / "data", args.events, args.files)
        (large / "done").touch()
    local = sorted(str(p) for p in (large / "data").rglob("*.root"))
    small = [
        skhep_testdata.data_path("uproot-Zmumu.root"),
        skhep_testdata.data_path("uproot-HZZ.root"),
    ]
    base = Path(tempfile.mkdtemp(prefix="wagonyard-bench-xrootd-"))
    base.chmod(0o755)
    port = free_port()
    subprocess.run(["bash", str(SCRIPT), str(base), f"se:{port}"], check=True)
    try:
        url = f"root://127.0.0.1:{port}//"
        remote_large, remote_small = [], []
        for p in local:
            rel = str(Path(p).relative_to(large / "data"))
            target = base / "se" / "data" / "large" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, target)
            remote_large.append(join_url(url, f"large/{rel}"))
        for p in small:
            shutil.copyfile(p, base / "se" / "data" / Path(p).name)
            remote_small.append(join_url(url, Path(p).name))
        subprocess.run(["chown", "-R", "xrootd:xrootd", str(base / "se" / "data")], check=False)
        every_local, every_remote = [*small, *local], [*remote_small, *remote_large]
        read_all(every_local), read_all(every_remote)  # both copies in the page cache
        times: dict[str, list[float]] = {k: [] for k in ("U_file", "U_root", "J_file", "J_root")}
        for r in range(args.repeat):
            entries = timed(lambda: read_all(every_local), times["U_file"])
            assert timed(lambda: read_all(every_remote), times["U_root"]) == entries
            events = timed(lambda: job(local, args.out / "job-file"), times["J_file"])
            assert (
                timed(lambda: job(remote_large, args.out / "job-root"), times["J_root"]) == events
            )
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    finally:
        subprocess.run(["bash", str(SCRIPT), "--down", str(base)], check=False)
        shutil.rmtree(base, ignore_errors=True)
    figures = {k: min(v) for k, v in times.items()}
    ratios = {
        "U root/file": figures["U_root"] / figures["U_file"],
        "J root/file": figures["J_root"] / figures["J_file"],
    }
    print(f"\n{len(every_local)} files, {entries} entries read by U; {events} events in J")
    for key in ("U", "J"):
        f, r = figures[f"{key}_file"], figures[f"{key}_root"]
        print(f"{key}: file {f:.3f} s, root:// {r:.3f} s, ratio root/file {r / f:.2f}")
    (args.out / "results.json").write_text(
        json.dumps(
            {"best_s": figures, "ratios": ratios, "entries": entries, "events": events}, indent=1
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
