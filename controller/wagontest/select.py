"""Which wagons a change affects: changed wagons, changed task code, dependents, datasets.

Pure: takes the catalog and the changed paths (relative to the repository) and returns each
affected wagon with the reason it was picked. Reading git is ``controller.wagontest.changes``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from controller.catalog.catalog import Catalog


def _task_file(analysis_prefix: str, task: str) -> str:
    module = task.split(":", 1)[0]
    return f"{analysis_prefix}/{module.replace('.', '/')}.py"


def affected_wagons(
    catalog: Catalog, changed: list[str], catalog_prefix: str = "catalog"
) -> dict[str, str]:
    """{'analysis/wagon': why} for every wagon the change affects, dependents included."""
    picked: dict[str, str] = {}
    changed_set = {str(PurePosixPath(p)) for p in changed}
    datasets_hit: dict[str, str] = {}
    for name, ds_entry in catalog.datasets.items():
        runlist = ds_entry.model.runlist
        if ds_entry.path in changed_set:
            datasets_hit[name] = f"dataset {name} changed"
        elif runlist in catalog.runlists and catalog.runlists[runlist].path in changed_set:
            datasets_hit[name] = f"run list {runlist} of dataset {name} changed"
    task_files = {
        _task_file(f"{catalog_prefix}/analyses/{ref.split('/', 1)[0]}", e.model.task)
        for ref, e in catalog.wagons.items()
    }
    for ref, entry in sorted(catalog.wagons.items()):
        analysis = ref.split("/", 1)[0]
        prefix = f"{catalog_prefix}/analyses/{analysis}"
        wagon = entry.model
        # a changed module that is no wagon's task module is shared code: it may be imported
        # by any task of the analysis
        code_changes = [
            p
            for p in changed_set
            if p.startswith(prefix + "/") and p.endswith(".py") and p not in task_files
        ]
        if entry.path in changed_set:
            picked[ref] = "wagon file changed"
        elif _task_file(prefix, wagon.task) in changed_set:
            picked[ref] = f"task code {_task_file(prefix, wagon.task)} changed"
        elif code_changes and wagon.package is None:
            picked[ref] = f"code of analysis {analysis} changed ({sorted(code_changes)[0]})"
        else:
            for enabled in wagon.enabled:
                if enabled.dataset in datasets_hit:
                    picked[ref] = datasets_hit[enabled.dataset]
                    break
    # dependents of anything picked, transitively
    grew = True
    while grew:
        grew = False
        for ref, entry in sorted(catalog.wagons.items()):
            if ref in picked:
                continue
            analysis = ref.split("/", 1)[0]
            for dep in entry.model.depends_on:
                full = catalog.resolve_ref(analysis, dep)
                if full in picked:
                    picked[ref] = f"depends on {full}"
                    grew = True
                    break
    return picked
