"""Compose a train from the catalog: which wagon instances run, in which order, with what config.

A train over a dataset runs every wagon enabled on it (or a chosen subset), each of its variants
as its own instance, and every dependency first, even where the dependency is not enabled.
Pure: reads the ``Catalog`` data only; importing tasks happens in ``controller.engine.train``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from controller.catalog.catalog import Catalog
from controller.errors import WagonyardError
from controller.records import WagonInTrain


@dataclass(frozen=True)
class WagonInstance:
    """One copy of a wagon's task in a train: the wagon itself or one of its variants."""

    ref: str
    variant: str | None
    task: str
    config: dict[str, Any] = field(hash=False)
    enabled: bool
    depends_on: tuple[str, ...] = ()  # the wagons ('analysis/wagon') whose products it reads
    code_dir: str | None = None  # a catalog/ materialised at its code's commit; None: the job's

    @property
    def analysis(self) -> str:
        return self.ref.split("/", 1)[0]

    @property
    def wagon(self) -> str:
        return self.ref.split("/", 1)[1]

    @property
    def directory(self) -> str:
        """Its directory in AnalysisResults.root: 'analysis/wagon' or 'analysis/wagon_variant'."""
        suffix = f"_{self.variant}" if self.variant else ""
        return f"{self.ref}{suffix}"


def instance_of(w: WagonInTrain) -> WagonInstance:
    """The instance a train record or a job spec describes."""
    return WagonInstance(
        w.ref, w.variant, w.task, w.config, w.enabled, tuple(w.depends_on), w.code_dir
    )


def _order(catalog: Catalog, roots: list[str]) -> list[str]:
    """Dependencies first (depth-first post-order), each wagon once; cycles are errors."""
    done: list[str] = []
    seen: set[str] = set()
    stack: list[str] = []

    def visit(ref: str) -> None:
        if ref in seen:
            return
        if ref in stack:
            cycle = " -> ".join([*stack[stack.index(ref) :], ref])
            raise WagonyardError(f"dependency cycle between wagons: {cycle}")
        entry = catalog.wagons.get(ref)
        if entry is None:
            needed = stack[-1] if stack else "the train"
            raise WagonyardError(
                f"unknown wagon '{ref}' (needed by {needed}); run 'wagonyard validate'"
            )
        stack.append(ref)
        for dep in entry.model.depends_on:
            visit(catalog.resolve_ref(ref.split("/")[0], dep))
        stack.pop()
        seen.add(ref)
        done.append(ref)

    for ref in roots:
        visit(ref)
    return done


def plan_train(
    catalog: Catalog,
    dataset: str,
    wagons: list[str] | None = None,
    code_dirs: Mapping[str, str] | None = None,
) -> list[WagonInstance]:
    """The ordered wagon instances of a train over ``dataset``.

    ``wagons`` picks a subset ('analysis/wagon'); by default every wagon enabled on the dataset.
    ``code_dirs`` gives a wagon ('analysis/wagon') the catalog its task code is imported from
    (its tag's or pull request's commit, materialised); the others use the train's catalog.
    """
    code_dirs = code_dirs or {}
    if dataset not in catalog.datasets:
        raise WagonyardError(
            f"unknown dataset '{dataset}'; known: {', '.join(sorted(catalog.datasets)) or 'none'}"
        )
    enabled = catalog.enabled_on(dataset)
    roots = sorted(wagons) if wagons else enabled
    if not roots:
        raise WagonyardError(f"no wagon is enabled on dataset '{dataset}'; nothing to run")
    chosen = set(roots)
    instances: list[WagonInstance] = []
    for ref in _order(catalog, roots):
        model = catalog.wagons[ref].model
        is_root = ref in chosen
        deps = tuple(catalog.resolve_ref(ref.split("/")[0], d) for d in model.depends_on)
        code = code_dirs.get(ref)
        instances.append(
            WagonInstance(ref, None, model.task, dict(model.config), is_root, deps, code)
        )
        if not is_root:
            continue
        for name, overrides in sorted(model.variants.items()):
            config = {**model.config, **overrides}
            instances.append(WagonInstance(ref, name, model.task, config, True, deps, code))
    return instances
