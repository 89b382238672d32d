"""How long 'wagonyard validate' takes on a large catalog: 100 analyses of 100 wagons each.

Generates the catalog in a temporary folder (the example analyses' tasks.py copied into every
analysis folder, wagons like the example ones: config, variants, depends_on, several enabled
datasets), then runs 'wagonyard validate' on it as a subprocess a few times and prints the
fastest and the median wall time against the target.

    python benchmarks/validate_catalog.py [--analyses 100] [--wagons 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "catalog"
TARGET_S = 5.0
HEADER = "# yaml-language-server: $schema=../../../../schema/wagon.schema.json\n"


def wagon(i: int, datasets: list[str]) -> dict[str, object]:
    """The i-th wagon of an analysis: a selection service wagon first, then mass and kinematics
    wagons depending on it, each enabled on two datasets, every third with a variant."""
    if i == 0:
        return {
            "name": "selection",
            "task": "tasks:DimuonSelection",
            "description": "Service wagon marking events whose muon pair passes the selection.",
            "config": {"pt_min": 20.0, "eta_max": 2.1, "opposite_charge": True},
        }
    name = f"wagon-{i:03d}"
    if i % 2:
        body: dict[str, object] = {
            "task": "tasks:DimuonMass",
            "config": {"bins": 60 + i % 40, "low": 60.0, "high": 120.0},
        }
        if i % 3 == 0:
            body["variants"] = {"wide": {"bins": 75, "low": 0.0, "high": 150.0}}
    else:
        body = {"task": "tasks:MuonKinematics", "config": {"pt_bins": 50, "pt_max": 100.0}}
    enabled = [
        {"dataset": datasets[i % len(datasets)]},
        {"dataset": datasets[(i + 1) % len(datasets)], "code": {"source": "tag", "tag": "v1.2"}},
    ]
    return {
        "name": name,
        **body,
        "description": f"Benchmark wagon {i} of its analysis.",
        "depends_on": ["selection"],
        "enabled": enabled,
    }


def generate(root: Path, analyses: int, wagons: int) -> Path:
    catalog = root / "catalog"
    shutil.copytree(EXAMPLE / "datasets", catalog / "datasets")
    shutil.copytree(EXAMPLE / "runlists", catalog / "runlists")
    # the dimuon tasks read the dimuon sample's branches: enabled on the datasets that have them
    datasets = sorted(p.stem for p in (catalog / "datasets").glob("cms-2010-dimuon*.yaml"))
    tasks = (EXAMPLE / "analyses" / "zmumu" / "tasks.py").read_text()
    for a in range(analyses):
        name = f"analysis-{a:03d}"
        folder = catalog / "analyses" / name
        (folder / "wagons").mkdir(parents=True)
        (folder / "tasks.py").write_text(tasks)
        analysis = {
            "name": name,
            "title": f"Benchmark analysis {a}",
            "group": "EW",
            "members": ["alice-analyst"],
        }
        (folder / "analysis.yaml").write_text(yaml.safe_dump(analysis, sort_keys=False))
        for i in range(wagons):
            data = wagon(i, datasets)
            text = HEADER + yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
            (folder / "wagons" / f"{data['name']}.yaml").write_text(text)
    return catalog


def command() -> list[str]:
    found = shutil.which("wagonyard")
    return [found] if found else [sys.executable, "-m", "controller"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", type=int, default=100)
    parser.add_argument("--wagons", type=int, default=100, help="wagons per analysis")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    total = args.analyses * args.wagons
    with tempfile.TemporaryDirectory(prefix="wagonyard-bench-") as tmp:
        start = time.perf_counter()
        catalog = generate(Path(tmp), args.analyses, args.wagons)
        print(f"generated {total:,} wagon files in {time.perf_counter() - start:.1f} s")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = subprocess.run(
                [*command(), "validate", str(catalog)], capture_output=True, text=True
            )
            times.append(time.perf_counter() - start)
            if result.returncode != 0:
                sys.exit(f"validate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        print(result.stdout.strip().splitlines()[-1])
    best, median = min(times), statistics.median(times)
    verdict = "OK" if median < TARGET_S else "TOO SLOW"
    print(
        f"validate {total:,} wagon files: {median:.2f} s median, {best:.2f} s best of "
        f"{len(times)}, first run {times[0]:.2f} s (target < {TARGET_S:.0f} s): {verdict}"
    )


if __name__ == "__main__":
    main()
