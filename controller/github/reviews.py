"""The review rule: who must approve a pull request, from the paths it changes and the catalog.

A changed analysis folder needs an approval from one of the analysis's members other than the
author; datasets and train requests need the operators' team; run lists the data-quality team.
Members come from the catalog of the base branch, never from the pull request itself. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


@dataclass(frozen=True)
class Review:
    login: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    commit: str = ""


@dataclass(frozen=True)
class Rule:
    """One approval the pull request needs: ``what`` changed, approved by one of ``approvers``."""

    what: str
    approvers: frozenset[str]
    who: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Owners:
    """Who approves what: the analyses' members (base branch) and the two teams."""

    members: Mapping[str, Sequence[str]]
    operators: str | None = None  # org/slug
    data_quality: str | None = None
    team_members: Mapping[str, Sequence[str]] | None = None  # org/slug -> logins


def _team_rule(what: str, team: str | None, owners: Owners, paths: list[str]) -> Rule:
    logins = frozenset(m.lower() for m in (owners.team_members or {}).get(team or "", ()))
    who = f"the team @{team}" if team else "a team that is not configured in wagonyard.yaml"
    return Rule(what, logins, who, tuple(sorted(paths)))


def rules_for(changed: Iterable[str], owners: Owners, prefix: str = "catalog") -> list[Rule]:
    """The approvals needed for the changed repository paths."""
    analyses: dict[str, list[str]] = {}
    datasets: list[str] = []
    trains: list[str] = []
    runlists: list[str] = []
    base = prefix.strip("/") + "/" if prefix.strip("/") else ""
    for path in sorted(set(changed)):
        if not path.startswith(base):
            continue
        parts = path[len(base) :].split("/")
        if parts[0] == "analyses" and len(parts) >= 2:
            analyses.setdefault(parts[1], []).append(path)
        elif parts[0] == "datasets":
            datasets.append(path)
        elif parts[0] == "trains":
            trains.append(path)
        elif parts[0] == "runlists":
            runlists.append(path)
    rules = []
    for name, paths in sorted(analyses.items()):
        members = owners.members.get(name)
        if members:
            rules.append(
                Rule(
                    f"analysis {name}",
                    frozenset(m.lower() for m in members),
                    f"a member of {name} ({', '.join(members)})",
                    tuple(paths),
                )
            )
        else:  # a new analysis: its members are not on the base branch yet
            rules.append(_team_rule(f"new analysis {name}", owners.operators, owners, paths))
    if datasets:
        rules.append(_team_rule("datasets", owners.operators, owners, datasets))
    if trains:
        rules.append(_team_rule("train requests", owners.operators, owners, trains))
    if runlists:
        rules.append(_team_rule("run lists", owners.data_quality, owners, runlists))
    return rules


def standing(reviews: Iterable[Review]) -> dict[str, Review]:
    """Each reviewer's review that counts: their latest approval, change request or dismissal
    (a later comment does not withdraw an approval); reviews come in chronological order."""
    out: dict[str, Review] = {}
    for review in reviews:
        if review.state in DECISIVE:
            out[review.login] = review
    return out


def approvers(reviews: Iterable[Review], author: str, head: str | None = None) -> set[str]:
    """Who approves now (lower-case logins, as GitHub's are case-insensitive): standing
    approvals, not by the author, given on ``head`` if it is named."""
    return {
        login.lower()
        for login, r in standing(reviews).items()
        if r.state == "APPROVED"
        and login.lower() != author.lower()
        and (head is None or r.commit == head)
    }


def missing(rules: Sequence[Rule], approved_by: set[str]) -> list[Rule]:
    """The rules no approver satisfies."""
    return [rule for rule in rules if not rule.approvers & approved_by]
