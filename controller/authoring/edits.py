"""The catalog edits of the analysts' commands, as text: new analysis and wagon files, a clone
of a wagon, a dataset enabled or disabled. Each takes the current file's text and returns the
new text, keeping comments, order and the ``$schema`` header. Pure: no files, no git.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from controller.authoring.taskinfo import Configurable
from controller.authoring.yamledit import dump, flow_list, load
from controller.errors import WagonyardError

ANALYSIS_HEADER = "# yaml-language-server: $schema=../../../schema/analysis.schema.json\n"
WAGON_HEADER = "# yaml-language-server: $schema=../../../../schema/wagon.schema.json\n"

TASKS_PY = '''"""Tasks of the analysis {name}: each class is a task that wagons run with their configuration.

A task declares its configurables (``Config``), the columns it reads (``columns``), books its
histograms once (``book``) and fills them for each chunk of events (``process``).
"""

from __future__ import annotations

import awkward as ak
import hist
from pydantic import Field

from controller.engine.task import Task, TaskConfig


class HistogramConfig(TaskConfig):
    column: str = Field("pt1", description="The branch to histogram.")
    bins: int = Field(50, ge=1, le=10_000, description="Number of bins.")
    low: float = Field(0.0, description="Lower edge of the axis.")
    high: float = Field(100.0, description="Upper edge of the axis.")


class Histogram(Task):
    """An example task: one branch of each event in a histogram."""

    Config = HistogramConfig
    columns = ("pt1",)

    def book(self) -> dict[str, hist.Hist]:
        c = self.config
        axis = hist.axis.Regular(c.bins, c.low, c.high, name="x", label=c.column)
        return {{"h": hist.Hist(axis)}}

    def process(self, events: ak.Array, out: dict[str, hist.Hist]) -> None:
        out["h"].fill(x=ak.to_numpy(events[self.config.column]))
'''


def yaml_value(value: Any) -> str:
    """A value as it reads in YAML (JSON is YAML): strings quoted only when they must be."""
    if (
        isinstance(value, str)
        and value
        and value.strip() == value
        and not any(c in value for c in ":#{}[],&*!|>'\"%@`")
        and value.lower() not in ("null", "true", "false", "yes", "no", "on", "off", "~")
    ):
        try:
            float(value)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False)


def analysis_files(name: str, title: str, group: str, members: Iterable[str]) -> dict[str, str]:
    """``analysis.yaml`` and a ``tasks.py`` with one example task, by path under the catalog."""
    text = ANALYSIS_HEADER + (
        f"name: {name}\ntitle: {yaml_value(title)}\ngroup: {yaml_value(group)}\n"
        f"members: [{', '.join(members)}]\n"
        "description: |\n  What this analysis measures, on which data.\n"
    )
    return {
        f"analyses/{name}/analysis.yaml": text,
        f"analyses/{name}/tasks.py": TASKS_PY.format(name=name),
    }


def parse_sets(sets: Iterable[str]) -> dict[str, Any]:
    """``key=value`` pairs; values read as YAML (``bins=80``, ``low=0.5``, ``name=mu``)."""
    out: dict[str, Any] = {}
    for item in sets:
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise WagonyardError(f"--set {item!r}: expected key=value, for example --set bins=80")
        try:
            out[key.strip()] = load(f"v: {raw}", "--set")["v"]
        except WagonyardError:
            out[key.strip()] = raw
    return out


def wagon_text(
    name: str, task: str, fields: tuple[Configurable, ...], values: Mapping[str, Any], doc: str
) -> str:
    """A wagon file holding every configurable of the task: the value given or the default,
    with the description and the default as a comment."""
    unknown = sorted(set(values) - {f.name for f in fields})
    if unknown:
        known = ", ".join(f.name for f in fields) or "none"
        raise WagonyardError(
            f"--set {unknown[0]}: task {task.partition(':')[2]} has no configurable "
            f"'{unknown[0]}' (its configurables: {known}); nothing written"
        )
    lines = [WAGON_HEADER.rstrip("\n"), f"name: {name}", f"task: {task}"]
    first = doc.splitlines()[0] if doc else ""
    lines.append(f"description: {yaml_value(first or 'What this wagon computes.')}")
    lines.append("config:" if fields else "config: {}")
    for f in fields:
        value = values.get(f.name, f.default)
        note = f.description.rstrip(".") if f.description else f.type
        default = "required" if f.required else f"default {yaml_value(f.default)}"
        lines.append(f"  {f.name}: {yaml_value(value)}  # {note} ({default})")
    lines.append("enabled: []")
    return "\n".join(lines) + "\n"


def clone_text(text: str, source: str, target: str, commit: str, target_wagons: set[str]) -> str:
    """The wagon ``source`` ('a/w') as ``target`` ('b/w2'): renamed, disabled, its
    dependencies inside the source analysis kept local where the target analysis has that
    wagon, else made cross-analysis references; ``cloned_from`` says where and when."""
    src_analysis, _, _ = source.partition("/")
    dst_analysis, _, dst_name = target.partition("/")
    data = load(text, source)
    data["name"] = dst_name
    deps = data.get("depends_on")
    if deps:
        for i, dep in enumerate(list(deps)):
            ref = str(dep)
            if "/" in ref:
                if ref.partition("/")[0] == dst_analysis:
                    deps[i] = ref.partition("/")[2]
            elif dst_analysis != src_analysis and ref not in target_wagons:
                deps[i] = f"{src_analysis}/{ref}"
    data["enabled"] = flow_list([])
    data["cloned_from"] = CommentedMap([("wagon", source), ("commit", commit)])
    return dump(data)


def enabled_text(
    text: str, where: str, dataset: str, code: Mapping[str, Any] | None, enable: bool
) -> str:
    """The wagon with ``dataset`` added to (or removed from) ``enabled``, with its code
    source; an existing entry for the dataset is replaced. The list is edited in place, so
    the other entries keep their comments."""
    data = load(text, where)
    current = data.get("enabled") or []
    index = next(
        (
            i
            for i, e in enumerate(current)
            if isinstance(e, Mapping) and e.get("dataset") == dataset
        ),
        None,
    )
    if not enable:
        if index is None:
            raise WagonyardError(f"{where}: the wagon is not enabled on {dataset}; nothing to do")
        del current[index]
        if not current:
            data["enabled"] = flow_list([])
        return dump(data)
    entry = CommentedMap([("dataset", dataset)])
    if code is not None:
        entry["code"] = CommentedMap(code.items())
        entry["code"].fa.set_flow_style()
    if not current:  # absent or '[]': a block list from now on
        data["enabled"] = CommentedSeq([entry])
    elif index is None:
        current.append(entry)
    else:
        current[index] = entry
    return dump(data)
