"""Find each dataset's branches for the column checks of ``wagonyard validate``.

A dataset that lists its ``branches`` is taken at its word; otherwise the tree of its first file
is opened (metadata only, no events are read). A dataset whose files cannot be found or read
here (not written yet, remote and unreachable) has unknown branches, and its columns are not
checked against the file. Adapter: it looks at the file system through uproot.
"""

from __future__ import annotations

from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.errors import WagonyardError


def dataset_branches(catalog: Catalog, root: Path | None = None) -> dict[str, frozenset[str]]:
    """The known branches of each dataset's tree, by dataset name."""
    from controller.engine.files import data_dir, dataset_files
    from controller.engine.source import branch_names

    known: dict[str, frozenset[str]] = {}
    for name, entry in catalog.datasets.items():
        dataset = entry.model
        if dataset.branches is not None:
            known[name] = frozenset(dataset.branches)
            continue
        try:
            first = dataset_files(catalog, dataset, data_dir(root))[0].path
            known[name] = frozenset(branch_names(first, dataset.tree))
        except WagonyardError:
            continue
    return known
