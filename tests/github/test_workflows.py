"""The security rules on every workflow, beside actionlint and zizmor (run by .ci/run)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
PULL_REQUEST_EVENTS = {"pull_request", "pull_request_review", "pull_request_target"}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key 'on' as True
    return data


def _steps(flow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, s) for name, job in flow["jobs"].items() for s in job.get("steps", [])]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_follows_the_security_rules(path: Path) -> None:
    flow = _load(path)
    events = set(flow["on"]) if isinstance(flow["on"], dict) else {flow["on"]}
    assert "pull_request_target" not in events
    assert flow.get("permissions") == {}, "no permission by default; each job asks for its own"
    for name, job in flow["jobs"].items():
        assert "permissions" in job, f"job {name} names its permissions"
        uses = job.get("uses", "")
        assert not uses or uses.startswith("./"), f"job {name}: {uses}"
    for job, step in _steps(flow):
        if "uses" in step:
            assert PINNED.fullmatch(step["uses"]), f"{job}: {step['uses']} is not pinned to a SHA"
        assert "${{" not in step.get("run", ""), f"{job}: an expression expanded inside run:"
        if step.get("uses", "").startswith("actions/checkout@"):
            keep = step.get("with", {}).get("persist-credentials")
            assert keep is False or path.name == "reconcile.yml", f"{job}: credentials persisted"
    if events & PULL_REQUEST_EVENTS:
        text = path.read_text(encoding="utf-8")
        assert "secrets." not in text and "github.token" not in text
        for job in flow["jobs"].values():
            assert set(job["permissions"].values()) <= {"read"}, "pull requests get read only"


def test_the_report_workflow_runs_the_default_branchs_code_on_untrusted_data() -> None:
    flow = _load(REPO / ".github/workflows/report.yml")
    assert set(flow["on"]) == {"workflow_run"}
    steps = [s for _, s in _steps(flow)]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert "ref" not in checkout.get("with", {}), "never the pull request's code"
    run = next(s["run"] for s in steps if "wagonyard github report" in s.get("run", ""))
    assert '--head "$HEAD_SHA"' in run and "untrusted/wagon-tests.json" in run
