"""No wagon changes what another sees: each misdeed, on flat and jagged real events.

Every mutation gives either isolation (the victim's histogram equals the victim's alone) or a
clear error naming the wagon that did it, its file and the entry range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from controller.engine import source
from controller.engine.merge import Histograms
from controller.engine.plan import WagonInstance
from controller.engine.train import (
    columns_to_read,
    histograms_of,
    load_wagons,
    missing_columns,
    run_chunks,
)
from controller.errors import DataError, TaskError
from controller.records import FileSlice
from tests.reference import HZZ, ZMUMU

CATALOG = Path(__file__).resolve().parent / "hostile_catalog"
KINDS = {"Flat": (ZMUMU, "pt1"), "Jagged": (HZZ, "Muon_Px")}


def wagon(
    name: str, kind: str, *deps: str, variant: str | None = None, **config: float
) -> WagonInstance:
    return WagonInstance(
        f"hostile/{name.lower()}", variant, f"tasks:{name}{kind}", config, True, deps
    )


def run(kind: str, wagons: list[WagonInstance], step: int = 500) -> Histograms:
    path, _ = KINDS[kind]
    loaded = load_wagons(CATALOG, wagons)
    chunks = source.iterate(
        [FileSlice(path=path)], "events", columns_to_read(loaded), step,
        missing=missing_columns(loaded),
    )  # fmt: skip
    run_chunks(loaded, chunks)
    return histograms_of(loaded)


def values(h: Histograms, directory: str) -> np.ndarray:
    return np.asarray(h[directory]["x"].values(flow=True))


@pytest.fixture(scope="module")
def alone() -> dict[str, np.ndarray]:
    """The victim's histogram when it runs alone, per kind of data."""
    return {kind: values(run(kind, [wagon("Spy", kind)]), "hostile/spy") for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("culprit", ["SetsField", "DeletesField"])
def test_changing_its_view_changes_no_other_wagon(
    kind: str, culprit: str, alone: dict[str, np.ndarray]
) -> None:
    h = run(kind, [wagon(culprit, kind), wagon("Spy", kind), wagon("Spy", kind, variant="again")])
    assert np.array_equal(values(h, "hostile/spy"), alone[kind])
    assert np.array_equal(values(h, "hostile/spy_again"), alone[kind])
    if culprit == "SetsField":  # the culprit's own view did change: it sees doubled values
        assert not np.array_equal(values(h, "hostile/setsfield"), alone[kind])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("culprit", ["WritesBuffer", "WritesLayout"])
def test_writing_the_shared_buffers_is_an_error_naming_the_wagon(kind: str, culprit: str) -> None:
    path, _ = KINDS[kind]
    with pytest.raises(TaskError) as err:
        run(kind, [wagon("Spy", kind), wagon(culprit, kind)])
    message = str(err.value)
    assert f"wagon hostile/{culprit.lower()} tried to write into its input events" in message
    assert f"{path} entries 0-500" in message
    assert "read-only" in message


@pytest.mark.parametrize("kind", KINDS)
def test_variants_do_not_compound_each_others_changes(
    kind: str, alone: dict[str, np.ndarray]
) -> None:
    up, down = 1.25, 0.75
    h = run(
        kind,
        [
            wagon("Scales", kind, variant="up", scale=up),
            wagon("Scales", kind, variant="down", scale=down),
            wagon("Spy", kind),
        ],
    )
    for variant, factor in (("up", up), ("down", down)):
        expected = run(kind, [wagon("Scales", kind, scale=factor)])
        assert np.array_equal(
            values(h, f"hostile/scales_{variant}"), values(expected, "hostile/scales")
        )
    assert np.array_equal(values(h, "hostile/spy"), alone[kind])
    assert not np.array_equal(values(h, "hostile/scales_up"), values(h, "hostile/scales_down"))


@pytest.mark.parametrize("kind", KINDS)
def test_an_undeclared_returned_column_is_an_error_naming_the_wagon(kind: str) -> None:
    with pytest.raises(
        TaskError,
        match=r"wagon hostile/returnsundeclared: process\(\) returned "
        r"columns it does not declare in 'produces': (pt1|Muon_Px) while processing",
    ):
        run(kind, [wagon("ReturnsUndeclared", kind), wagon("Spy", kind)])


@pytest.mark.parametrize("kind", KINDS)
def test_a_product_shadowing_a_branch_reaches_only_its_dependents(
    kind: str, alone: dict[str, np.ndarray]
) -> None:
    h = run(
        kind,
        [
            wagon("Shadows", kind),
            wagon("Spy", kind, "hostile/shadows", variant="dependent"),
            wagon("Spy", kind),
        ],
    )
    assert np.array_equal(values(h, "hostile/spy"), alone[kind])  # the file's branch
    doubled = values(h, "hostile/spy_dependent")
    assert not np.array_equal(doubled, alone[kind])
    assert doubled.sum() == alone[kind].sum()  # the same entries, at twice the value


@pytest.mark.parametrize("kind", KINDS)
def test_reading_a_product_without_depending_on_it_fails_in_the_train_too(kind: str) -> None:
    with pytest.raises(TaskError) as err:
        run(kind, [wagon("Doubles", kind), wagon("ReadsDoubled", kind)])
    assert (
        "no branch 'doubled' (read by hostile/readsdoubled; wagon hostile/doubles produces it: "
        "add 'hostile/doubles' to the depends_on of hostile/readsdoubled)" in str(err.value)
    )
    h = run(kind, [wagon("Doubles", kind), wagon("ReadsDoubled", kind, "hostile/doubles")])
    assert h["hostile/readsdoubled"]["x"].sum(flow=True) > 0


def test_a_branch_no_one_produces_stays_the_files_fault() -> None:
    with pytest.raises(DataError, match=r"no branch 'doubled' \(read by hostile/readsdoubled\)"):
        run("Flat", [wagon("ReadsDoubled", "Flat")])


@pytest.mark.parametrize(
    ("culprit", "message"),
    [
        ("ReturnsList", r"process\(\) returned list, not a mapping of its declared columns"),
        ("ReturnsShort", r"its column 'doubled' has 499 entries for a chunk of 500 events"),
    ],
)
def test_wrong_products_are_errors_naming_the_wagon(culprit: str, message: str) -> None:
    with pytest.raises(TaskError, match=rf"wagon hostile/{culprit.lower()}: {message}"):
        run("Flat", [wagon(culprit, "Flat")])


def test_booking_something_else_than_histograms_names_the_wagon() -> None:
    with pytest.raises(
        TaskError,
        match=r"wagon hostile/booksjunk .*book\(\) must return hist.Hist "
        r"objects by name: 'x' is a list",
    ):
        load_wagons(CATALOG, [wagon("BooksJunk", "Flat")])


def test_a_service_wagon_cannot_have_variants() -> None:
    with pytest.raises(
        TaskError,
        match=r"variants.loose: a service wagon \(it produces doubled\) "
        r"cannot have variants",
    ):
        load_wagons(CATALOG, [wagon("Doubles", "Flat", variant="loose")])
