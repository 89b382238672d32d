"""One built site shared by the site tests: the example catalog and three trains (done with a real
output, failed before merging, done but with its output file gone)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controller.catalog.catalog import Catalog
from controller.sitegen.build import build_site
from tests.sitegen.helpers import (
    DONE,
    FAILED,
    GONE,
    T0,
    BuiltSite,
    done_record,
    example_catalog,
    failed_record,
    write_output,
    zmumu_histograms,
)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return example_catalog()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog) -> BuiltSite:
    base = tmp_path_factory.mktemp("site")
    outputs_root = base / "outputs"
    histograms = zmumu_histograms()
    output = outputs_root / DONE / "AnalysisResults.root"
    write_output(output, histograms, DONE)
    gone = outputs_root / GONE / "AnalysisResults.root"
    write_output(gone, histograms, GONE)
    records = [
        done_record(catalog, DONE, output, outputs_root, T0),
        failed_record(catalog, FAILED, T0 + timedelta(hours=1)),
        done_record(catalog, GONE, gone, outputs_root, T0 + timedelta(hours=2)),
    ]
    gone.unlink()
    out = base / "public"
    pages = build_site(catalog, records, out, outputs_root)
    return BuiltSite(out, outputs_root, pages, catalog, records, histograms)
