"""What a task declares, asked of the analysts' code in the sandboxed child (``taskchild``):
its configurables with defaults and descriptions, and the effective configuration of a wagon
and of each variant. Adapter: a child process, like the task checks of ``validate``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller.catalog.taskcheck import import_timeout
from controller.errors import WagonyardError
from controller.imports import run_child


@dataclass(frozen=True)
class Configurable:
    name: str
    required: bool
    default: Any
    type: str
    description: str


@dataclass(frozen=True)
class TaskInfo:
    task: str
    doc: str
    fields: tuple[Configurable, ...]
    effective: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> values
    errors: dict[str, list[str]] = field(default_factory=dict)  # label -> problems


def task_info(analysis_dir: Path, task: str, configs: dict[str, dict[str, Any]]) -> TaskInfo:
    """Import ``task`` (``module:Class``) of the analysis in the sandbox; validate ``configs``
    (label -> values) against its ``Config``."""
    module = f"{analysis_dir.name}/{task.partition(':')[0].replace('.', '/')}.py"
    request = {
        "analysis_dir": str(analysis_dir.resolve()),
        "task": task,
        "module": module,
        "configs": configs,
    }
    with tempfile.TemporaryDirectory(prefix="wagonyard-taskinfo-") as tmp:
        run = run_child("controller.authoring.taskchild", request, Path(tmp), import_timeout())
    if module in run.failed:
        raise WagonyardError(
            f"cannot import task '{task}': importing {module} {run.failed[module]}"
        )
    if not run.results:
        raise WagonyardError(
            f"the task '{task}' could not be described (no answer from its import)"
        )
    line = run.results[0]
    if "error" in line:
        raise WagonyardError(line["error"])
    fields = tuple(Configurable(**f) for f in line["fields"])
    effective = {k: v["config"] for k, v in line["effective"].items() if "config" in v}
    errors = {k: v["errors"] for k, v in line["effective"].items() if "errors" in v}
    return TaskInfo(task, line["doc"], fields, effective, errors)
