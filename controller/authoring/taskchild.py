"""The child process that imports one analysis task for the analysts' commands.

Run in the sandbox as ``python -m controller.authoring.taskchild REQUEST`` by
``controller.authoring.taskinfo``; reports the task's configurables (name, default, type,
description) and, for each configuration asked about, the effective values or the errors.
Never imported by the parent.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from controller.catalog.tasks import import_task
from controller.errors import TaskError
from controller.imports import Reporter


def main(request_path: str) -> None:
    reporter = Reporter(Path(request_path))
    req = reporter.request
    module = req["module"]
    if module in reporter.skip:
        reporter.end()
        return
    with reporter.importing(module):
        try:
            cls = import_task(Path(req["analysis_dir"]), req["task"])
        except TaskError as exc:
            reporter.result({"error": str(exc)})
            reporter.end()
            return
    fields: list[dict[str, Any]] = []
    for name, info in cls.Config.model_fields.items():
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        fields.append(
            {
                "name": name,
                "required": info.is_required(),
                "default": default,
                "type": getattr(info.annotation, "__name__", str(info.annotation)),
                "description": info.description or "",
            }
        )
    effective: dict[str, Any] = {}
    for label, config in req["configs"].items():
        try:
            effective[label] = {"config": cls.Config.model_validate(config).model_dump(mode="json")}
        except ValidationError as exc:
            effective[label] = {
                "errors": [
                    f"config.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                ]
            }
    reporter.result({"fields": fields, "effective": effective, "doc": (cls.__doc__ or "").strip()})
    reporter.end()


if __name__ == "__main__":
    main(sys.argv[1])
