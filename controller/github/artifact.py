"""The pull-request workflow's artifact, read as untrusted input.

It was written by a pull request's code, so it is validated before anything is posted: the
pull-request number must be a plain integer and the report must pass its JSON Schema
(``schema/wagon-test-report.schema.json``, generated from the model). Pure apart from reading
the one file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from pydantic import ValidationError

from controller.errors import UntrustedInputError
from controller.wagontest.report import TestReport

MAX_BYTES = 50_000_000
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")


def pull_request_number(text: str) -> int:
    """The pull-request number as the artifact gave it: digits only, nothing else."""
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        raise UntrustedInputError(
            f"the pull-request number {stripped[:40]!r} is not a positive integer: refused, "
            "nothing was posted"
        )
    return int(stripped)


def report_schema() -> dict[str, object]:
    from controller.catalog.schema import schemas

    data: dict[str, object] = json.loads(schemas()["wagon-test-report.schema.json"])
    return data


def read_report(path: Path) -> TestReport:
    """The report in ``path``, if it passes its schema; else an error naming the first problem."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UntrustedInputError(f"{path}: cannot read the report: {exc}") from exc
    if size > MAX_BYTES:
        raise UntrustedInputError(f"{path}: {size:,} bytes is too large for a report: refused")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UntrustedInputError(f"{path}: not JSON ({exc}): refused, nothing was posted") from exc
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(report_schema()).iter_errors(data)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise UntrustedInputError(
            f"{path}: {where}: {error.message[:300]}: the report fails "
            "schema/wagon-test-report.schema.json; refused, nothing was posted"
        )
    try:
        return TestReport.model_validate(data)
    except ValidationError as exc:
        raise UntrustedInputError(f"{path}: not a wagon-test report: {exc}") from exc
