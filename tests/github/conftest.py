"""Fixtures of the GitHub tests: the cut API description (once per session) and a fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_core import OpenAPI

from controller.config import GitHubSettings
from controller.github.client import Pacing, Session, connect
from tests.github.fakegithub import FakeGitHub
from tests.github.openapi import SPEC, load_cut

FAST = Pacing(
    retries=3,
    backoff_s=0.01,
    max_rate_limit_wait_s=30,
    between_requests_s=0,
    between_writes_s=0,
    timeout_s=10,
)


@pytest.fixture(scope="session")
def github_api(tmp_path_factory: pytest.TempPathFactory) -> tuple[OpenAPI, dict[str, object]]:
    if not SPEC.is_file():
        pytest.fail(f"{SPEC} is missing: run 'bash scripts/install.sh --test'")
    spec = load_cut(tmp_path_factory.mktemp("openapi") / "github-cut.json")
    return OpenAPI.from_dict(spec), spec["components"]["examples"]


@pytest.fixture
def fake_github(github_api: tuple[OpenAPI, dict[str, object]]) -> Iterator[FakeGitHub]:
    api, examples = github_api
    fake = FakeGitHub(api, examples).start()  # type: ignore[arg-type]
    yield fake
    fake.stop()
    assert fake.problems == [], "GitHub's API description does not allow:\n" + "\n".join(
        fake.problems
    )


@pytest.fixture
def settings(fake_github: FakeGitHub) -> GitHubSettings:
    return GitHubSettings(
        repository="wagonyard/wagonyard",
        api_url=fake_github.url,
        operators_team="wagonyard/operators",
        data_quality_team="wagonyard/data-quality",
    )


@pytest.fixture
def session(settings: GitHubSettings) -> Session:
    return connect(settings, "test-token", FAST)


@pytest.fixture
def repo(tmp_path: Path, settings: GitHubSettings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository folder: the example catalog and a wagonyard.yaml pointing at the fake."""
    import shutil

    from tests.conftest import EXAMPLE_CATALOG

    shutil.copytree(
        EXAMPLE_CATALOG, tmp_path / "catalog", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "wagonyard.yaml").write_text(
        "github:\n"
        f"  repository: {settings.repository}\n"
        f"  api_url: {settings.api_url}\n"
        f"  operators_team: {settings.operators_team}\n"
        f"  data_quality_team: {settings.data_quality_team}\n"
        "site:\n  url: https://wagonyard.github.io/wagonyard/\n"
    )
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    return tmp_path
