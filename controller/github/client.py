"""The connection to GitHub through PyGithub: token, retries with backoff, one error type.

Rate limits (403 with ``x-ratelimit-remaining: 0``) and 5xx answers are retried with backoff by
PyGithub's ``GithubRetry``; whatever still fails becomes a ``GitHubError`` saying what was being
done and what GitHub answered. Never logs or prints the token.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import github
from github import Auth, Github, GithubException, GithubRetry
from github.Repository import Repository

from controller.config import GitHubSettings
from controller.errors import GitHubError

RETRIED_STATUSES = (500, 502, 503, 504)


@dataclass(frozen=True)
class Session:
    """A PyGithub client and the configured repository (both lazy: no request sent yet)."""

    client: Github
    repo: Repository


@dataclass(frozen=True)
class Pacing:
    """How hard to retry and how long to wait; tests make it fast."""

    retries: int = 5
    backoff_s: float = 2.0
    max_rate_limit_wait_s: float = 900.0
    between_requests_s: float = 0.25
    between_writes_s: float = 1.0
    timeout_s: int = 30


DEFAULT_PACING = Pacing()


def token_from(settings: GitHubSettings) -> str:
    """The token from the environment variable the settings name."""
    token = os.environ.get(settings.token_env, "")
    if not token:
        raise GitHubError(
            f"no GitHub token: set the environment variable {settings.token_env} (github.token_env "
            "in wagonyard.yaml) to a token with pull-requests: write, checks: write, contents: read"
        )
    return token


def connect(settings: GitHubSettings, token: str, pacing: Pacing | None = None) -> Session:
    """A session on the configured repository; nothing is sent until it is used."""
    if not settings.repository:
        raise GitHubError("github.repository is not set in wagonyard.yaml (owner/name)")
    pacing = pacing or DEFAULT_PACING
    retry = GithubRetry(
        total=pacing.retries,
        backoff_factor=pacing.backoff_s,
        status_forcelist=list(RETRIED_STATUSES),
        max_rate_limit_wait=pacing.max_rate_limit_wait_s,
        raise_on_status=False,
        # PATCH too: updating the comment or the check run is idempotent
        allowed_methods=frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"}),
    )
    client = Github(
        auth=Auth.Token(token),
        base_url=settings.api_url.rstrip("/"),
        timeout=pacing.timeout_s,
        retry=retry,
        seconds_between_requests=pacing.between_requests_s,
        seconds_between_writes=pacing.between_writes_s,
        lazy=True,
    )
    return Session(client, client.get_repo(settings.repository))


def _answer(exc: GithubException) -> str:
    data = exc.data
    message = data.get("message") if isinstance(data, dict) else None
    return f"{exc.status} {message or data or ''}".strip()


@contextmanager
def calling(what: str) -> Iterator[None]:
    """Turn whatever PyGithub or the network raises while doing ``what`` into a GitHubError."""
    try:
        yield
    except github.RateLimitExceededException as exc:
        reset = (exc.headers or {}).get("x-ratelimit-reset", "")
        raise GitHubError(
            f"{what}: GitHub's rate limit is used up ({_answer(exc)}); it resets at unix time "
            f"{reset or 'unknown'}: run again after that, or use a GitHub App token (higher limit)"
        ) from exc
    except GithubException as exc:
        hint = ""
        if exc.status in (401, 403):
            hint = ": check the token and its permissions (pull-requests: write, checks: write)"
        elif exc.status == 404:
            hint = ": check github.repository, the pull request number and the token's access"
        elif exc.status >= 500:
            hint = ": GitHub kept failing after retries; run again later"
        raise GitHubError(f"{what}: GitHub answered {_answer(exc)}{hint}") from exc
    except OSError as exc:  # requests' errors are OSErrors: refused, timed out, retries spent
        raise GitHubError(
            f"{what}: could not reach GitHub ({type(exc).__name__}: {exc}); gave up after retries"
        ) from exc
