"""CLI commands for GitHub: ``github report``, ``github review-check`` and ``codeowners``.

Thin wiring: the pure rules and texts live in ``controller.github``; this module reads the
settings, the catalog and the artifact, calls the adapter and prints what it did.
"""

from __future__ import annotations

from pathlib import Path

import click

from controller.config import load_config
from controller.errors import UntrustedInputError, WagonyardError

repo_option = click.option(
    "--repo",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The repository (wagonyard.yaml and catalog/); in the report workflow, the default "
    "branch's checkout, never the pull request's.",
)


def _members(repo: Path) -> dict[str, list[str]]:
    """Each valid analysis's members; the tasks are not imported (ownership needs no code)."""
    from controller.catalog.loader import scan_catalog

    catalog = scan_catalog(repo / "catalog", repo, tasks=False).catalog
    return {name: list(e.model.members) for name, e in catalog.analyses.items()}


def _same_head(number: int, actual: str, expected: str | None) -> None:
    if expected is not None and actual != expected.strip():
        raise UntrustedInputError(
            f"pull request #{number} has head {actual[:10]}, but the workflow ran on "
            f"{expected.strip()[:10]}: the artifact names another pull request (or a newer push "
            "came in); refused, nothing was posted"
        )


@click.group("github")
def github_group() -> None:
    """Report to pull requests on GitHub and check their reviews (needs github: in wagonyard.yaml)."""


@github_group.command("report")
@click.option(
    "--pr", "pr_text", required=True, help="The pull request's number (from the artifact)."
)
@click.option(
    "--report",
    "report_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The wagon-test report (wagon-tests.json from 'wagonyard test --json').",
)
@click.option(
    "--head",
    default=None,
    help="The commit the tests ran on (the workflow run's head_sha): the pull request's head "
    "must be this commit, else nothing is posted.",
)
@repo_option
def report_command(pr_text: str, report_path: Path, head: str | None, repo: Path) -> None:
    """Post the wagon-test summary: one comment updated in place, and a check run."""
    from controller.github.artifact import pull_request_number, read_report
    from controller.github.checks import wagon_tests_check
    from controller.github.client import connect, token_from
    from controller.github.comment import comment_body
    from controller.github.pulls import head_of, post_check, upsert_comment

    number = pull_request_number(pr_text)
    report = read_report(report_path)
    config = load_config(repo)
    session = connect(config.github, token_from(config.github))
    actual = head_of(session, number)
    _same_head(number, actual, head)
    done, comment_id = upsert_comment(session, number, comment_body(report, config.site.url))
    check = wagon_tests_check(report)
    written, _ = post_check(session, actual, check)
    click.echo(f"comment {comment_id} on pull request #{number}: {done}")
    click.echo(
        f"check run {check.name} on {actual[:10]}: {written}: {check.conclusion} ({check.title})"
    )


@github_group.command("review-check")
@click.option("--pr", "pr_text", required=True, help="The pull request's number.")
@click.option("--head", default=None, help="Refuse unless the pull request's head is this commit.")
@repo_option
def review_check_command(pr_text: str, head: str | None, repo: Path) -> None:
    """Check that every changed part of the catalog is approved by its owners; post a check run."""
    from controller.github.artifact import pull_request_number
    from controller.github.checks import REVIEWS, CheckResult
    from controller.github.client import connect, token_from
    from controller.github.pulls import post_check, read_pull_request, team_members
    from controller.github.reviews import Owners, approvers, missing, rules_for

    number = pull_request_number(pr_text)
    config = load_config(repo)
    settings = config.github
    members = _members(repo)
    session = connect(settings, token_from(settings))
    pull = read_pull_request(session, number)
    _same_head(number, pull.head, head)
    owners = Owners(members, settings.operators_team, settings.data_quality_team)
    teams = {
        t
        for t in (settings.operators_team, settings.data_quality_team)
        if t and any(f"@{t}" in r.who for r in rules_for(pull.changed, owners))
    }
    owners = Owners(
        members,
        settings.operators_team,
        settings.data_quality_team,
        {t: team_members(session, t) for t in sorted(teams)},
    )
    rules = rules_for(pull.changed, owners)
    approved = approvers(pull.reviews, pull.author)
    lacking = missing(rules, approved)
    lines = []
    for rule in rules:
        by = sorted(rule.approvers & approved)
        if by:
            names = ", ".join(f"@{b}" for b in by)
            lines.append(f"- ✅ **{rule.what}**: approved by {names} ({rule.who})")
        else:
            lines.append(
                f"- ❌ **{rule.what}**: needs an approval from {rule.who}, other than the "
                f"author @{pull.author}"
            )
    if not rules:
        summary = "No catalog part with an owner is changed: no approval is required here."
    else:
        summary = "\n".join(lines)
    title = (
        f"missing {len(lacking)} approval(s): " + ", ".join(r.what for r in lacking)
        if lacking
        else "every changed part is approved by its owners"
    )
    check = CheckResult(REVIEWS, "failure" if lacking else "success", title, summary)
    post_check(session, pull.head, check)
    click.echo(f"check run {check.name} on {pull.head[:10]}: {check.conclusion}: {title}")
    for line in lines:
        click.echo(line)


@click.command("codeowners")
@click.option(
    "--check", is_flag=True, help="Fail if .github/CODEOWNERS is not what the catalog says."
)
@repo_option
def codeowners_command(check: bool, repo: Path) -> None:
    """Write .github/CODEOWNERS from the catalog: analyses by their members, the rest by teams."""
    from controller.github.codeowners import PATH, codeowners

    settings = load_config(repo).github
    text = codeowners(_members(repo), settings.operators_team, settings.data_quality_team)
    path = repo / PATH
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if check:
        if current != text:
            raise WagonyardError(
                f"{path} is stale: it does not match the catalog's analyses and wagonyard.yaml's "
                "teams; run 'wagonyard codeowners' and commit it"
            )
        click.echo(f"{path} matches the catalog")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}" if current != text else f"{path} was already current")
