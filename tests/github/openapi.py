"""GitHub's own REST API description, cut to the endpoints wagonyard uses, as a validator.

The description comes from the npm package ``@octokit/openapi`` (installed by
``scripts/install.sh --test`` into ``.tools/node``). Building a validator from all of its 13 MB
takes seconds, so it is cut to the operations below and the components they reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import REPO

SPEC = REPO / ".tools/node/node_modules/@octokit/openapi/generated/api.github.com.json"

# path -> the methods wagonyard calls on it
USED: dict[str, tuple[str, ...]] = {
    "/repos/{owner}/{repo}": ("get",),
    "/repos/{owner}/{repo}/pulls/{pull_number}": ("get",),
    "/repos/{owner}/{repo}/pulls/{pull_number}/files": ("get",),
    "/repos/{owner}/{repo}/pulls/{pull_number}/reviews": ("get",),
    "/repos/{owner}/{repo}/issues/{issue_number}/comments": ("get", "post"),
    "/repos/{owner}/{repo}/issues/comments/{comment_id}": ("patch",),
    "/repos/{owner}/{repo}/check-runs": ("post",),
    "/repos/{owner}/{repo}/check-runs/{check_run_id}": ("patch",),
    "/repos/{owner}/{repo}/commits/{ref}/check-runs": ("get",),
    "/orgs/{org}/teams/{team_slug}/members": ("get",),
}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def cut_spec(full: dict[str, Any]) -> dict[str, Any]:
    """The description with only the used operations and the components they reach."""
    paths = {
        path: {m: op for m, op in full["paths"][path].items() if m in methods or m == "parameters"}
        for path, methods in USED.items()
    }
    components: dict[str, dict[str, Any]] = {}
    todo = list(_refs(paths))
    while todo:
        ref = todo.pop()
        _, _, kind, name = ref.split("/", 3)
        if name in components.get(kind, {}):
            continue
        node = full["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        todo.extend(_refs(node))
    return {
        "openapi": full["openapi"],
        "info": full["info"],
        "servers": full["servers"],
        "paths": paths,
        "components": components,
    }


def load_cut(cache: Path) -> dict[str, Any]:
    """The cut description, made once and kept in ``cache`` (outside git)."""
    if not cache.is_file():
        full = json.loads(SPEC.read_text(encoding="utf-8"))
        cache.write_text(json.dumps(cut_spec(full)), encoding="utf-8")
    data: dict[str, Any] = json.loads(cache.read_text(encoding="utf-8"))
    return data
