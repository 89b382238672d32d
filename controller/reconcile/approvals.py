"""Who approved a pull request: its code runs in a train only once a member of the analysis has.

``Approvals`` is the interface; ``FileApprovals`` reads a YAML list (for tests and for sites
without GitHub): ``- {pull_request: 7, by: alice, head: <sha>}`` (``head`` optional: when given,
only that commit is approved, so a push after the approval needs a new one).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import yaml

from controller.errors import WagonyardError


class Approvals(Protocol):
    def approver(self, pull_request: int, head: str, members: Sequence[str]) -> str | None:
        """A member who approved ``head`` of the pull request, or None."""
        ...


class NoApprovals:
    def approver(self, pull_request: int, head: str, members: Sequence[str]) -> str | None:
        return None


class FileApprovals:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _entries(self) -> list[dict[str, object]]:
        if not self.path.is_file():
            return []
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise WagonyardError(f"{self.path}: not valid YAML: {exc}") from exc
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            raise WagonyardError(
                f"{self.path}: expected a list of {{pull_request: N, by: LOGIN, head: SHA}}"
            )
        return data

    def approver(self, pull_request: int, head: str, members: Sequence[str]) -> str | None:
        for e in self._entries():
            if e.get("pull_request") != pull_request or e.get("by") not in members:
                continue
            if e.get("head") in (None, head):
                return str(e["by"])
        return None
