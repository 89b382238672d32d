"""The code hashes of a catalog's analyses from the files on disk, as git would hash them.

``wagonyard test --record`` in a pull request's checkout records the same test versions the
controller computes from main's commit (``controller.reconcile.versions``), so that a wagon
tested in CI is not tested again once merged.
"""

from __future__ import annotations

from controller.catalog.catalog import Catalog
from controller.reconcile.versions import code_hash, git_blob_id


def code_hashes(catalog: Catalog) -> dict[str, str]:
    """analysis -> the hash of its code files in the working tree."""
    out = {}
    for analysis in catalog.analyses:
        folder = catalog.analysis_dir(analysis)
        blobs = [
            (p.relative_to(folder).as_posix(), git_blob_id(p.read_bytes()))
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.endswith(".pyc")
        ]
        out[analysis] = code_hash(blobs)
    return out
