"""Grid backends behind one small protocol; ``backend_for`` picks one by name."""

from __future__ import annotations

from pathlib import Path

from controller.errors import GridError
from controller.grid.base import Backend


def backend_for(name: str, state_dir: Path) -> Backend:
    """The backend called ``name`` keeping its state under ``state_dir``."""
    if name == "local":
        from controller.grid.local import LocalBackend

        return LocalBackend(state_dir)
    if name == "slurm":
        from controller.grid.slurm import SlurmBackend

        return SlurmBackend(state_dir)
    raise GridError(f"unknown grid backend '{name}'; known: local, slurm")
