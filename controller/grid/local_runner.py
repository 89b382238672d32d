"""The detached wrapper of one local job: run its command, record the result, start the next.

Started by ``LocalBackend`` as ``python -m controller.grid.local_runner JOB_DIR`` in its own
session. It enforces the time limit and writes ``result.json`` atomically when the command
ends, then lets the backend start waiting jobs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from controller.grid.local import LocalBackend, _write_json


def main(job_dir: Path) -> int:
    request = json.loads((job_dir / "request.json").read_text())["request"]
    child = subprocess.Popen(request["command"], cwd=request["workdir"], stdin=subprocess.DEVNULL)

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    try:
        code = child.wait(timeout=request["time_limit_s"])
    except subprocess.TimeoutExpired:
        print(f"wagonyard: job exceeded its time limit of {request['time_limit_s']} s; killed")
        child.kill()
        child.wait()
        code = -int(signal.SIGKILL)
    sys.stdout.flush()
    _write_json(
        job_dir / "result.json", {"exit_code": code, "finished": datetime.now(UTC).isoformat()}
    )
    LocalBackend.resume(job_dir.parent.parent).query([])
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(Path(sys.argv[1])))
