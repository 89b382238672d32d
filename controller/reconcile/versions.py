"""What a wagon test is valid for: a version of the wagon, its code, its dependencies and dataset.

A wagon's test stays valid while nothing it depends on changes: its own declaration (task,
config, variants, dependencies), the code of its analysis at the commit it runs from, the
dataset's declaration (files, tree, limits, splitting: not its schedule) and run list, and the
same of every wagon it depends on. ``wagon_versions`` hashes all that into one key per
(dataset, wagon); the controller retests a wagon whose latest test has another key. Code is
identified by git's blob hashes, the same from a commit's tree and from a working tree. Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from controller.catalog.catalog import Catalog

# the parts of a wagon file that do not change what it computes
_NOT_WAGON = {"enabled", "description"}
_NOT_DATASET = {"schedule", "title", "description"}


def _digest(value: object) -> str:
    blob = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def git_blob_id(data: bytes) -> str:
    """The object id git gives a file's content (SHA-1 of 'blob <size>\\0' + content)."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def code_hash(blobs: Iterable[tuple[str, str]]) -> str:
    """One key for an analysis's code: (path within the analysis, blob id) of each code file.

    Wagon files and analysis.yaml are declarations, not code, and are left out.
    """
    kept = sorted(
        (path, blob)
        for path, blob in blobs
        if not path.startswith("wagons/")
        and path != "analysis.yaml"
        and "__pycache__" not in path.split("/")
    )
    return _digest(kept)


def wagon_versions(
    catalog: Catalog,
    code: Mapping[str, str],
    dataset: str,
    analysis_code: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """{'analysis/wagon': version} for the wagons enabled on ``dataset`` and their dependencies.

    ``code`` maps a wagon ('analysis/wagon') to the code hash it runs with; a wagon not in it
    runs its analysis's code in the catalog itself, ``analysis_code`` (analysis -> hash).
    """
    default = analysis_code or {}
    ds = catalog.datasets[dataset].model
    ds_key = ds.model_dump(mode="json", exclude=_NOT_DATASET)
    runlist = catalog.runlists.get(ds.runlist or "")
    rl_key = runlist.model.model_dump(mode="json", exclude={"description"}) if runlist else None
    base = _digest([ds_key, rl_key])
    out: dict[str, str] = {}

    def version(ref: str, stack: tuple[str, ...] = ()) -> str:
        if ref in out:
            return out[ref]
        entry = catalog.wagons.get(ref)
        if entry is None or ref in stack:  # validate reports these; keep the key stable
            return f"missing:{ref}"
        analysis = ref.split("/", 1)[0]
        deps = [catalog.resolve_ref(analysis, d) for d in entry.model.depends_on]
        declared = entry.model.model_dump(mode="json", exclude=_NOT_WAGON)
        out[ref] = _digest(
            [
                declared,
                code.get(ref, default.get(analysis, "")),
                base,
                [version(d, (*stack, ref)) for d in deps],
            ]
        )
        return out[ref]

    for ref in catalog.enabled_on(dataset):
        version(ref)
    return out


def test_versions(
    catalog: Catalog, code: Mapping[str, str], datasets: Iterable[str]
) -> dict[tuple[str, str], str]:
    """{(dataset, 'analysis/wagon'): version} of the wagons whose code comes from the catalog
    itself (``code``: analysis -> its code hash); wagons of a tag or pull request are left out."""
    from controller.catalog.models import CodeFromComposition

    out: dict[tuple[str, str], str] = {}
    for dataset in datasets:
        if dataset not in catalog.datasets:
            continue
        own = {ref: code.get(ref.split("/", 1)[0], "") for ref, entry in catalog.wagons.items()}
        for ref, version in wagon_versions(catalog, own, dataset).items():
            enabled = [e for e in catalog.wagons[ref].model.enabled if e.dataset == dataset]
            if all(isinstance(e.code, CodeFromComposition) for e in enabled):
                out[(dataset, ref)] = version
    return out
