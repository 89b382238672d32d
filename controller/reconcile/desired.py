"""The desired state: what main declares at its commit, each wagon's code resolved to a commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from controller.catalog.catalog import Catalog
from controller.catalog.loader import scan_catalog
from controller.catalog.models import CodeFromPullRequest, CodeFromTag
from controller.errors import CatalogError, WagonyardError
from controller.reconcile.approvals import Approvals
from controller.reconcile.gitcode import Code
from controller.reconcile.model import DatasetWant, Desired, RequestWant, WagonWant
from controller.reconcile.versions import code_hash, wagon_versions


@dataclass
class Main:
    """Main at one commit: its catalog, the desired state, where each wagon's code is."""

    commit: str
    catalog: Catalog
    desired: Desired
    code_dirs: dict[str, dict[str, str]] = field(default_factory=dict)  # dataset -> ref -> dir
    code_commits: dict[str, dict[str, str]] = field(default_factory=dict)
    versions: dict[str, dict[str, str]] = field(default_factory=dict)  # dataset -> ref -> v


def read_main(code: Code, approvals: Approvals, only: tuple[str, ...] = ()) -> Main:
    """Main now; ``only``: these datasets alone (a controller for part of the catalog)."""
    commit = code.fetch_main()
    catalog_dir = code.tree(commit)
    checked = catalog_dir.parent / ".valid"  # the task imports checked once per commit
    scan = scan_catalog(catalog_dir, tasks=not checked.exists())
    errors = [p for p in scan.problems if p.severity == "error"]
    if errors:
        raise WagonyardError(
            f"main's catalog at {commit[:10]} is not valid, so the controller does nothing: "
            f"{CatalogError(errors)}; fix it on main (run 'wagonyard validate')"
        )
    checked.touch()
    catalog = scan.catalog
    blobs = {commit: code.blobs(commit)}
    main_code = {a: code_hash(b) for a, b in blobs[commit].items()}
    main = Main(commit, catalog, Desired(commit, {}))
    datasets: dict[str, DatasetWant] = {}
    for name, entry in sorted(catalog.datasets.items()):
        if only and name not in only:
            continue
        hashes: dict[str, str] = {}  # enabled wagons' code; the others run main's
        wants: dict[str, WagonWant] = {}
        dirs: dict[str, str] = {}
        commits: dict[str, str] = {}
        for ref in catalog.enabled_on(name):
            analysis = ref.split("/", 1)[0]
            enabled = next(e for e in catalog.wagons[ref].model.enabled if e.dataset == name)
            source, at, blocked = "composition", commit, ""
            if isinstance(enabled.code, CodeFromTag):
                source = f"tag {enabled.code.tag}"
                found = code.tag(enabled.code.tag)
                at = found or ""
                blocked = (
                    "" if found else f"its code's tag {enabled.code.tag} is not in the repository"
                )
            elif isinstance(enabled.code, CodeFromPullRequest):
                number = enabled.code.pull_request
                source = f"pull request #{number}"
                found = code.pull_request(number)
                at = found or ""
                members = (
                    catalog.analyses[analysis].model.members if analysis in catalog.analyses else []
                )
                if not found:
                    blocked = f"pull request #{number} is not on the remote"
                elif approvals.approver(number, found, members) is None:
                    blocked = (
                        f"pull request #{number} (head {found[:10]}) waits for the approval of a "
                        f"member of {analysis} ({', '.join(members)})"
                    )
            if at and at not in blobs:
                blobs[at] = code.blobs(at)
            hashes[ref] = code_hash(blobs.get(at, {}).get(analysis, [])) if at else ""
            if at and at != commit and not blocked:
                dirs[ref] = str(code.tree(at))
            if at:
                commits[ref] = at
            wants[ref] = WagonWant(ref, "", source, at or None, blocked)
        versions = wagon_versions(catalog, hashes, name, main_code)
        schedule = entry.model.schedule
        datasets[name] = DatasetWant(
            name,
            schedule.cron,
            schedule.min_wagons,
            schedule.allow_warnings,
            tuple(
                WagonWant(w.ref, versions.get(w.ref, ""), w.code, w.code_commit, w.blocked)
                for w in wants.values()
            ),
        )
        main.code_dirs[name], main.code_commits[name], main.versions[name] = dirs, commits, versions
    requests = tuple(
        RequestWant(
            name=r.model.name,
            action=r.model.action,
            reason=r.model.reason,
            dataset=r.model.dataset,
            wagons=tuple(_full_ref(catalog, w) for w in r.model.wagons),
            train=r.model.train,
        )
        for _, r in sorted(catalog.trains.items())
        if not only or r.model.dataset in (None, *only)
    )
    main.desired = Desired(commit, datasets, requests)
    return main


def _full_ref(catalog: Catalog, wagon: str) -> str:
    """'analysis/wagon' for a request's wagon given by its (unique) name alone."""
    if "/" in wagon:
        return wagon
    found = [ref for ref in catalog.wagons if ref.endswith("/" + wagon)]
    return found[0] if len(found) == 1 else wagon
