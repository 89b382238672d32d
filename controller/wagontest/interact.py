"""Compare each wagon's histograms in the full train with its histograms alone.

Over the same events, a wagon's output must not depend on which wagons share its train. A
difference means a wagon reached into another's input or into shared state (a patched library
function, a buffer made writeable again), or that a wagon is not deterministic. Pure:
histograms in, the names of those that differ out.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from controller.engine.merge import Histograms
from controller.engine.task import Hist


def differences(
    train: Histograms, alone: Histograms, directories: Iterable[str]
) -> dict[str, list[str]]:
    """For each of ``directories``, the histograms that differ between the two outputs."""
    found: dict[str, list[str]] = {}
    for directory in directories:
        a, b = train.get(directory, {}), alone.get(directory, {})
        differ = sorted(
            name
            for name in set(a) | set(b)
            if name not in a or name not in b or not same(a[name], b[name])
        )
        if differ:
            found[directory] = differ
    return found


def same(a: Hist, b: Hist) -> bool:
    """Whether two histograms have the same axes, contents and variances, bit for bit."""
    if a.axes != b.axes:
        return False
    if not np.array_equal(a.values(flow=True), b.values(flow=True), equal_nan=True):
        return False
    va, vb = a.variances(flow=True), b.variances(flow=True)
    if va is None or vb is None:
        return va is None and vb is None
    return bool(np.array_equal(va, vb, equal_nan=True))
