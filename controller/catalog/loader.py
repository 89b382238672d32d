"""Read a catalog folder into a ``Catalog``, collecting every problem on the way.

A file's kind is decided by its folder: ``analyses/<a>/analysis.yaml``,
``analyses/<a>/wagons/*.yaml``, ``datasets/**/*.yaml``, ``runlists/**/*.yaml`` and the train
requests ``trains/**/*.yaml`` (a catalog without trains/ has none). Each file
is parsed (``yamlsource``), validated by its model, then the whole catalog is checked
(``checks``) and every wagon's task imported and its configuration validated (``taskcheck``).
Adapter: this module reads files; it never writes any.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from controller.catalog.catalog import Catalog, Entry, Positions
from controller.catalog.checks import check_catalog, duplicate_names, storage_elements
from controller.catalog.modelerrors import model_problems
from controller.catalog.models import (
    KINDS,
    Analysis,
    Dataset,
    RunList,
    TrainRequest,
    Wagon,
)
from controller.catalog.problems import Problem
from controller.catalog.yamlsource import (
    MAX_BYTES,
    Document,
    parse_yaml,
    too_big,
)
from controller.errors import CatalogError, WagonyardError
from controller.gcpause import no_cycle_collection

_SCHEMA_COMMENT = "# yaml-language-server: $schema="
_SCHEMA_COMMENT_BYTES = _SCHEMA_COMMENT.encode()


@dataclass(frozen=True)
class CatalogFile:
    """One catalog file found by its folder: where it is and what it must hold."""

    path: str
    """The file system path (a plain string: catalogs have thousands of files)."""
    rel: str
    kind: str
    name: str
    analysis: str = ""


@dataclass
class Scan:
    """What loading a catalog found: the valid entries, every problem and the files read."""

    catalog: Catalog
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    keys: dict[str, Positions] = field(default_factory=dict)
    """Where each mapping key starts, by file: for problems about a key rather than a value."""


def load_catalog(catalog_dir: Path, repo_root: Path | None = None) -> tuple[Catalog, list[Problem]]:
    """The catalog's valid entries and every problem, sorted by file and line."""
    scan = scan_catalog(catalog_dir, repo_root)
    return scan.catalog, scan.problems


def _storage_problems(catalog: Catalog, repo_root: Path) -> list[Problem]:
    """Storage elements the datasets name against the repository's wagonyard.yaml (a broken
    wagonyard.yaml is not the catalog's problem: the commands reading it say what is wrong)."""
    from controller.config import load_config

    try:
        known = load_config(repo_root).storage.elements
    except WagonyardError:
        return []
    return storage_elements(catalog, known)


def load_valid_catalog(catalog_dir: Path, repo_root: Path | None = None) -> Catalog:
    """The catalog; raise ``CatalogError`` with every problem if any is an error."""
    catalog, problems = load_catalog(catalog_dir, repo_root)
    if any(p.severity == "error" for p in problems):
        raise CatalogError(problems)
    return catalog


def scan_catalog(catalog_dir: Path, repo_root: Path | None = None, *, tasks: bool = True) -> Scan:
    """Load and check everything; ``tasks=False`` skips importing the wagons' tasks."""
    if not catalog_dir.is_dir():
        what = "is not a folder" if catalog_dir.exists() else "does not exist"
        raise WagonyardError(
            f"catalog folder '{catalog_dir}' {what}: give the folder holding analyses/, "
            "datasets/ and runlists/"
        )
    if not any((catalog_dir / sub).is_dir() for sub in ("analyses", "datasets", "runlists")):
        raise WagonyardError(
            f"'{catalog_dir}' has none of analyses/, datasets/, runlists/: is it a catalog folder?"
        )
    prefix = _relative(catalog_dir, repo_root or catalog_dir.parent)
    scan = Scan(Catalog(root=catalog_dir))
    found = _Finder(catalog_dir, prefix, scan.problems)
    files = list(found.files())
    scan.files.extend(sorted({f.rel for f in files} | found.other_files))
    entries: dict[str, list[Entry[Any]]] = {kind: [] for kind in KINDS}
    broken: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind, name in found.unread:
        broken[kind].add(name)
    with no_cycle_collection():
        for file in files:
            entry = _load_file(file, scan, prefix)
            if entry is not None:
                entries[file.kind].append(entry)
            else:
                broken[file.kind].add(
                    f"{file.analysis}/{file.name}" if file.kind == "wagon" else file.name
                )
        _fill(scan, files, entries)
        scan.problems.extend(check_catalog(scan.catalog, broken))
        scan.problems.extend(_storage_problems(scan.catalog, repo_root or catalog_dir.parent))
    if tasks:
        from controller.catalog.taskcheck import check_tasks  # imports analysts' code

        scan.problems.extend(check_tasks(scan.catalog, scan.keys))
    scan.problems.sort()
    return scan


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()


# --------------------------------------------------------------------------- finding files

_FOLDERS = {"dataset": "datasets", "runlist": "runlists", "train-request": "trains"}
"""The folder of each kind found by ``_Finder.tree``, under the catalog folder."""
_DESTINATION = {
    "analysis": "{catalog}/analyses/<analysis>/analysis.yaml",
    "wagon": "{catalog}/analyses/<analysis>/wagons/",
    **{kind: f"{{catalog}}/{folder}/" for kind, folder in _FOLDERS.items()},
}
_PLURAL = {
    "analysis": "analyses",
    "wagon": "wagons",
    "dataset": "datasets",
    "runlist": "run lists",
    "train-request": "train requests",
}
_TOP = ("analyses", *_FOLDERS.values())
_TOP_TEXT = "analyses/, datasets/, runlists/ and trains/"


class _Finder:
    """Walks the catalog folder: yields the files of each kind, reports misplaced ones."""

    def __init__(self, root: Path, prefix: str, problems: list[Problem]) -> None:
        self.root = root
        self.prefix = prefix
        self.problems = problems
        self.other_files: set[str] = set()
        self.unread: list[tuple[str, str]] = []
        """(kind, name) of files not read for their extension: not 'unknown' elsewhere."""

    def files(self) -> Iterator[CatalogFile]:
        for entry in _listing(self.root):
            rel = f"{self.prefix}/{entry.name}"
            if entry.is_dir():
                if entry.name not in _TOP:
                    self.stray_folder(Path(entry.path), rel)
            elif _is_yamlish(entry.name):
                self.stray(
                    Path(entry.path),
                    rel,
                    f"{self.prefix}/ holds only the folders {_TOP_TEXT}",
                )
        yield from self.analyses()
        for kind, folder in _FOLDERS.items():
            yield from self.tree(self.root / folder, f"{self.prefix}/{folder}", kind)

    def analyses(self) -> Iterator[CatalogFile]:
        base = self.root / "analyses"
        for entry in _listing(base):
            rel = f"{self.prefix}/analyses/{entry.name}"
            if not entry.is_dir():
                if _is_yamlish(entry.name):
                    self.stray(
                        Path(entry.path),
                        rel,
                        f"{self.prefix}/analyses/ holds one folder per analysis",
                    )
                continue
            folder = Path(entry.path)
            has_analysis = False
            for item in _listing(folder):
                if item.is_dir():
                    continue
                stem, ext = _split(item.name)
                if stem == "analysis" and ext == ".yaml":
                    has_analysis = True
                    yield CatalogFile(
                        item.path, f"{rel}/{item.name}", "analysis", entry.name, entry.name
                    )
                elif stem == "analysis" and ext in (".yml", ".json"):
                    has_analysis = True
                    self.misnamed(f"{rel}/{item.name}", "analysis.yaml", "analysis", entry.name)
                elif ext == ".yaml":
                    self.stray(
                        Path(item.path),
                        f"{rel}/{item.name}",
                        f"{rel}/ holds analysis.yaml, wagons/ and the task code",
                        entry.name,
                        only_if_kind=True,
                    )
            if not has_analysis:
                self.problems.append(
                    Problem(
                        f"{rel}/",
                        0,
                        0,
                        "analysis folder without analysis.yaml",
                        hint=f"add {rel}/analysis.yaml with name: {entry.name}, title, group "
                        "and members",
                    )
                )
            yield from self.wagons(folder / "wagons", f"{rel}/wagons", entry.name)

    def wagons(self, folder: Path, rel: str, analysis: str) -> Iterator[CatalogFile]:
        for item in _listing(folder):
            if item.is_dir():
                self.stray_folder(Path(item.path), f"{rel}/{item.name}")
                continue
            stem, ext = _split(item.name)
            if ext == ".yaml":
                yield CatalogFile(item.path, f"{rel}/{item.name}", "wagon", stem, analysis)
            elif ext in (".yml", ".json"):
                self.misnamed(f"{rel}/{item.name}", f"{stem}.yaml", "wagon", f"{analysis}/{stem}")

    def tree(self, folder: Path, rel: str, kind: str) -> Iterator[CatalogFile]:
        """Files of one kind in ``folder`` and its subfolders, sorted."""
        for item in _listing(folder):
            if item.is_dir():
                yield from self.tree(Path(item.path), f"{rel}/{item.name}", kind)
                continue
            stem, ext = _split(item.name)
            if ext == ".yaml":
                yield CatalogFile(item.path, f"{rel}/{item.name}", kind, stem)
            elif ext in (".yml", ".json"):
                self.misnamed(f"{rel}/{item.name}", f"{stem}.yaml", kind, stem)

    def misnamed(self, rel: str, right: str, kind: str, name: str) -> None:
        self.other_files.add(rel)
        self.unread.append((kind, name))
        self.problems.append(
            Problem(
                rel,
                0,
                0,
                "catalog files end in '.yaml'; this one is not read",
                hint=f"rename it to {right}",
            )
        )

    def stray_folder(self, folder: Path, rel: str) -> None:
        """A folder where none belongs: a problem if it holds YAML files."""
        if any(_is_yamlish(p.name) for p in folder.rglob("*")):
            self.problems.append(
                Problem(
                    f"{rel}/",
                    0,
                    0,
                    "unexpected folder; its files are not read",
                    hint="the catalog holds analyses/<analysis>/analysis.yaml, "
                    "analyses/<analysis>/wagons/*.yaml, datasets/, runlists/ and trains/",
                )
            )

    def stray(
        self, path: Path, rel: str, holds: str, analysis: str = "", only_if_kind: bool = False
    ) -> None:
        """A YAML file outside the kind folders: say where it belongs if it is a catalog file."""
        parsed = _read(path, rel)
        kind = _looks_like(parsed.data) if isinstance(parsed, Document) else None
        if kind is None and only_if_kind:
            return
        self.other_files.add(rel)
        if kind is None:
            problem = Problem(rel, 0, 0, f"unexpected file; {holds}", hint="move or delete it")
        else:
            where = _DESTINATION[kind].format(catalog=self.prefix)
            if analysis:
                where = where.replace("<analysis>", analysis)
            message = f"this looks like {_a(kind)} file; {holds}"
            problem = Problem(rel, 0, 0, message, hint=f"move it to {where}")
        self.problems.append(problem)


def _listing(folder: Path) -> list[os.DirEntry[str]]:
    """The folder's entries sorted by name, without hidden ones and caches; none if absent."""
    try:
        with os.scandir(folder) as it:
            items = [e for e in it if not e.name.startswith(".") and e.name != "__pycache__"]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(items, key=lambda e: e.name)


def _split(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, "." + ext.lower()) if dot else (name, "")


def _is_yamlish(name: str) -> bool:
    return _split(name)[1] in (".yaml", ".yml", ".json")


def _a(kind: str) -> str:
    label = {"runlist": "run list", "train-request": "train request"}.get(kind, kind)
    return ("an " if label[0] in "aeiou" else "a ") + label


# --------------------------------------------------------------------------- one file


def _read_bytes(path: str | Path, rel: str) -> bytes | Problem:
    """The file's bytes, unless it is over ``MAX_BYTES`` (checked before reading)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_BYTES:
                return too_big(rel, size)
            return f.read()
    except OSError as exc:
        return Problem(rel, 0, 0, f"cannot read the file: {exc.strerror}")


def _read(path: str | Path, rel: str) -> Document | list[Problem]:
    data = _read_bytes(path, rel)
    return [data] if isinstance(data, Problem) else parse_yaml(data, rel)


def _looks_like(data: dict[str, Any]) -> str | None:
    """The kind a file's fields suggest, if any."""
    kind = data.get("kind")
    if isinstance(kind, str) and kind in KINDS:
        return kind
    if "task" in data:
        return "wagon"
    if "action" in data:
        return "train-request"
    if "runs" in data:
        return "runlist"
    if "files" in data or "tree" in data:
        return "dataset"
    if "members" in data:
        return "analysis"
    return None


def _home(file: CatalogFile, prefix: str) -> str:
    """What the file's folder holds, e.g. 'catalog/datasets/ holds datasets'."""
    if file.kind == "analysis":
        return f"analysis.yaml holds the analysis {file.analysis}"
    if file.kind == "wagon":
        return f"{prefix}/analyses/{file.analysis}/wagons/ holds wagons"
    return f"{prefix}/{_FOLDERS[file.kind]}/ holds {_PLURAL[file.kind]}"


def _load_file(file: CatalogFile, scan: Scan, prefix: str) -> Entry[Any] | None:
    data = _read_bytes(file.path, file.rel)
    if isinstance(data, Problem):
        scan.problems.append(data)
        return None
    parsed = parse_yaml(data, file.rel)
    if isinstance(parsed, list):
        scan.problems.extend(parsed)
        return None
    fields, positions, keys = parsed.data, parsed.positions, parsed.keys
    scan.keys[file.rel] = keys
    looks = _looks_like(fields)
    if looks is not None and looks != file.kind:
        line, column = keys.get(("kind",), positions[()])
        scan.problems.append(
            Problem(
                file.rel,
                line,
                column,
                f"this looks like {_a(looks)} file; {_home(file, prefix)}",
                hint=f"move it to {_DESTINATION[looks].format(catalog=prefix)}",
            )
        )
        return None
    model: type[BaseModel] = KINDS[file.kind]
    try:
        value = model.model_validate(fields)
    except ValidationError as exc:
        scan.problems.extend(model_problems(exc.errors(), model, fields, file.rel, positions, keys))
        return None
    name = getattr(value, "name", "")
    if name != file.name:
        line, column = positions.get(("name",), (1, 1))
        if file.kind == "analysis":
            message = f"'{name}' differs from the folder name '{file.analysis}'"
            hint = f"rename the folder to {name}/ or set name: {file.analysis}"
        else:
            message = f"'{name}' differs from the file name '{file.name}.yaml'"
            hint = f"rename the file to {name}.yaml or set name: {file.name}"
        scan.problems.append(Problem(file.rel, line, column, message, "name", hint))
        return None
    _check_schema_comment(file, data, scan)
    return Entry(value, file.rel, positions)


def _check_schema_comment(file: CatalogFile, data: bytes, scan: Scan) -> None:
    """Warn when the editor's ``$schema`` comment names another kind's schema."""
    if not data.startswith(_SCHEMA_COMMENT_BYTES):
        return
    first = data[:512].split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    if not first.startswith(_SCHEMA_COMMENT):
        return
    target = first[len(_SCHEMA_COMMENT) :].strip()
    wanted = f"{file.kind}.schema.json"
    if not target.endswith("/" + wanted) and target != wanted:
        depth = file.rel.count("/")
        scan.problems.append(
            Problem(
                file.rel,
                1,
                1,
                f"the $schema comment points to '{target}', not to the {file.kind} schema",
                hint=f"use '{_SCHEMA_COMMENT}{'../' * depth}schema/{wanted}'",
                severity="warning",
            )
        )


def _fill(scan: Scan, files: list[CatalogFile], entries: dict[str, list[Entry[Any]]]) -> None:
    """Put the valid entries into the catalog, reporting names declared twice."""
    catalog = scan.catalog
    analysis_of = {f.rel: f.analysis for f in files}
    for kind in _FOLDERS:
        scan.problems.extend(duplicate_names(kind, entries[kind]))
    for entry in entries["analysis"]:
        assert isinstance(entry.model, Analysis)
        catalog.analyses.setdefault(entry.model.name, entry)
    for entry in entries["wagon"]:
        assert isinstance(entry.model, Wagon)
        catalog.wagons.setdefault(f"{analysis_of[entry.path]}/{entry.model.name}", entry)
    for entry in entries["dataset"]:
        assert isinstance(entry.model, Dataset)
        catalog.datasets.setdefault(entry.model.name, entry)
    for entry in entries["runlist"]:
        assert isinstance(entry.model, RunList)
        catalog.runlists.setdefault(entry.model.name, entry)
    for entry in entries["train-request"]:
        assert isinstance(entry.model, TrainRequest)
        catalog.trains.setdefault(entry.model.name, entry)
