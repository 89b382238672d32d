"""One built site shared by the site tests, built as an operator would (``site build``) from a
real git repository: the example catalog on main (imported, then a wagon changed in a pull
request by another author) and a history branch with three trains (done with a real output,
failed before merging, done but with its output file gone), a wagon test and an e-mail that
could not be sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controller.catalog.catalog import Catalog
from controller.reconcile.mail import Notice
from controller.sitegen.build import build_from_repository
from tests.sitegen.helpers import (
    DONE,
    FAILED,
    GONE,
    T0,
    BuiltSite,
    done_record,
    example_catalog,
    failed_record,
    site_repo,
    wagon_test_report,
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
    reports = [wagon_test_report(catalog, "test-20101105-093000", T0 - timedelta(minutes=30))]
    unsent = Notice(key="train-x", subject="[wagonyard] train x done", body="", to=["a@b"],
                    error="connection refused by smtp.example.org:25")  # fmt: skip
    repo = site_repo(base / "repo", records, reports, [unsent])
    out = base / "public"
    pages, warnings = build_from_repository(repo, out, outputs_root)
    assert warnings == []
    return BuiltSite(out, outputs_root, pages, catalog, records, histograms, repo)
