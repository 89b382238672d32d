"""``wagonyard codeowners``: CODEOWNERS from the catalog, and ``--check`` when it goes stale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from controller.github.codeowners import codeowners
from tests.conftest import REPO, CliResult

Cli = Callable[..., CliResult]


def test_analyses_are_owned_by_their_members_and_the_rest_by_the_teams() -> None:
    text = codeowners(
        {"zmumu": ["alice", "bob"], "hzz": ["carol"]}, "org/operators", "org/data-quality"
    )
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [
        "/catalog/analyses/hzz/ @carol",
        "/catalog/analyses/zmumu/ @alice @bob",
        "/catalog/datasets/ @org/operators",
        "/catalog/trains/ @org/operators",
        "/catalog/runlists/ @org/data-quality",
    ]


def test_check_fails_once_the_catalog_changes_and_passes_after_writing(
    wagonyard: Cli, tmp_path: Path
) -> None:
    import shutil

    shutil.copytree(
        REPO / "catalog", tmp_path / "catalog", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "wagonyard.yaml", tmp_path / "wagonyard.yaml")
    assert wagonyard("codeowners", "--repo", str(tmp_path)).code == 0
    assert wagonyard("codeowners", "--check", "--repo", str(tmp_path)).code == 0
    analysis = tmp_path / "catalog/analyses/zmumu/analysis.yaml"
    analysis.write_text(
        analysis.read_text().replace("[alice-analyst,", "[alice-analyst, newcomer,")
    )
    stale = wagonyard("codeowners", "--check", "--repo", str(tmp_path))
    assert stale.code == 1 and "CODEOWNERS is stale" in stale.err
    assert wagonyard("codeowners", "--repo", str(tmp_path)).code == 0
    assert "@newcomer" in (tmp_path / ".github/CODEOWNERS").read_text()


def test_the_repositorys_codeowners_is_current(wagonyard: Cli) -> None:
    result = wagonyard("codeowners", "--check", "--repo", str(REPO))
    assert result.code == 0, result.err
