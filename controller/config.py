"""The repository's own settings: ``wagonyard.yaml`` beside ``catalog/``.

Which grid backend runs trains (``local`` by default, ``slurm`` when one machine is not
enough), overridable with ``WAGONYARD_GRID``; where the history is kept. Read once and passed
on as a frozen model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from controller.errors import WagonyardError
from controller.storage.client import DEFAULT_TIMEOUT_S

FILE_NAME = "wagonyard.yaml"
BACKENDS = ("local", "slurm")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalSite(_Model):
    slots: int = Field(1, ge=1, description="Jobs this site runs at once.")


class LocalGrid(_Model):
    slots: int | None = Field(
        None, ge=1, description="Jobs run at once; default one per core (WAGONYARD_LOCAL_SLOTS)."
    )
    sites: dict[str, LocalSite] = Field(
        default_factory=dict,
        description="Several sites on this machine, each with its own slots (slots is then "
        "ignored); a job waits for a site local to its files' storage elements until locality "
        "is relaxed. None: one site, 'local'.",
    )


class SlurmGrid(_Model):
    partition: str | None = Field(None, description="The partition jobs go to; default Slurm's.")
    site_features: bool = Field(
        False,
        description="Sites are node features (slurm.conf's Features=): a job local to sites a "
        "and b is submitted with --constraint='a|b' until locality is relaxed.",
    )


class Grid(_Model):
    backend: Literal["local", "slurm"] = Field(
        "local", description="Where train jobs run; the environment variable WAGONYARD_GRID wins."
    )
    merge_fan_in: int = Field(
        16, ge=2, description="How many outputs one merging job adds together."
    )
    local: LocalGrid = Field(default_factory=LocalGrid)
    slurm: SlurmGrid = Field(default_factory=SlurmGrid)


class StorageElement(_Model):
    url: str = Field(
        description="Where its files are: an XRootD URL such as 'root://host:1094//' or "
        "'root://host:1094//store', or a local directory. A dataset's relative paths on this "
        "storage element are read under it."
    )
    site: str | None = Field(
        None, description="The site it is local to (jobs reading it run there); default its name."
    )


class Storage(_Model):
    elements: dict[str, StorageElement] = Field(
        default_factory=dict, description="The storage elements datasets name, by name."
    )
    output: str | None = Field(
        None,
        description="The storage element a train's merged AnalysisResults.root is copied to "
        "(under trains/<train_id>/) and verified on; none: it stays in the controller's home.",
    )
    timeout_s: int = Field(
        DEFAULT_TIMEOUT_S,
        ge=1,
        description="How long a job waits for a storage element that does not answer before it "
        "tries another replica (XRootD's connection window).",
    )

    def site_of(self, name: str) -> str:
        element = self.elements.get(name)
        return (element.site if element else None) or name

    def output_url(self) -> str | None:
        if self.output is None:
            return None
        return join_url(self.elements[self.output].url, "trains")

    @model_validator(mode="after")
    def _known_output(self) -> Storage:
        if self.output is not None and self.output not in self.elements:
            known = ", ".join(sorted(self.elements)) or "none is configured"
            raise ValueError(f"output: '{self.output}' is not a storage element ({known})")
        return self


def join_url(base: str, path: str) -> str:
    """``path`` under a storage element's URL or directory ('root://h//' + 'a/b' → 'root://h//a/b')."""
    if base.endswith("//") or not base.endswith("/"):
        return base + ("" if base.endswith("/") else "/") + path
    return base + path


class History(_Model):
    branch: str = Field("wagonyard/history", description="The branch train runs are recorded on.")
    remote: str | None = Field("origin", description="Pushed there after each record, if set.")


class Controller(_Model):
    home: str | None = Field(
        None,
        description="Where the controller keeps its grid state, outputs, materialised code "
        "and tests; default <repository>/.git/wagonyard. Jobs on other hosts must see it.",
    )
    main: str = Field("main", description="The branch holding the desired state.")
    lease_s: int = Field(
        300,
        ge=5,
        description="How long a controller's lease on the history branch lasts without a "
        "commit renewing it; another controller acts only once it has lapsed.",
    )
    approvals_file: str | None = Field(
        None,
        description="A YAML list of pull-request approvals ({pull_request, by, head}); used "
        "where github.repository is not configured.",
    )


class Notifications(_Model):
    smtp_host: str | None = Field(
        None, description="The SMTP server; none: notifications are recorded, not mailed."
    )
    smtp_port: int = Field(25, ge=1, le=65535)
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    username: str | None = None
    password_env: str | None = Field(
        None, description="The environment variable holding the SMTP password (never the file)."
    )
    sender: str = Field("wagonyard@localhost", description="The From: address.")
    member_address: str = Field(
        "{login}@users.noreply.github.com",
        description="An analysis member's address, from their GitHub login.",
    )
    site_url: str | None = Field(
        None,
        description="The status site's address, for links to a train's page; default site.url.",
    )


class SiteSettings(_Model):
    url: str | None = Field(
        None,
        description="Where the status site is published (e.g. https://org.github.io/repo/); "
        "links in e-mails and pull-request comments point there.",
    )
    repo_url: str | None = Field(
        None,
        description="The repository's web address (e.g. https://github.com/org/repo); the "
        "site links commits and pull requests there.",
    )
    title: str = Field("wagonyard", description="The site's name, shown on every page.")


class GitHubSettings(_Model):
    repository: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="The repository on GitHub as owner/name; set it to report to pull requests "
        "and to take the reconciler's approvals from GitHub reviews.",
    )
    api_url: str = Field("https://api.github.com", description="GitHub's REST API address.")
    token_env: str = Field(
        "GITHUB_TOKEN", description="The environment variable holding the token (never the file)."
    )
    operators_team: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="org/team-slug of the operators: they own datasets and train requests.",
    )
    data_quality_team: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="org/team-slug of the data-quality team: they own the run lists.",
    )


class Config(_Model):
    """wagonyard.yaml: the settings of a wagonyard repository."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="wagonyard settings")

    grid: Grid = Field(default_factory=Grid)
    history: History = Field(default_factory=History)
    controller: Controller = Field(default_factory=Controller)
    notifications: Notifications = Field(default_factory=Notifications)
    site: SiteSettings = Field(default_factory=SiteSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    storage: Storage = Field(default_factory=Storage)

    def backend(self) -> str:
        chosen = os.environ.get("WAGONYARD_GRID") or self.grid.backend
        if chosen not in BACKENDS:
            raise WagonyardError(
                f"WAGONYARD_GRID={chosen!r} is not a grid backend; use one of {', '.join(BACKENDS)}"
            )
        return chosen


def load_config(repo_root: Path) -> Config:
    """The settings in ``repo_root/wagonyard.yaml``, or the defaults where there is none."""
    path = repo_root / FILE_NAME
    if not path.is_file():
        return Config()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Config.model_validate(data)
    except yaml.YAMLError as exc:
        raise WagonyardError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WagonyardError(f"{path}: {where}: {first['msg']}") from exc
