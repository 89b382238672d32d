"""Merging histograms: sums, and refusals that name both inputs."""

import hist
import numpy as np
import pytest

from controller.engine.merge import merge_all
from controller.errors import MergeError


def h(bins: int = 10, high: float = 1.0, fill: list[float] | None = None) -> hist.Hist:
    out = hist.Hist(hist.axis.Regular(bins, 0, high, name="x"))
    out.fill(x=np.array(fill or [0.05, 0.55]))
    return out


def test_sums_bin_for_bin() -> None:
    merged = merge_all([("a.root", {"w": {"x": h()}}), ("b.root", {"w": {"x": h(fill=[0.55])}})])
    assert merged["w"]["x"].values()[0] == 1
    assert merged["w"]["x"].values()[5] == 2


def test_mismatched_binning_names_both_files() -> None:
    with pytest.raises(MergeError, match=r"b\.root into a\.root.*'w/x'.*mismatched binning"):
        merge_all([("a.root", {"w": {"x": h()}}), ("b.root", {"w": {"x": h(bins=20)}})])


def test_missing_wagon_directory_names_both_files() -> None:
    with pytest.raises(MergeError, match=r"'v' is in b\.root but not in a\.root"):
        merge_all([("a.root", {"w": {"x": h()}}), ("b.root", {"w": {"x": h()}, "v": {"x": h()}})])


def test_nothing_to_merge() -> None:
    with pytest.raises(MergeError, match="nothing to merge"):
        merge_all([])
