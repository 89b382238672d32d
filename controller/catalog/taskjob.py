"""The child process of the task checks: imports the analyses' modules, checks each wagon.

Run by ``controller.catalog.taskcheck.check_tasks`` in the sandbox as
``python -m controller.catalog.taskjob REQUEST``; never imported by the parent.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from controller.catalog.taskcheck import task_results
from controller.imports import Reporter


def main(request_path: str) -> None:
    reporter = Reporter(Path(request_path))
    catalog, keys = pickle.loads(Path(reporter.request["pickled"]).read_bytes())
    task_results(catalog, keys, reporter)
    reporter.end()


if __name__ == "__main__":
    main(sys.argv[1])
