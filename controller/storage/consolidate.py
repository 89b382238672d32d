"""Consolidate a dataset: copy its files onto one storage element so that a job reads several
of them (the seed paper's consolidation cut the number of jobs of much-used datasets by up to
90 %).

``plan`` is pure: the jobs the dataset needs before and after, and the copies to make.
``run_copies`` copies with ``xrdcp`` and verifies each copy (size, adler32); ``edited_text``
writes the dataset's new ``files`` (the target first, the old storage elements kept as
replicas) into its YAML, comments and order kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from controller.authoring.yamledit import dump, flow_list, load
from controller.catalog.models import Dataset, FileList
from controller.config import Storage, join_url
from controller.engine.split import InputFile, split_files
from controller.errors import StorageError, WagonyardError
from controller.records import Replica


@dataclass(frozen=True)
class Copy:
    group: int  # index in the dataset's files
    relative: str
    sources: list[str]  # the file's copies, its own storage element's first
    destination: str


@dataclass
class Plan:
    dataset: str
    target: str
    jobs_before: int
    jobs_after: int
    copies: list[Copy] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)  # the files entries that move


def plan(dataset: Dataset, files: list[InputFile], target: str, storage: Storage) -> Plan:
    """What consolidating ``dataset`` (its files as resolved, counted if it splits by events)
    onto ``target`` takes, and what it saves."""
    if target not in storage.elements:
        known = ", ".join(sorted(storage.elements)) or "none is configured"
        raise WagonyardError(
            f"--to {target}: not a storage element of wagonyard.yaml's storage.elements ({known})"
        )
    groups, copies = [], []
    by_group = _files_by_group(dataset, files)
    for index, spec in enumerate(dataset.files):
        if spec.storage_element == target:
            continue
        if not isinstance(spec, FileList) or spec.storage_element not in storage.elements:
            raise WagonyardError(
                f"dataset '{dataset.name}': files[{index}] is not a list of files on a storage "
                "element of wagonyard.yaml (storage_element naming one, relative paths): only "
                "such files can be copied; move the others by hand"
            )
        groups.append(index)
        for relative, f in zip(spec.paths, by_group[index], strict=True):
            copies.append(
                Copy(index, relative, f.urls(), join_url(storage.elements[target].url, relative))
            )
    site, base = storage.site_of(target), storage.elements[target].url
    after: list[InputFile] = []
    for index, group in by_group.items():
        spec = dataset.files[index]
        if index not in groups or not isinstance(spec, FileList):
            after.extend(group)
            continue
        for relative, f in zip(spec.paths, group, strict=True):
            old = Replica(storage_element=f.storage_element or "", site=f.site or "", url=f.path)
            kept = tuple(r for r in (old, *f.replicas) if r.storage_element != target)
            moved = replace(f, path=join_url(base, relative), storage_element=target, site=site)
            after.append(replace(moved, replicas=kept))
    return Plan(
        dataset=dataset.name,
        target=target,
        jobs_before=len(split_files(files, dataset.splitting)),
        jobs_after=len(split_files(after, dataset.splitting)),
        copies=copies,
        groups=groups,
    )


def _files_by_group(dataset: Dataset, files: list[InputFile]) -> dict[int, list[InputFile]]:
    """The resolved files of each entry of ``dataset.files`` (FileLists resolve one to one)."""
    out: dict[int, list[InputFile]] = {}
    position = 0
    for index, spec in enumerate(dataset.files):
        if not isinstance(spec, FileList):
            raise WagonyardError(
                f"dataset '{dataset.name}': files[{index}] is a pattern; consolidation needs "
                "explicit lists of files (paths)"
            )
        out[index] = files[position : position + len(spec.paths)]
        position += len(spec.paths)
    return out


def run_copies(
    copies: list[Copy],
    copy: Callable[[str, str], tuple[int, str]],
    exists: Callable[[str, str], bool],
    said: Callable[[str], None],
) -> int:
    """Copy every file not yet at its destination (verified by ``copy``): the bytes copied.
    A file is taken from its first copy that copies; if none does, the error names them all."""
    copied = 0
    for c in copies:
        if exists(c.sources[0], c.destination):
            said(f"  {c.relative}: already there, verified")
            continue
        failures = []
        for source in c.sources:
            try:
                size, checksum = copy(source, c.destination)
            except StorageError as exc:
                failures.append(str(exc))
                continue
            said(f"  {c.relative}: {size} bytes from {source}, adler32 {checksum} verified")
            copied += size
            break
        else:
            raise StorageError(
                f"{c.relative}: no copy could be copied to {c.destination}: " + "; ".join(failures)
            )
    return copied


def edited_text(text: str, where: str, p: Plan, dataset: Dataset) -> str:
    """The dataset's YAML with the moved files entries on ``p.target``, their old storage
    elements (and other replicas) kept as replicas."""
    data = load(text, where)
    for index in p.groups:
        spec = dataset.files[index]
        assert isinstance(spec, FileList)
        entry = data["files"][index]
        old = [spec.storage_element or "", *spec.replicas]
        entry["storage_element"] = p.target
        entry["replicas"] = flow_list([n for n in old if n != p.target])
    return dump(data)
