"""Grid backends behind one small protocol; ``backend_for`` picks one by name."""

from __future__ import annotations

from pathlib import Path

from controller.config import Config
from controller.errors import GridError
from controller.grid.base import Backend


def backend_for(name: str, state_dir: Path, config: Config | None = None) -> Backend:
    """The backend called ``name`` keeping its state under ``state_dir``."""
    grid = (config or Config()).grid
    if name == "local":
        from controller.grid.local import LocalBackend

        sites = {name: site.slots for name, site in grid.local.sites.items()}
        return LocalBackend(state_dir, slots=grid.local.slots, sites=sites or None)
    if name == "slurm":
        from controller.grid.slurm import SlurmBackend

        return SlurmBackend(
            state_dir, partition=grid.slurm.partition, site_features=grid.slurm.site_features
        )
    raise GridError(f"unknown grid backend '{name}'; known: local, slurm")
