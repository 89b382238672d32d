"""Compare the histograms of two runs bin by bin: the train's against coffea's.

Both sides reduce their histograms to plain lists of bin contents (flow bins included) keyed
``directory/name``, which travel as JSON between interpreters. numpy only: no engine, no coffea.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

Contents = dict[str, list[float]]


def bin_contents(histograms: Mapping[str, Mapping[str, Any]]) -> Contents:
    """Every bin of every ``hist.Hist`` (flow bins included) by ``directory/name``."""
    return {
        f"{directory}/{name}": np.asarray(h.values(flow=True), dtype=float).ravel().tolist()
        for directory, by_name in histograms.items()
        for name, h in by_name.items()
    }


def differences(ours: Contents, theirs: Contents, rtol: float = 1e-9) -> list[str]:
    """What differs: a histogram on one side only, its number of bins, or bins' contents.

    Weighted bins may differ in the last digits when the events are summed in another order,
    hence the relative tolerance; counts are integers and compare exactly.
    """
    problems = []
    for key in sorted(ours.keys() | theirs.keys()):
        if key not in ours or key not in theirs:
            problems.append(f"{key}: only in {'ours' if key in ours else 'theirs'}")
            continue
        a, b = np.asarray(ours[key]), np.asarray(theirs[key])
        if a.shape != b.shape:
            problems.append(f"{key}: {a.size} bins against {b.size}")
            continue
        bad = ~np.isclose(a, b, rtol=rtol, atol=0.0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(
                f"{key}: {int(bad.sum())} of {a.size} bins differ (bin {i}: {a[i]} against {b[i]})"
            )
    return problems


def empty(contents: Contents) -> list[str]:
    """The histograms holding nothing: comparing those would prove nothing."""
    return sorted(key for key, bins in contents.items() if not any(bins))
