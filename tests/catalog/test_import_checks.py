"""Analysts' modules are imported in a sandboxed child with a time limit: one that hangs,
exits or crashes at import is an error naming its file, and the others are still checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MODULES = {
    "hangs": "import time\ntime.sleep(600)\n",
    "exits": "import os\nos._exit(0)\n",
    "crashes": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    "sysexit": "import sys\nsys.exit(4)\n",
    "writes": (
        "for target in ('planted.py', __file__ + '.bak'):\n"
        "    try:\n"
        "        open(target, 'w').write('x = 1')\n"
        "    except OSError:\n"
        "        pass\n"
    ),
}


def add_module(catalog: Path, name: str, code: str) -> None:
    zmumu = catalog / "analyses" / "zmumu"
    (zmumu / f"{name}_tasks.py").write_text(code + "from .tasks import *  # noqa\n")
    (zmumu / "wagons" / f"{name}.yaml").write_text(
        f"name: {name}\ntask: {name}_tasks:MuonKinematics\nconfig: {{bogus: 1}}\n"
    )


@pytest.mark.parametrize(
    ("module", "why"),
    [
        ("hangs", "did not finish in 3 s (killed)"),
        ("exits", "ended the process (exit code 0)"),
        ("crashes", "ended the process: killed by signal SIGSEGV"),
    ],
)
def test_a_module_that_hangs_exits_or_crashes_is_named_and_the_rest_is_checked(
    catalog_copy: Path, module: str, why: str
) -> None:
    add_module(catalog_copy, module, MODULES[module])
    add_module(catalog_copy, "typo", "")  # a normal module with a config error, checked after
    env = {**os.environ, "WAGONYARD_IMPORT_TIMEOUT": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "controller", "validate", str(catalog_copy)],
        capture_output=True, text=True, timeout=300, env=env, cwd=catalog_copy.parent,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    wagon = f"catalog/analyses/zmumu/wagons/{module}.yaml:2:7: task: cannot import task "
    expected = f"{wagon}'{module}_tasks:MuonKinematics': importing catalog/analyses/zmumu/{module}_tasks.py {why}"
    assert expected in done.stdout, done.stdout
    assert (
        "wagons/typo.yaml:3:10: config.bogus: task MuonKinematics has no configurable 'bogus'"
        in done.stdout
    )


def test_sys_exit_at_import_and_files_written_at_import(catalog_copy: Path, tmp_path: Path) -> None:
    add_module(catalog_copy, "sysexit", MODULES["sysexit"])
    add_module(catalog_copy, "writes", MODULES["writes"])
    caller = tmp_path / "caller"
    caller.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "controller", "validate", str(catalog_copy)],
        capture_output=True, text=True, timeout=300, cwd=caller, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 1
    assert "importing task 'sysexit_tasks:MuonKinematics' called sys.exit(4)" in done.stdout
    assert "wagons/writes.yaml:3:10: config.bogus" in done.stdout  # it imported, and was checked
    assert list(caller.iterdir()) == []
    assert not (catalog_copy / "analyses" / "zmumu" / "writes_tasks.py.bak").exists()
