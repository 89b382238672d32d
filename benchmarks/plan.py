"""How long the reconciler takes to decide: the pure planner at scale, and a no-op pass.

1. ``controller.reconcile.planner.plan`` over a generated state: 10,000 wagons (in 100
   analyses) enabled on 1,000 datasets (10 each, with a cron schedule), their latest tests
   (mostly current, some stale), 100,000 recorded trains, the notices already sent and a few
   train requests. Only the ``plan()`` call is timed (target < 2 s).
2. ``wagonyard reconcile`` on the example repository (a bare origin and a clone, made in a
   temporary folder as ``wagonyard demo`` makes them): passes until one says "nothing to do"
   (the first runs the real wagon tests), then no-op passes timed end to end, process start
   to exit (target < 1 s), and ``reconcile --plan``; the history branch must not move.

    python3 benchmarks/plan.py [--repeat 5] [--no-repo]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from controller.reconcile.model import (
    DatasetWant,
    Desired,
    Observed,
    RequestWant,
    TestSeen,
    TrainSeen,
    WagonWant,
)
from controller.reconcile.planner import ENDED, plan
from controller.workspace import init_demo_repo

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
PLAN_TARGET_S = 2.0
PASS_TARGET_S = 1.0
STATUSES: tuple[Literal["done", "warning", "failed"], ...] = ("done", "warning", "failed")
CRONS = ("0 2 * * *", "0 2 * * *", "30 3 * * *", "0 */6 * * *", "15 1 * * 1", None)


def hexid(rng: random.Random, bits: int = 64) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def generate(
    rng: random.Random, analyses: int, wagons: int, datasets: int, per_dataset: int, trains: int
) -> tuple[Desired, Observed]:
    """A desired and an observed state that mostly agree: what a busy controller sees."""
    refs = [f"analysis-{a:03d}/wagon-{w:03d}" for a in range(analyses) for w in range(wagons)]
    versions = {ref: hexid(rng) for ref in refs}
    wants: dict[str, DatasetWant] = {}
    tests: dict[tuple[str, str], TestSeen] = {}
    notified: set[str] = set()
    for d in range(datasets):
        name = f"dataset-{d:04d}"
        chosen = rng.sample(refs, per_dataset)
        # 1 in 100 blocked (a tag missing), the others run on their composition
        ws = tuple(
            WagonWant(
                ref, versions[ref], blocked="tag v1.2 not found" if rng.random() < 0.01 else ""
            )
            for ref in chosen
        )
        wants[name] = DatasetWant(name, CRONS[d % len(CRONS)], 1 + d % 3, d % 2 == 0, ws)
        for w in ws:
            if rng.random() < 0.02:
                continue  # never tested: a test is planned
            stale = rng.random() < 0.03  # changed since its last test: a test is planned
            status = rng.choices(STATUSES, (85, 10, 5))[0]
            seen = TestSeen(hexid(rng) if stale else w.version, status, hexid(rng, 40))
            tests[(name, w.ref)] = seen
            if status == "failed" and rng.random() < 0.99:
                notified.add(f"test/{name}/{w.ref}/{seen.version}")
    runs: list[TrainSeen] = []
    names = list(wants)
    per = trains // datasets
    for d, name in enumerate(names):
        ds = wants[name]
        ready = tuple(
            sorted(
                (w.ref, w.version)
                for w in ds.wagons
                if (t := tests.get((name, w.ref))) and t.version == w.version
            )
        )
        # the latest train 10 min to 5 h before now: some before the cron's due time
        offset = timedelta(minutes=rng.randint(10, 300))
        for n in range(per):
            latest = n == per - 1
            if latest:
                state = rng.choices(("done", "running", "composed", "failed"), (90, 6, 1, 3))[0]
            else:
                state = rng.choices(("done", "failed", "killed"), (96, 3, 1))[0]
            jobs = rng.randint(10, 200)
            runs.append(
                TrainSeen(
                    f"{name}-{n:03d}",
                    name,
                    state,
                    NOW - offset - timedelta(days=per - 1 - n),
                    # half the latest trains ran what is ready now: nothing new to compose
                    ready if latest and d % 2 == 0 else ready[: len(ready) // 2],
                    open_jobs=rng.randint(1, jobs) if state == "running" else 0,
                    jobs=jobs,
                )
            )
    # the notices of nearly every ended train were sent: 1 in 1,000 is still to send
    notified.update(
        f"train/{t.train_id}" for t in runs if t.state in ENDED and rng.random() < 0.999
    )
    requests, done = _requests(rng, names, wants, runs)
    desired = Desired(hexid(rng, 160), wants, requests)
    observed = Observed(tests, tuple(runs), done, frozenset(notified))
    return desired, observed


def _requests(
    rng: random.Random, names: list[str], wants: dict[str, DatasetWant], runs: list[TrainSeen]
) -> tuple[tuple[RequestWant, ...], frozenset[str]]:
    """30 requests: runs (all wagons or two named), kills, retries, one unknown dataset; the
    first 10 already carried out."""
    running = [t.train_id for t in runs if t.state == "running"]
    failed = [t.train_id for t in runs if t.state == "failed"]
    out: list[RequestWant] = []
    for i in range(30):
        name = f"request-{i:02d}"
        kind = i % 5
        if kind in (0, 1):
            ds = rng.choice(names)
            picked = tuple(w.ref for w in wants[ds].wagons[:2]) if kind == 1 else ()
            out.append(RequestWant(name, "run", "benchmark", dataset=ds, wagons=picked))
        elif kind == 2:
            out.append(RequestWant(name, "kill", "benchmark", train=rng.choice(running)))
        elif kind == 3:
            out.append(RequestWant(name, "retry", "benchmark", train=rng.choice(failed)))
        else:
            out.append(RequestWant(name, "run", "benchmark", dataset=f"no-such-dataset-{i}"))
    return tuple(out), frozenset(r.name for r in out[:10])


def bench_plan(args: argparse.Namespace) -> float:
    start = time.perf_counter()
    desired, observed = generate(
        random.Random(args.seed), args.analyses, args.wagons, args.datasets, 10, args.trains
    )
    pairs = sum(len(ds.wagons) for ds in desired.datasets.values())
    print(
        f"generated {args.analyses * args.wagons:,} wagons, {len(desired.datasets):,} datasets "
        f"({pairs:,} wagon-dataset pairs, {len(observed.tests):,} tests), "
        f"{len(observed.trains):,} trains, {len(desired.requests)} requests "
        f"in {time.perf_counter() - start:.1f} s"
    )
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = plan(desired, observed, NOW)
        times.append(time.perf_counter() - start)
    kinds = Counter(a.kind for a in result.actions)
    print(f"plan: {len(result.actions):,} actions, {len(result.waiting):,} waiting lines")
    print("  " + ", ".join(f"{kind} {count:,}" for kind, count in sorted(kinds.items())))
    print(f"  plan() times: {', '.join(f'{t:.3f}' for t in times)} s")
    if not result.actions or len(result.actions) >= pairs:
        sys.exit("the generated state gives an empty or an everything plan: fix the generator")
    return statistics.median(times)


def reconcile(repo: Path, cwd: Path, *extra: str) -> tuple[float, str]:
    """One 'wagonyard reconcile' process, timed from its start to its exit."""
    command = [sys.executable, "-m", "controller", "reconcile", "--repo", str(repo)]
    command += ["--now", NOW.strftime("%Y-%m-%dT%H:%M:%S"), *extra]
    env = {k: v for k, v in os.environ.items() if k != "WAGONYARD_DATA"}
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return took, done.stdout


def history(repo: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "wagonyard/history"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def bench_repo(args: argparse.Namespace) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="wagonyard-bench-plan-") as tmp:
        work = Path(tmp)
        repo = init_demo_repo(work, REPO / "catalog")
        print(f"example repository: {repo} (bare origin beside it), the whole example catalog")
        print("  (no data for cms-2010-dimuon-large here: its tests fail, and it settles so)")
        for n in range(1, args.max_passes + 1):
            took, out = reconcile(repo, work)
            steps = [line for line in out.splitlines() if line.startswith("- ")]
            print(f"  pass {n}: {took:.1f} s, {len(steps)} action(s)")
            for line in steps:
                print(f"    {line[2:][:110]}")
            if "nothing to do" in out:
                break
            time.sleep(1)
        else:
            sys.exit(f"reconcile never settled in {args.max_passes} passes; last output:\n{out}")
        waiting = [line for line in out.splitlines() if line.startswith("waiting:")]
        for line in waiting:
            print(f"  {line[:120]}")
        before = history(repo)
        noop = [reconcile(repo, work) for _ in range(args.repeat)]
        planned = [reconcile(repo, work, "--plan") for _ in range(args.repeat)]
        after = history(repo)
        for _, out in noop + planned:
            if "nothing to do" not in out:
                sys.exit(f"a pass after settling was not a no-op:\n{out}")
        print(f"  wagonyard/history before {before[:12]}, after {after[:12]}")
        assert before == after, "a no-op pass committed to the history branch"
        print(f"  no-op passes: {', '.join(f'{t:.2f}' for t, _ in noop)} s")
        print(f"  --plan:       {', '.join(f'{t:.2f}' for t, _ in planned)} s")
    return statistics.median(t for t, _ in noop), statistics.median(t for t, _ in planned)


def row(figure: str, measured: float, target: float | None) -> str:
    if target is None:
        return f"| {figure} | {measured:.2f} s | | |"
    verdict = "PASS" if measured < target else "FAIL"
    return f"| {figure} | {measured:.2f} s | < {target:g} s | {verdict} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--analyses", type=int, default=100)
    parser.add_argument("--wagons", type=int, default=100, help="wagons per analysis")
    parser.add_argument("--datasets", type=int, default=1000, help="10 wagons enabled on each")
    parser.add_argument("--trains", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-passes", type=int, default=40, help="passes to settle")
    parser.add_argument("--no-repo", action="store_true", help="the planner only")
    args = parser.parse_args()
    rows = ["| figure | measured (median) | target | result |", "|---|---|---|---|"]
    median = bench_plan(args)
    scale = f"{args.analyses * args.wagons:,} wagons, {args.trains:,} trains"
    rows.append(row(f"plan(), {scale}", median, PLAN_TARGET_S))
    if not args.no_repo:
        noop, planned = bench_repo(args)
        rows.append(row("no-op `reconcile` pass", noop, PASS_TARGET_S))
        rows.append(row("`reconcile --plan`", planned, None))
    print(f"\nmedian of {args.repeat} runs each\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
