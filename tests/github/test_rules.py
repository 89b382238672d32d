"""The pure parts: who must approve what, which reviews count, the comment's text."""

from __future__ import annotations

from controller.github.comment import MARKER, MAX_CHARS, comment_body, is_ours, wagon_url
from controller.github.reviews import Owners, Review, approvers, missing, rules_for
from tests.github.reports import report

OWNERS = Owners({"zmumu": ["Alice", "bob"]}, "org/ops", "org/dq", {"org/ops": ["olga"]})


def test_paths_map_to_their_owners_and_a_new_analysis_needs_the_operators() -> None:
    rules = rules_for(
        [
            "catalog/analyses/zmumu/wagons/mass.yaml",
            "catalog/analyses/zmumu/tasks.py",
            "catalog/analyses/brand-new/analysis.yaml",
            "catalog/trains/rerun.yaml",
            "README.md",
            "controller/cli.py",
        ],
        OWNERS,
    )
    assert [(r.what, sorted(r.approvers)) for r in rules] == [
        ("new analysis brand-new", ["olga"]),
        ("analysis zmumu", ["alice", "bob"]),
        ("train requests", ["olga"]),
    ]
    assert rules[1].paths == (
        "catalog/analyses/zmumu/tasks.py",
        "catalog/analyses/zmumu/wagons/mass.yaml",
    )


def test_the_latest_decisive_review_counts_logins_ignore_case_and_the_author_never_does() -> None:
    reviews = [
        Review("ALICE", "APPROVED", "a1"),
        Review("bob", "APPROVED", "a1"),
        Review("bob", "DISMISSED", "a1"),
        Review("carol", "CHANGES_REQUESTED", "a1"),
        Review("carol", "APPROVED", "a2"),
        Review("carol", "COMMENTED", "a2"),
    ]
    assert approvers(reviews, author="nobody") == {"alice", "carol"}
    assert approvers(reviews, author="Alice") == {"carol"}
    assert approvers(reviews, author="nobody", head="a2") == {"carol"}
    rules = rules_for(["catalog/analyses/zmumu/x.yaml"], OWNERS)
    assert missing(rules, {"carol"}) == rules and missing(rules, {"alice"}) == []


def test_the_comment_carries_the_marker_links_safe_pages_and_fits_github() -> None:
    body = comment_body(report(), "https://example.org/site/")
    assert body.startswith(MARKER) and is_ours(body) and not is_ours("quoting " + MARKER)
    assert "(https://example.org/site/wagons/zmumu/mass.html)" in body
    assert wagon_url("https://x/", "a b/../c") == "https://x/wagons/a_b/_c.html"
    big = report()
    big.selected = {f"zmumu/w{i}": "x" * 200 for i in range(600)}
    long_body = comment_body(big)
    assert len(long_body) <= MAX_CHARS and long_body.rstrip().endswith("artifact)*")


def test_mentions_in_a_report_notify_nobody() -> None:
    """A wagon's exception saying '@everyone' or '@org/team' reaches GitHub with the mention
    broken, in the comment and in the check run; e-mail addresses and code stay as written."""
    from controller.github.checks import wagon_tests_check

    loud = report("failed", "ValueError: ping @everyone and @org/team, mail a@b.org, `@decorator`")
    body = comment_body(loud)
    check = wagon_tests_check(loud)
    for text in (body, check.text):
        assert "@everyone" not in text and "@org/team" not in text
        assert "@\u200beveryone" in text and "a@b.org" in text and "`@decorator`" in text
