"""Shared fixtures: a scratch copy of the example catalog, and the CLI run in this process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from controller.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CATALOG = REPO / "catalog"
SCHEMA_DIR = REPO / "schema"


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A copy of the example catalog as ``tmp_path/catalog``, with ``schema/`` beside it."""
    target = tmp_path / "catalog"
    shutil.copytree(EXAMPLE_CATALOG, target, ignore=shutil.ignore_patterns("__pycache__"))
    if SCHEMA_DIR.is_dir():
        shutil.copytree(SCHEMA_DIR, tmp_path / "schema")
    return target


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture
def wagonyard(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``wagonyard ARGS...`` in this process through the real entry point."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
