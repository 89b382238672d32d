"""Write an edit of the catalog only if the catalog is still valid with it.

The edit (new texts by path under the catalog) is first written into a copy of the catalog,
which is loaded and checked as ``wagonyard validate`` does (tasks imported in the sandbox); on
any new error nothing is written and the problems are raised, formatted as ``validate`` prints
them. Adapter: files.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from controller.catalog.loader import load_catalog
from controller.catalog.problems import Problem
from controller.errors import WagonyardError


def _errors(catalog_dir: Path) -> list[Problem]:
    _, problems = load_catalog(catalog_dir, catalog_dir.parent)
    return [p for p in problems if p.severity == "error"]


def apply_checked(catalog_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (path under ``catalog_dir`` -> text) if the catalog stays valid."""
    catalog_dir = catalog_dir.resolve()
    with tempfile.TemporaryDirectory(prefix="wagonyard-edit-") as tmp:
        copy = Path(tmp) / catalog_dir.name
        shutil.copytree(catalog_dir, copy, ignore=shutil.ignore_patterns("__pycache__"))
        for relative, text in files.items():
            path = copy / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        after = _errors(copy)
        if after:
            before = {(p.path, p.message) for p in _errors(catalog_dir)}
            new = [p for p in after if (p.path, p.message) not in before]
            if new:
                lines = "\n".join(p.format() for p in new)
                raise WagonyardError(
                    f"the change would make the catalog invalid, so nothing was written:\n{lines}"
                )
    written = []
    for relative, text in files.items():
        path = catalog_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
