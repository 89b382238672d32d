"""What wagonyard reads from and writes to a pull request, through PyGithub.

The adapter between GitHub and the pure modules: reads a pull request's author, head, changed
files and reviews, a team's members; writes the one comment (found again by its marker and
updated) and check runs. Every call goes through ``client.calling`` for one clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from controller.errors import GitHubError
from controller.github.checks import CheckResult
from controller.github.client import Session, calling
from controller.github.comment import is_ours
from controller.github.reviews import Review


@dataclass(frozen=True)
class PullRequest:
    number: int
    author: str
    head: str
    base: str
    changed: tuple[str, ...]  # every path touched, renames by both names
    reviews: tuple[Review, ...]  # chronological


def read_pull_request(session: Session, number: int) -> PullRequest:
    """The pull request, every changed file and every review (all pages)."""
    with calling(f"reading pull request #{number}"):
        pull = session.repo.get_pull(number)
        changed: set[str] = set()
        for f in pull.get_files():
            changed.add(f.filename)
            if f.previous_filename:
                changed.add(f.previous_filename)
        reviews = tuple(
            Review(r.user.login if r.user else "", r.state, r.commit_id or "")
            for r in pull.get_reviews()
        )
        return PullRequest(
            number,
            pull.user.login,
            pull.head.sha,
            pull.base.ref,
            tuple(sorted(changed)),
            reviews,
        )


def head_of(session: Session, number: int) -> str:
    """The pull request's head commit."""
    with calling(f"reading pull request #{number}"):
        return str(session.repo.get_pull(number).head.sha)


def team_members(session: Session, team: str) -> list[str]:
    """The logins of ``org/slug``'s members."""
    org, _, slug = team.partition("/")
    with calling(f"reading the members of the team {team}"):
        team_obj = session.client.get_organization(org).get_team_by_slug(slug)
        return sorted(m.login for m in team_obj.get_members())


def upsert_comment(
    session: Session, number: int, body: str
) -> tuple[Literal["created", "updated", "unchanged"], int]:
    """Update wagonyard's comment on the pull request, or create it if there is none."""
    with calling(f"writing the comment on pull request #{number}"):
        issue = session.repo.get_issue(number)
        for comment in issue.get_comments():
            if is_ours(comment.body):
                if comment.body == body:
                    return "unchanged", comment.id
                comment.edit(body)
                return "updated", comment.id
        created = issue.create_comment(body)
        return "created", created.id


def post_check(session: Session, head: str, result: CheckResult) -> tuple[str, int]:
    """The check run ``result.name`` on ``head``, completed: updated if it exists, else created."""
    if not head:
        raise GitHubError("no head commit to put the check run on")
    output: dict[str, str | list[dict[str, str | int]]] = {
        "title": result.title,
        "summary": result.summary,
        "text": result.text,
    }
    with calling(f"writing the check run {result.name} on {head[:10]}"):
        commit = session.repo.get_commit(head)
        for run in commit.get_check_runs(check_name=result.name):
            run.edit(status="completed", conclusion=result.conclusion, output=output)
            return "updated", int(run.id)
        created = session.repo.create_check_run(
            name=result.name,
            head_sha=head,
            status="completed",
            conclusion=result.conclusion,
            output=output,
        )
        return "created", int(created.id)
