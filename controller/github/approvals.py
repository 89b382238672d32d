"""Pull-request approvals from GitHub reviews, for the reconciler (``code: {source: pull-request}``).

A pull request's code runs only once a member of the analysis other than its author has
approved the head commit the controller would run. Reads GitHub lazily: nothing is sent
unless a wagon takes its code from a pull request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from controller.github.client import Session
from controller.github.pulls import PullRequest, read_pull_request
from controller.github.reviews import approvers


class GitHubApprovals:
    def __init__(self, connect: Callable[[], Session]) -> None:
        self._connect = connect
        self._session: Session | None = None
        self._pulls: dict[int, PullRequest] = {}

    def _pull(self, number: int) -> PullRequest:
        if number not in self._pulls:
            if self._session is None:
                self._session = self._connect()
            self._pulls[number] = read_pull_request(self._session, number)
        return self._pulls[number]

    def approver(self, pull_request: int, head: str, members: Sequence[str]) -> str | None:
        pull = self._pull(pull_request)
        approved = approvers(pull.reviews, pull.author, head)
        return next((m for m in members if m.lower() in approved), None)
