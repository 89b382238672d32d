"""Add the histograms of job outputs together, refusing anything that does not add up.

Outputs are ``{directory: {name: Hist}}``. A missing directory or histogram, or axes that
differ, is a ``MergeError`` naming both inputs. Pure: reading and writing files is in
``controller.engine.output``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from controller.engine.task import Hist
from controller.errors import MergeError

Histograms = dict[str, dict[str, Hist]]


def _same_axes(a: Hist, b: Hist) -> str | None:
    """Why the axes of ``a`` and ``b`` differ, or None where they match."""
    if a.ndim != b.ndim:
        return f"{a.ndim} axes against {b.ndim}"
    for i, (x, y) in enumerate(zip(a.axes, b.axes, strict=True)):
        if len(x.edges) != len(y.edges) or not np.allclose(x.edges, y.edges, rtol=1e-12):
            return (
                f"axis {i} has {len(x.edges) - 1} bins over [{x.edges[0]:g}, {x.edges[-1]:g}] "
                f"against {len(y.edges) - 1} bins over [{y.edges[0]:g}, {y.edges[-1]:g}]"
            )
    return None


def add_into(total: Histograms, part: Histograms, total_name: str, part_name: str) -> None:
    """Add ``part`` into ``total`` in place; both must hold the same histograms."""
    missing = sorted(set(total) ^ set(part))
    if missing:
        d = missing[0]
        has, lacks = (total_name, part_name) if d in total else (part_name, total_name)
        raise MergeError(
            f"cannot merge {part_name} into {total_name}: wagon directory '{d}' is in {has} "
            f"but not in {lacks}"
        )
    for directory, hists in part.items():
        mine = total[directory]
        names = sorted(set(mine) ^ set(hists))
        if names:
            raise MergeError(
                f"cannot merge {part_name} into {total_name}: histogram '{directory}/{names[0]}' "
                "is in only one of them"
            )
        for name, h in hists.items():
            why = _same_axes(mine[name], h)
            if why:
                raise MergeError(
                    f"cannot merge {part_name} into {total_name}: '{directory}/{name}' has "
                    f"mismatched binning ({why})"
                )
            mine[name] = mine[name] + h


def merge_all(parts: Iterable[tuple[str, Histograms]]) -> Histograms:
    """Sum every part; the first fixes the layout the others must match."""
    total: Histograms | None = None
    first = ""
    for name, part in parts:
        if total is None:
            total, first = {d: dict(h) for d, h in part.items()}, name
        else:
            add_into(total, part, first, name)
    if total is None:
        raise MergeError("nothing to merge: no input outputs were given")
    return total
