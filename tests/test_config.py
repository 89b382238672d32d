"""wagonyard.yaml: defaults, the environment override, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.config import load_config
from controller.errors import WagonyardError

REPO = Path(__file__).resolve().parents[1]


def test_the_repository_settings_choose_the_local_grid_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("WAGONYARD_GRID", raising=False)
    assert load_config(REPO).backend() == "local"
    assert load_config(tmp_path).backend() == "local"  # no file: the defaults


def test_the_environment_overrides_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "wagonyard.yaml").write_text("grid:\n  backend: local\n")
    monkeypatch.setenv("WAGONYARD_GRID", "slurm")
    assert load_config(tmp_path).backend() == "slurm"
    monkeypatch.setenv("WAGONYARD_GRID", "condor")
    with pytest.raises(WagonyardError, match="WAGONYARD_GRID='condor' is not a grid backend"):
        load_config(tmp_path).backend()


def test_a_bad_file_names_itself_and_the_field(tmp_path: Path) -> None:
    (tmp_path / "wagonyard.yaml").write_text("grid:\n  backend: htcondor\n")
    with pytest.raises(WagonyardError, match=r"wagonyard\.yaml: grid\.backend"):
        load_config(tmp_path)
