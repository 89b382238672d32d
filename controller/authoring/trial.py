"""``wagonyard wagon try``: the wagon with its dependencies on a dataset's test sample, in this
process, before any pull request: its histograms' entries and means, its CPU per event and the
job's memory, and ``AnalysisResults.root``. Adapter: the engine and files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from controller.catalog.loader import load_valid_catalog
from controller.config import load_config
from controller.engine.files import data_dir as default_data_dir
from controller.errors import WagonyardError
from controller.localrun import run_local
from controller.sitegen.gather import read_histograms
from controller.sitegen.model import Hist1D
from controller.wagontest.run import test_sample


def try_wagon(
    catalog_dir: Path, ref: str, dataset: str, events: int | None, data_dir: Path | None, out: Path
) -> Iterator[str]:
    catalog = load_valid_catalog(catalog_dir, catalog_dir.parent)
    entry = catalog.datasets.get(dataset)
    if entry is None:
        known = ", ".join(sorted(catalog.datasets))
        raise WagonyardError(f"--dataset {dataset}: no such dataset; known: {known}")
    ds = entry.model
    if events is not None:
        ds = ds.model_copy(
            update={"test_sample": ds.test_sample.model_copy(update={"events": events})}
        )
    storage = load_config(catalog_dir.parent).storage  # the repository's storage elements
    slices = test_sample(catalog, ds, default_data_dir(data_dir), storage)
    report = run_local(catalog, dataset, [ref], default_data_dir(data_dir), out, slices=slices)
    yield f"{report.events:,} events of {dataset} in {report.wall_s:.2f} s, max RSS {report.max_rss_mb:.0f} MB"
    for u in report.wagons:
        per_event = 1000 * u.cpu_s / u.events if u.events else 0.0
        yield f"  {u.directory}: CPU {per_event:.4f} ms per event"
    wagons, _ = read_histograms(Path(report.output))
    for w in wagons:
        for h in w.histograms:
            mean = h.mean if isinstance(h, Hist1D) else h.mean_x
            shown = "—" if mean is None else f"{mean:.4g}"
            yield f"  {w.directory}/{h.name}: {h.entries:,.0f} entries, mean {shown}"
    yield f"wrote {report.output}"
