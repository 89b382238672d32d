"""Describe the trains a wagon test runs, in a sandboxed child: never in ``wagonyard test``.

Describing a train (its wagons' resolved configs, the columns it reads) imports the analyses'
modules and calls each task's ``book()``: analysts' code. The child
(``python -m controller.wagontest.describe REQUEST``) does it for one dataset: each tested
wagon alone, the full train (the tested wagons that could be described, and the passing ones)
and the train of the passing wagons alone. A wagon whose module or ``book()`` fails, hangs or
ends the process fails its own test with that message; the others go on.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from controller.catalog.catalog import Catalog
from controller.catalog.loader import scan_catalog
from controller.catalog.taskcheck import import_timeout, module_file
from controller.catalog.tasks import import_task
from controller.engine.plan import plan_train
from controller.engine.train import columns_to_read, load_wagons
from controller.imports import Reporter, run_child
from controller.records import WagonInTrain
from controller.secrets import Masker

FULL, REST = "full", "rest"


@dataclass(frozen=True)
class Described:
    wagons: list[WagonInTrain]
    columns: list[str]


def wagon_key(ref: str) -> str:
    return f"wagon:{ref}"


def describe(
    catalog: Catalog,
    dataset: str,
    tested: list[str],
    passing: list[str],
    work: Path,
    masker: Masker,
    code_dirs: dict[str, str] | None = None,
) -> dict[str, Described | str]:
    """By plan (``wagon_key(ref)``, ``FULL``, ``REST``): the train, or why it has none.

    ``code_dirs`` gives wagons ('analysis/wagon') the catalog their code is imported from.
    """
    request = {
        "catalog": str(catalog.root.resolve()),
        "dataset": dataset,
        "tested": tested,
        "passing": passing,
        "code_dirs": code_dirs or {},
    }
    run = run_child("controller.wagontest.describe", request, work, import_timeout(), masker)
    out: dict[str, Described | str] = {}
    for line in run.results:
        if "error" in line:
            out[line["plan"]] = masker.mask(str(line["error"]))
        else:
            wagons = [WagonInTrain.model_validate(w) for w in line["wagons"]]
            out[line["plan"]] = Described(wagons, list(line["columns"]))
    for label, why in run.failed.items():  # a module or a book() that hung or ended the process
        if label.startswith("book:"):
            message = f"loading its wagons (their book()) {why}"
        else:
            message = f"importing {label} {why}"
        for plan in _plans_of(label, tested):
            out.setdefault(plan, message)
    return out


def _plans_of(label: str, tested: list[str]) -> list[str]:
    if label.startswith("book:"):
        return [label.removeprefix("book:")]
    return [wagon_key(r) for r in tested] + [FULL, REST]


# ----------------------------------------------------------------- the child


def main(request_path: str) -> None:
    reporter = Reporter(Path(request_path))
    request = reporter.request
    catalog = scan_catalog(Path(request["catalog"]), tasks=False).catalog
    dataset: str = request["dataset"]
    tested: list[str] = request["tested"]
    passing: list[str] = request["passing"]
    code: dict[str, str] = request.get("code_dirs", {})
    broken = _import_all(catalog, dataset, tested + passing, reporter, code)
    described: list[str] = []
    for ref in tested:
        if _plan(catalog, dataset, wagon_key(ref), [ref], broken, reporter, code):
            described.append(ref)
    if described or passing:
        _plan(catalog, dataset, FULL, described + passing, broken, reporter, code)
    if passing:
        _plan(catalog, dataset, REST, passing, broken, reporter, code)
    reporter.end()


def _import_all(
    catalog: Catalog, dataset: str, refs: list[str], reporter: Reporter, code: dict[str, str]
) -> dict[str, str]:
    """Import every module the trains need, each announced; the wagons that failed, and why."""
    broken: dict[str, str] = {}
    seen: dict[str, str] = {}
    for inst in plan_train(catalog, dataset, refs, code):
        entry = catalog.wagons[inst.ref]
        module = module_file(entry)
        if inst.code_dir:
            module = f"{module} at {inst.code_dir}"
        if module in reporter.skip:
            broken[inst.ref] = f"importing {module} did not finish"
            continue
        if module not in seen:
            with reporter.importing(module):
                try:
                    root = Path(inst.code_dir) if inst.code_dir else catalog.root
                    import_task(root / "analyses" / inst.analysis, inst.task)
                    seen[module] = ""
                except BaseException as exc:  # analysts' code: SystemExit and the like too
                    seen[module] = f"cannot import task '{inst.task}': {_text(exc)}"
        if seen[module]:
            broken[inst.ref] = seen[module]
    return broken


def _plan(
    catalog: Catalog,
    dataset: str,
    key: str,
    refs: list[str],
    broken: dict[str, str],
    reporter: Reporter,
    code: dict[str, str],
) -> bool:
    """Report one train, or why it cannot be described; whether it could."""
    label = f"book:{key}"
    if label in reporter.skip:
        return False
    instances = plan_train(catalog, dataset, refs, code)
    bad = [f"{i.ref}: {broken[i.ref]}" for i in instances if i.ref in broken]
    if bad:
        reporter.result({"plan": key, "error": "; ".join(sorted(set(bad)))})
        return False
    with reporter.importing(label):
        try:
            loaded = load_wagons(catalog.root, instances)
        except BaseException as exc:  # book() is analysts' code
            reporter.result({"plan": key, "error": _text(exc)})
            return False
    wagons = [w.describe().model_dump(mode="json") for w in loaded]
    reporter.result({"plan": key, "wagons": wagons, "columns": columns_to_read(loaded)})
    return True


def _text(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    from controller.errors import WagonyardError

    if isinstance(exc, WagonyardError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    main(sys.argv[1])
