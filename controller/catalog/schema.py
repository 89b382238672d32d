"""The JSON Schemas of the catalog files and of the validation report, from the pydantic models.

``schema/<kind>.schema.json`` is generated, never edited: ``write_schemas`` writes them and
``stale_schemas`` says which differ from the models (CI runs ``wagonyard schema --check``).
Output is deterministic: sorted keys, two-space indent, a final newline. Writes only the
schema folder it is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from controller.catalog.models import KINDS
from controller.catalog.problems import Problem
from controller.config import Config
from controller.records import TrainRecord
from controller.wagontest.report import TestReport

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:wagonyard:schema:"
"""Schemas are identified by name, not by a URL: they are used from the repository."""


class Counts(BaseModel):
    """Totals of a validation run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    errors: int = Field(ge=0)
    warnings: int = Field(ge=0)
    files_with_problems: int = Field(ge=0)
    analyses: int = Field(ge=0, description="Valid analyses.")
    wagons: int = Field(ge=0, description="Valid wagons.")
    datasets: int = Field(ge=0, description="Valid datasets.")
    runlists: int = Field(ge=0, description="Valid run lists.")
    train_requests: int = Field(ge=0, description="Valid train requests.")


class ValidationReport(BaseModel):
    """What 'wagonyard validate --format json' prints."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="wagonyard validation report")

    ok: bool = Field(description="True if there is no error (warnings do not count).")
    files_checked: int = Field(ge=0, description="Catalog files read.")
    problems: list[Problem] = Field(description="Every problem, sorted by file and line.")
    counts: Counts


def schemas() -> dict[str, str]:
    """File name -> the text of each schema."""
    models: dict[str, type[BaseModel]] = {
        **KINDS,
        "validation-report": ValidationReport,
        "train-record": TrainRecord,
        "config": Config,
        "wagon-test-report": TestReport,
    }
    out = {}
    for name, model in models.items():
        schema: dict[str, Any] = {
            "$schema": DRAFT,
            "$id": f"{ID_PREFIX}{name}",
            **model.model_json_schema(mode="validation"),
        }
        text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        out[f"{name}.schema.json"] = text
    return out


def write_schemas(schema_dir: Path) -> list[Path]:
    """Write every schema into ``schema_dir``; return the files whose content changed."""
    schema_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = schema_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale_schemas(schema_dir: Path) -> list[str]:
    """Names of the schema files missing from ``schema_dir`` or differing from the models."""
    stale = []
    for name, text in schemas().items():
        path = schema_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
