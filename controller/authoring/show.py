"""``wagonyard wagon show``: what a wagon is, as the train will run it: the effective
configuration of it and each variant (the task's defaults with the YAML's values, asked of the
task in the sandbox), its dependencies and dependents, its datasets and code sources, and its
latest test on each dataset from the history branch. Adapter: catalog, child process, git.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from controller.authoring.taskinfo import task_info
from controller.catalog.loader import scan_catalog
from controller.config import load_config
from controller.history import HistoryStore
from controller.wagontest.store import previous_case


def describe(catalog_dir: Path, ref: str) -> dict[str, Any]:
    catalog = scan_catalog(catalog_dir, catalog_dir.parent, tasks=False).catalog
    entry = catalog.wagons[ref]
    wagon = entry.model
    analysis = ref.partition("/")[0]
    configs = {ref: dict(wagon.config)}
    configs.update({f"{ref}_{v}": {**wagon.config, **o} for v, o in sorted(wagon.variants.items())})
    info = task_info(catalog.analysis_dir(analysis), wagon.task, configs)
    dependents = sorted(
        other
        for other, e in catalog.wagons.items()
        if ref in {catalog.resolve_ref(other.partition("/")[0], d) for d in e.model.depends_on}
    )
    tests: dict[str, Any] = {}
    root = catalog_dir.parent
    if (root / ".git").exists():
        store = HistoryStore(root, load_config(root).history.branch)
        for e in wagon.enabled:
            case = previous_case(store, e.dataset, ref)
            tests[e.dataset] = (
                None
                if case is None
                else {
                    "status": case.status,
                    "reasons": case.reasons,
                    "cpu_ms_per_event": case.figures.cpu_ms_per_event if case.figures else None,
                    "max_pss_mb": case.figures.max_pss_mb if case.figures else None,
                }
            )
    return {
        "wagon": ref,
        "file": entry.path,
        "task": wagon.task,
        "configurables": {
            f.name: {"default": f.default, "description": f.description} for f in info.fields
        },
        "effective": info.effective,
        "problems": info.errors,
        "depends_on": [catalog.resolve_ref(analysis, d) for d in wagon.depends_on],
        "dependents": dependents,
        "enabled": [e.model_dump(mode="json") for e in wagon.enabled],
        "latest_tests": tests,
        "cloned_from": wagon.cloned_from.model_dump() if wagon.cloned_from else None,
    }


def render(shown: dict[str, Any]) -> str:
    lines = [f"wagon {shown['wagon']} ({shown['file']}), task {shown['task']}"]
    for directory, config in shown["effective"].items():
        lines.append(f"  effective configuration of {directory}:")
        for key, value in config.items():
            about = shown["configurables"].get(key, {})
            default = about.get("default")
            mark = "" if value == default else f"   (the task's default: {default!r})"
            lines.append(f"    {key}: {value!r}{mark}")
    for directory, problems in shown["problems"].items():
        lines.append(f"  {directory} does not fit its task: {'; '.join(problems)}")
    lines.append(f"  depends on: {', '.join(shown['depends_on']) or 'nothing'}")
    lines.append(f"  needed by: {', '.join(shown['dependents']) or 'no wagon'}")
    if not shown["enabled"]:
        lines.append("  enabled on: no dataset (enable it with 'wagonyard wagon enable')")
    for e in shown["enabled"]:
        code = e["code"]
        source = {
            "tag": f"tag {code.get('tag')}",
            "pull-request": f"pull request #{code.get('pull_request')}",
        }
        test = shown["latest_tests"].get(e["dataset"])
        status = "not tested yet" if test is None else f"latest test {test['status']}"
        if test and test["reasons"]:
            status += f" ({'; '.join(test['reasons'])})"
        lines.append(
            f"  enabled on {e['dataset']}: code {source.get(code['source'], 'at composition')}; {status}"
        )
    if shown["cloned_from"]:
        c = shown["cloned_from"]
        lines.append(f"  cloned from {c['wagon']} at {c['commit'][:10]}")
    return "\n".join(lines)
