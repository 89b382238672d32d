"""The versions of the libraries a job ran with, for its provenance and the train record.

A result can only be reproduced with the same libraries: every job records the interpreter's
and these distributions' versions. Reads installed metadata only.
"""

from __future__ import annotations

import importlib.metadata
import platform

LIBRARIES = ("wagonyard", "uproot", "awkward", "awkward-cpp", "hist", "boost-histogram",
             "numpy", "pydantic", "scikit-hep-testdata")  # fmt: skip


def versions() -> dict[str, str]:
    """'python' and each of ``LIBRARIES`` -> its installed version ('not installed')."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def agreed(each: list[dict[str, str]]) -> dict[str, str]:
    """One table for many jobs: a library's version, or every version seen, joined by ', '."""
    names = sorted({n for v in each for n in v})
    return {n: ", ".join(sorted({v[n] for v in each if n in v})) for n in names}
