"""Import a wagon's task class from its analysis folder or from an installed package.

An analysis folder is mounted as the package ``wagonyard_analyses.<name>_<hash>`` (the hash of
its absolute path, so that two catalogs in one process never mix), so its modules can import
each other relatively and its classes pickle. This module runs analysts' code: it is an
adapter, and the pure core never calls it.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import sys
import types
from pathlib import Path

from controller.engine.task import Task
from controller.errors import TaskError

ROOT_PACKAGE = "wagonyard_analyses"


def _mount(analysis_dir: Path) -> str:
    """Register the analysis folder as a package and return its dotted name."""
    resolved = analysis_dir.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
    name = f"{ROOT_PACKAGE}.{re.sub(r'[^a-z0-9_]', '_', resolved.name)}_{digest}"
    if ROOT_PACKAGE not in sys.modules:
        root = types.ModuleType(ROOT_PACKAGE)
        root.__path__ = []
        sys.modules[ROOT_PACKAGE] = root
    if name not in sys.modules:
        pkg = types.ModuleType(name)
        pkg.__path__ = [str(resolved)]
        pkg.__file__ = None
        sys.modules[name] = pkg
    return name


def _local_module_exists(analysis_dir: Path, module: str) -> bool:
    base = analysis_dir.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def import_task(analysis_dir: Path, spec: str) -> type[Task]:
    """Import ``module:Class``; raise ``TaskError`` saying what failed and where."""
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise TaskError(f"task '{spec}' is not of the form 'module:Class'")
    if _local_module_exists(analysis_dir, module_name):
        dotted = f"{_mount(analysis_dir)}.{module_name}"
        where = f"{analysis_dir.name}/{module_name.replace('.', '/')}.py"
    else:
        dotted, where = module_name, f"installed module '{module_name}'"
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        raise TaskError(
            f"cannot import task '{spec}': no module '{exc.name}' in the analysis folder "
            f"{analysis_dir.name}/ nor installed"
        ) from exc
    except Exception as exc:  # analysts' code may raise anything at import
        raise TaskError(
            f"cannot import task '{spec}' from {where}: {type(exc).__name__}: {exc}"
        ) from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise TaskError(f"task '{spec}': {where} has no class '{class_name}'")
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise TaskError(
            f"task '{spec}': '{class_name}' in {where} is not a subclass of "
            "controller.engine.task.Task"
        )
    return cls
