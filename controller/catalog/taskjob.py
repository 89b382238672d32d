"""The child process of the task checks: imports the analyses' modules, checks each wagon.

Run by ``controller.catalog.taskcheck.check_tasks`` in the sandbox as
``python -m controller.catalog.taskjob REQUEST``; never imported by the parent.
"""

from __future__ import annotations

import sys
from pathlib import Path

from controller.catalog.loader import scan_catalog
from controller.catalog.taskcheck import task_results
from controller.imports import Reporter


def main(request_path: str) -> None:
    reporter = Reporter(Path(request_path))
    request = reporter.request
    root = request.get("repo_root")
    scan = scan_catalog(Path(request["catalog"]), Path(root) if root else None, tasks=False)
    task_results(scan.catalog, scan.keys, reporter)
    reporter.end()


if __name__ == "__main__":
    main(sys.argv[1])
