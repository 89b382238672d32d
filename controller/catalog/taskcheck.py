"""Check each wagon against its task: it imports, its config fits, its columns can be had.

Keys of ``config`` the task does not declare are errors at the key; values (and each variant's
merged values) are validated by the task's ``Config`` model. A task from an installed package
must be pinned with ``package:``. Adapter: imports analysts' code through
``controller.catalog.tasks``, each (analysis folder, task) once.
"""

from __future__ import annotations

import importlib.metadata
import os
import pickle
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from controller.catalog.branches import dataset_branches
from controller.catalog.catalog import Catalog, Entry, Positions
from controller.catalog.checks import did_you_mean
from controller.catalog.columns import Declared, check_columns
from controller.catalog.modelerrors import model_problems
from controller.catalog.models import Wagon
from controller.catalog.problems import Problem
from controller.catalog.tasks import ROOT_PACKAGE, import_task
from controller.catalog.yamlsource import json_path
from controller.engine.task import Task
from controller.errors import TaskError, WagonyardError
from controller.imports import DEFAULT_TIMEOUT_S, Reporter, run_child


def check_tasks(catalog: Catalog, keys: Mapping[str, Positions] | None = None) -> list[Problem]:
    """Problems of every wagon's task, config and columns.

    The tasks are imported and checked in a sandboxed child process (``taskjob``), each module
    under a time limit: a module that hangs, exits or crashes at import is a problem at the
    ``task`` of every wagon using it, and the other wagons are still checked.
    """
    if not catalog.wagons:
        return []
    with tempfile.TemporaryDirectory(prefix="wagonyard-taskcheck-") as tmp:
        # the child gets the catalog as loaded here (parsing thousands of files twice costs)
        blob = Path(tmp) / "catalog.pickle"
        blob.write_bytes(pickle.dumps((replace(catalog, root=catalog.root.resolve()), keys or {})))
        request = {"pickled": str(blob)}
        run = run_child("controller.catalog.taskjob", request, Path(tmp), import_timeout())
    problems: list[Problem] = []
    declared: dict[str, Declared] = {}
    for line in run.results:
        entry = catalog.wagons.get(str(line.get("ref")))
        if entry is None:
            continue
        for p in line["problems"]:
            problems.append(Problem(**{**p, "path": entry.path}))
        if line.get("declared") is not None:
            columns, produces = line["declared"]
            declared[line["ref"]] = Declared(tuple(columns), tuple(produces))
    for entry in catalog.wagons.values():
        module = module_file(entry)
        if module in run.failed:
            message = (
                f"cannot import task '{entry.model.task}': importing {module} {run.failed[module]}"
            )
            hint = "a module must import quickly, without exiting or starting work"
            problems.append(_at(entry, ("task",), message, hint))
    if declared:
        problems.extend(check_columns(catalog, declared, dataset_branches(catalog)))
    return problems


def import_timeout() -> float:
    """Seconds one module may take to import: $WAGONYARD_IMPORT_TIMEOUT, else 60."""
    raw = os.environ.get("WAGONYARD_IMPORT_TIMEOUT", "")
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError as exc:
        raise WagonyardError(
            f"WAGONYARD_IMPORT_TIMEOUT={raw!r} is not a number of seconds"
        ) from exc


def module_file(entry: Entry[Wagon]) -> str:
    """The file of a wagon's task module, as the import checks name it."""
    folder = entry.path.rsplit("/wagons/", 1)[0]
    module = entry.model.task.partition(":")[0]
    return f"{folder}/{module.replace('.', '/')}.py"


def task_results(catalog: Catalog, keys: Mapping[str, Positions], reporter: Reporter) -> None:
    """The child's work: import each module once (announced), check each wagon against it."""
    imported: dict[tuple[Path, str], type[Task] | TaskError] = {}
    for ref, entry in sorted(catalog.wagons.items()):
        module = module_file(entry)
        if module in reporter.skip:
            continue
        folder, spec = catalog.analysis_dir(ref.split("/", 1)[0]), entry.model.task
        if (folder, spec) not in imported:
            with reporter.importing(module):
                imported[folder, spec] = _import(folder, spec)
        task = imported[folder, spec]
        if isinstance(task, TaskError):
            found = [_at(entry, ("task",), str(task), _import_hint(str(task)))]
            reporter.result({"ref": ref, "problems": [p.to_json() for p in found]})
            continue
        found = _check_package(entry, task)
        found.extend(_check_config(entry, task, keys.get(entry.path, {})))
        declared = [list(task.columns), list(task.produces)]
        reporter.result(
            {"ref": ref, "problems": [p.to_json() for p in found], "declared": declared}
        )


def _import(folder: Path, spec: str) -> type[Task] | TaskError:
    try:
        return import_task(folder, spec)
    except TaskError as exc:
        return exc
    except SystemExit as exc:  # analysts' module code may call sys.exit()
        return TaskError(f"importing task '{spec}' called sys.exit({exc.code})")
    except BaseException as exc:  # KeyboardInterrupt and the like, raised by the module
        return TaskError(f"importing task '{spec}' raised {type(exc).__name__}: {exc}")


def _import_hint(message: str) -> str:
    if "not a subclass" in message:
        return "derive the class from controller.engine.task.Task"
    if "has no class" in message or "no module" in message:
        return "check the spelling of 'module:Class'"
    return "fix the task's module so it imports"


def _at(entry: Entry[Wagon], path: tuple[str | int, ...], message: str, hint: str = "") -> Problem:
    line, column = entry.where(*path)
    return Problem(entry.path, line, column, message, json_path(path), hint)


def _check_package(entry: Entry[Wagon], task: type[Task]) -> list[Problem]:
    module = task.__module__
    if module.startswith(ROOT_PACKAGE + ".") or entry.model.package is not None:
        return []
    pin = _pin_for(module.split(".", 1)[0])
    return [
        _at(
            entry,
            ("task",),
            f"task '{entry.model.task}' comes from the installed module '{module}', not from "
            "the analysis folder, and its package is not pinned",
            f"add 'package: {pin}'" if pin else "add 'package: <name>==<version>'",
        )
    ]


@cache
def _pin_for(top_module: str) -> str:
    """'name==version' of the distribution installing ``top_module``, or ''."""
    for name in importlib.metadata.packages_distributions().get(top_module, []):
        try:
            return f"{name}=={importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return ""


def _check_config(entry: Entry[Wagon], task: type[Task], keys: Positions) -> list[Problem]:
    config_model: Any = getattr(task, "Config", None)
    if not (isinstance(config_model, type) and issubclass(config_model, BaseModel)):
        return [
            _at(
                entry,
                ("task",),
                f"task '{entry.model.task}': its Config is not a pydantic model",
                "make Config a subclass of controller.engine.task.TaskConfig",
            )
        ]
    declared = [info.alias or name for name, info in config_model.model_fields.items()]
    wagon = entry.model
    problems = []
    for key in wagon.config:
        if key not in declared:
            line, column = keys.get(("config", key), entry.where("config", key))
            hint = did_you_mean(key, declared) or (
                f"its configurables: {', '.join(declared)}" if declared else "it has none"
            )
            message = f"task {task.__name__} has no configurable '{key}'"
            where = json_path(("config", key))
            problems.append(Problem(entry.path, line, column, message, where, hint))
    known = {k: v for k, v in wagon.config.items() if k in declared}
    errors = _validate(config_model, known)
    problems.extend(_problems(entry, config_model, known, errors, ("config",), keys))
    whole_config_failed = any(not e["loc"] for e in errors)
    for variant, overrides in wagon.variants.items():
        changed = {k: v for k, v in overrides.items() if k in declared}
        merged = {**known, **changed}
        # errors the config has without the variant's changes are reported once, for config
        errors = [
            e
            for e in _validate(config_model, merged)
            if (e["loc"] and e["loc"][0] in changed) or (not e["loc"] and not whole_config_failed)
        ]
        problems.extend(_problems(entry, config_model, merged, errors, ("variants", variant), keys))
    return problems


def _validate(model: type[BaseModel], data: dict[str, Any]) -> list[ErrorDetails]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return exc.errors()
    except Exception as exc:  # analysts' validators may raise anything
        message = f"the task's Config raised {type(exc).__name__}: {exc}"
        return [ErrorDetails(type="value_error", loc=(), msg=message, input=data)]
    return []


def _problems(
    entry: Entry[Wagon],
    model: type[BaseModel],
    data: dict[str, Any],
    errors: list[ErrorDetails],
    prefix: tuple[str | int, ...],
    keys: Positions,
) -> list[Problem]:
    if not errors:
        return []
    return model_problems(errors, model, data, entry.path, entry.positions, keys, prefix)
