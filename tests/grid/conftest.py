"""A real single-node Slurm for the tests, started by scripts/slurm-up.sh when it can be.

Where Slurm cannot start (no packages, not root) the Slurm tests skip with the reason; in CI
(CI=true) they fail instead, so that a missing install step never passes unseen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture(scope="session")
def slurm_conf() -> Iterator[str]:
    def unavailable(reason: str) -> None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Slurm is needed in CI but {reason}")
        pytest.skip(f"no Slurm here: {reason} (bash scripts/install.sh --test installs it)")

    if shutil.which("sbatch") is None or not Path("/usr/sbin/slurmctld").exists():
        unavailable("the Debian packages slurmctld, slurmd, slurm-client, munge are missing")
    if os.geteuid() != 0:
        unavailable("starting slurmctld and munged here needs root")
    state = os.environ.get("WAGONYARD_SLURM_DIR", "/tmp/wagonyard-slurm")
    done = subprocess.run(
        ["bash", str(SCRIPTS / "slurm-up.sh"), state], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        unavailable(f"slurm-up.sh failed: {done.stderr.strip()[-500:]}")
    conf = done.stdout.strip().rsplit("=", 1)[-1]
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = conf
    yield conf
    if previous is None:
        os.environ.pop("SLURM_CONF", None)
    else:
        os.environ["SLURM_CONF"] = previous
