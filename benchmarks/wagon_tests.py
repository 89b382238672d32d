"""The cost of the sandbox: 'wagonyard test' on the example catalog, side by side.

Runs ``wagonyard test --dataset cms-2010-dimuon --dataset hzz-mc`` (5 wagons, 2 datasets,
14 test processes and 2 import checks), in rounds that take turns: with the bubblewrap
sandbox, with the process-level measures only (``WAGONYARD_SANDBOX=process``), and, with
``--before REV``, the code of an earlier revision (a git worktree), the same command. Prints
the median wall time of each and the sandbox's cost per test process.

    python3 benchmarks/wagon_tests.py [--repeat 5] [--before REV]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMAND = ["test", "--dataset", "cms-2010-dimuon", "--dataset", "hzz-mc"]


def timed(code_dir: Path, env: dict[str, str], work: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "controller", *COMMAND, "--catalog", str(code_dir / "catalog"),
         "--work", str(work)],
        cwd=code_dir, env={**env, "PYTHONPATH": str(code_dir)}, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"wagonyard test failed in {code_dir}:\n{done.stdout}\n{done.stderr}")
    return wall


def processes(work: Path) -> int:
    """Test processes of the last run: one log each (the import checks keep theirs too)."""
    runs = sorted(work.glob("test-*"), key=lambda p: p.stat().st_mtime)
    return sum(1 for _ in runs[-1].rglob("log")) if runs else 0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--before", help="an earlier revision to time the same command with")
    args = p.parse_args()
    base = dict(os.environ)
    variants: dict[str, tuple[Path, dict[str, str]]] = {
        "sandbox (bubblewrap)": (REPO, base),
        "process-level only": (REPO, {**base, "WAGONYARD_SANDBOX": "process"}),
    }
    with tempfile.TemporaryDirectory(prefix="wagonyard-bench-tests-") as tmp:
        if args.before:
            tree = Path(tmp) / "before"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree),
                            args.before], check=True, capture_output=True)  # fmt: skip
            variants[f"before ({args.before})"] = (tree, base)
        try:
            walls: dict[str, list[float]] = {name: [] for name in variants}
            for _ in range(args.repeat):
                for name, (code, env) in variants.items():
                    walls[name].append(timed(code, env, Path(tmp) / "work" / name[:7]))
            count = processes(Path(tmp) / "work" / "sandbox")
        finally:
            if args.before:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(Path(tmp) / "before")], check=False)  # fmt: skip
    medians = {name: statistics.median(w) for name, w in walls.items()}
    for name, m in medians.items():
        spread = f"{min(walls[name]):.2f}-{max(walls[name]):.2f}"
        print(f"{name:<32} median {m:6.2f} s  (range {spread} s, {args.repeat} runs)")
    cost = medians["sandbox (bubblewrap)"] - medians["process-level only"]
    print(f"processes per run (test jobs and import checks): {count}")
    per = cost / count if count else float("nan")
    print(f"the sandbox's cost: {cost:+.2f} s a run, {per * 1000:+.0f} ms per process")
    print(f"{'PASS' if per < 0.5 else 'FAIL'}  sandbox cost per test process < 0.5 s")


if __name__ == "__main__":
    main()
