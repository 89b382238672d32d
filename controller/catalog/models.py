"""The catalog's file kinds as frozen pydantic models: analysis, wagon, dataset, run list, and
the operators' train requests.

These models are the one source of truth: ``schema/*.json`` is generated from them and every
catalog file is validated by them. Pure: no I/O, no imports of git, grids, uproot or the site.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from controller.catalog.cron import EXAMPLE as CRON_EXAMPLE
from controller.catalog.cron import cron_problem

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
GITHUB_LOGIN_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$"

Name = Annotated[
    str,
    Field(
        pattern=NAME_PATTERN,
        max_length=64,
        description="Lower-case letters, digits, '-' and '_', starting with a letter or digit; "
        "equals the file name without '.yaml'.",
    ),
]
WAGON_REF_PATTERN = r"^([a-z0-9][a-z0-9_-]*/)?[a-z0-9][a-z0-9_-]*$"
WagonRef = Annotated[
    str,
    Field(
        pattern=WAGON_REF_PATTERN,
        description="A wagon of the same analysis ('muon-selection') or of another analysis, "
        "for example a service analysis ('common/event-selection').",
    ),
]
ConfigValue = Any
TRAIN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

RULE_ERROR = "catalog_rule"
"""The pydantic error type of a broken catalog rule; its context holds a 'hint' and 'at', the
sibling field to point at when the field itself is not in the file."""


def _rule(message: str, hint: str = "", at: str = "") -> PydanticCustomError:
    return PydanticCustomError(RULE_ERROR, message, {"hint": hint, "at": at})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


# --------------------------------------------------------------------------- analysis


class Analysis(_Model):
    """An analysis: a physics measurement owned by a group of analysts, holding wagons."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="wagonyard analysis",
        json_schema_extra={"$comment": "catalog/analyses/<name>/analysis.yaml"},
    )

    kind: Literal["analysis"] = Field(
        "analysis", description="The file kind; optional, 'analysis' if given."
    )
    name: Name
    title: str = Field(min_length=1, max_length=200, description="A one-line human title.")
    group: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_ -]*$",
        max_length=64,
        description="The physics working group (PWG) that reviews the analysis, e.g. 'EW', 'HF'.",
    )
    members: list[Annotated[str, Field(pattern=GITHUB_LOGIN_PATTERN)]] = Field(
        min_length=1,
        description="GitHub logins of the analysts who may change the analysis's wagons; "
        "at least one. Their approval is required on pull requests touching the analysis.",
    )
    description: str = Field("", max_length=20_000, description="What the analysis measures.")
    notify: list[str] = Field(
        default_factory=list,
        description="E-mail addresses told when a train of this analysis finishes or fails.",
    )


# --------------------------------------------------------------------------- wagon


class CodeFromComposition(_Model):
    """Run the analysis code as it is at the catalog commit the train is composed from."""

    source: Literal["composition"] = Field(
        description="The catalog commit at the time the train is composed (the default)."
    )


class CodeFromTag(_Model):
    """Run the analysis code of a fixed git tag (reproducible, pinned)."""

    source: Literal["tag"] = Field(description="A fixed git tag of the repository.")
    tag: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", max_length=128, description="The git tag."
    )


class CodeFromPullRequest(_Model):
    """Run the analysis code of an open pull request (test trains before merging)."""

    source: Literal["pull-request"] = Field(description="The head commit of a pull request.")
    pull_request: int = Field(ge=1, description="The pull request number.")


CodeVersion = Annotated[
    CodeFromComposition | CodeFromTag | CodeFromPullRequest,
    Field(discriminator="source"),
]


class Enabled(_Model):
    """One dataset the wagon runs on, and which version of the code it runs."""

    dataset: Name = Field(description="The name of a dataset in catalog/datasets/.")
    code: CodeVersion = Field(
        default_factory=lambda: CodeFromComposition(source="composition"),
        description="How the code version is chosen: the commit at composition (default), a "
        "fixed tag, or a pull request.",
    )


class ClonedFrom(_Model):
    """Where a wagon was cloned from (``wagonyard wagon clone``)."""

    wagon: WagonRef = Field(description="The wagon it was copied from, 'analysis/wagon'.")
    commit: str = Field(
        pattern=r"^([0-9a-f]{7,64}|working-tree)$",
        description="The repository's commit it was copied at ('working-tree' if uncommitted).",
    )


class Wagon(_Model):
    """A wagon: an analysis task with its configuration, enabled on some datasets."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="wagonyard wagon",
        json_schema_extra={"$comment": "catalog/analyses/<analysis>/wagons/<name>.yaml"},
    )

    kind: Literal["wagon"] = Field("wagon", description="The file kind; optional.")
    name: Name
    task: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$",
        description="The task class as 'module:Class'. The module is looked up first in the "
        "analysis folder (for example 'tasks:DimuonMass' is tasks.py beside analysis.yaml), then "
        "among installed packages, which must then be pinned in 'package'.",
    )
    package: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$",
        description="For a task from an installed package: the pinned requirement, "
        "'name==version'.",
    )
    config: dict[str, ConfigValue] = Field(
        default_factory=dict,
        description="Values of the task's configurables; keys the task does not declare are "
        "errors. Unset configurables keep the task's defaults.",
    )
    variants: dict[Name, dict[str, ConfigValue]] = Field(
        default_factory=dict,
        description="Subwagons: name -> overrides of keys of 'config'. Each variant runs as its "
        "own copy of the task in the same train; its outputs carry the suffix '_<variant>'.",
    )
    depends_on: list[WagonRef] = Field(
        default_factory=list,
        description="Wagons whose derived columns this wagon reads; they run first in the same "
        "train, even where they are not enabled themselves.",
    )
    enabled: list[Enabled] = Field(
        default_factory=list, description="The datasets the wagon runs on."
    )
    description: str = Field("", max_length=20_000, description="What the wagon computes.")
    cloned_from: ClonedFrom | None = Field(
        None, description="Set by 'wagonyard wagon clone': the wagon and commit it copies."
    )


# --------------------------------------------------------------------------- dataset


class DatasetType(StrEnum):
    DATA = "data"
    MC = "mc"
    DERIVED = "derived"


class FilePattern(_Model):
    """Files found by expanding '{run}' over the good runs of the run list, then a glob."""

    pattern: str = Field(
        min_length=1,
        description="A path or URL with '{run}', for example 'zmumu-large/run{run}/*.root'. "
        "Relative paths are under the data directory (--data-dir or WAGONYARD_DATA).",
    )
    storage_element: str | None = Field(
        None, description="Where these files live (a site or storage element name)."
    )


class FileList(_Model):
    """An explicit list of files, optionally grouped by storage element."""

    paths: list[str] = Field(
        min_length=1,
        description="Absolute paths, '~/...', 'file://' URLs, paths relative to the data "
        "directory (--data-dir or WAGONYARD_DATA, else ./data), remote URLs (root://, https://), "
        "or 'testdata:<name>' for a file bundled with scikit-hep-testdata.",
    )
    storage_element: str | None = Field(
        None,
        description="Where these files live: a storage element of wagonyard.yaml's "
        "storage.elements (relative paths are then read under its URL), or a site name.",
    )
    replicas: list[str] = Field(
        default_factory=list,
        description="Other storage elements holding a copy of these files at the same relative "
        "paths; a job reads its own site's copy first and another when one is unreadable.",
    )

    @model_validator(mode="after")
    def _replicas_need_an_element(self) -> FileList:
        if self.replicas and self.storage_element is None:
            raise ValueError("replicas: name the files' own storage_element too")
        if self.storage_element in self.replicas:
            raise ValueError(f"replicas: '{self.storage_element}' is the files' storage_element")
        return self


class TestSample(_Model):
    """The small sample that wagon tests run on."""

    files: int = Field(1, ge=1, le=100, description="How many of the dataset's first files.")
    events: int | None = Field(
        10_000, ge=1, description="At most this many events (all of them if null)."
    )


class Splitting(_Model):
    """How the dataset's files become grid jobs."""

    files_per_job: int = Field(1, ge=1, le=10_000, description="Files read by one job.")
    events_per_job: int | None = Field(
        None,
        ge=100,
        description="If set, files are cut into jobs of at most this many events instead.",
    )
    max_attempts: int = Field(
        3, ge=1, le=10, description="How many times a failed job is submitted in all."
    )
    skip_bad_files: bool = Field(
        False,
        description="If true, a corrupt or unreadable input file is skipped and recorded in the "
        "job's report instead of failing the job.",
    )


class Limits(_Model):
    """Resource limits: above them a wagon test warns (see the docs for each judgement)."""

    memory_mb: int = Field(2000, ge=100, description="Maximum PSS of a job in MB.")
    cpu_ms_per_event: float = Field(
        5.0, gt=0, description="CPU time per event (ms) above which a test warns."
    )
    output_mb: float = Field(100.0, gt=0, description="Maximum output size of a job in MB.")
    log_kb: int = Field(1024, ge=1, description="Maximum log size of a job in kB.")
    job_timeout_s: int = Field(3600, ge=10, description="A job running longer is killed.")
    test_timeout_s: int = Field(
        300, ge=5, description="A wagon test running longer is killed and marked failed."
    )


class Schedule(_Model):
    """When automatic trains run on this dataset."""

    cron: str | None = Field(
        None,
        pattern=r"^(\S+\s+){4}\S+$",
        description="A cron expression of exactly 5 fields (minute, hour, day of month, month, "
        "day of week; UTC) as croniter reads them, for example '0 2 * * *' for every day at "
        "02:00; no seconds field, no '@daily' nicknames. Null for trains started by hand only.",
    )
    min_wagons: int = Field(
        1, ge=1, description="An automatic train starts only with at least this many wagons."
    )
    policy: Literal["slow", "express"] = Field(
        "slow",
        description="'slow' waits for every job; 'express' stops once 98 % are done and the "
        "rest run far longer than typical.",
    )
    relax_locality: bool = Field(
        True,
        description="Once 90 % of the jobs are done, jobs still waiting for their storage "
        "element's own site may run anywhere.",
    )
    allow_warnings: bool = Field(
        False,
        description="Whether wagons whose latest test has only warnings may be composed into "
        "this dataset's trains (otherwise only wagons whose test is 'done').",
    )

    @field_validator("cron", mode="before")
    @classmethod
    def _cron_expression(cls, value: Any) -> Any:
        if isinstance(value, str):
            problem = cron_problem(value)
            if problem is not None:
                raise _rule(problem, CRON_EXAMPLE)
        return value


class Dataset(_Model):
    """A dataset: files of events of one period, with splitting rules and limits."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="wagonyard dataset",
        json_schema_extra={
            "$comment": "catalog/datasets/<name>.yaml",
            # the schema's form of _data_needs_runlist, so that editors flag it too
            "if": {"properties": {"type": {"const": "data"}}, "required": ["type"]},
            "then": {"properties": {"runlist": {"type": "string"}}, "required": ["runlist"]},
            "allOf": [
                {
                    "if": {
                        "properties": {
                            "type": {"const": "data"},
                            "files": {"contains": {"required": ["paths"]}},
                        },
                        "required": ["type", "files"],
                    },
                    "then": {
                        "properties": {"run_branch": {"type": "string"}},
                        "required": ["run_branch"],
                    },
                }
            ],
        },
    )

    kind: Literal["dataset"] = Field("dataset", description="The file kind; optional.")
    name: Name
    title: str = Field("", max_length=200, description="A one-line human title.")
    type: DatasetType = Field(description="'data', 'mc' (simulation) or 'derived'.")
    system: str = Field(
        pattern=r"^[A-Za-z]+-?[A-Za-z]+$",
        description="The collision system, for example 'pp', 'p-Pb', 'Pb-Pb'.",
    )
    energy_tev: float = Field(gt=0, le=1000, description="Centre-of-mass energy in TeV.")
    period: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", description="The data-taking period."
    )
    runlist: Name | None = Field(
        None, description="The run list in catalog/runlists/ (required for 'data')."
    )
    tree: str = Field(min_length=1, description="The name of the TTree in every file.")
    run_branch: str | None = Field(
        None,
        min_length=1,
        description="The branch holding each event's run number (for example 'run' in NanoAOD). "
        "For a dataset of type 'data' the run list is applied to every event through it: events "
        "of runs marked 'bad' or missing from the run list are not processed, and the train "
        "record counts them. Required for 'data' with 'paths'; with a '{run}' pattern the run "
        "also comes from the path, and files of unusable runs are not read at all.",
    )
    branches: list[str] | None = Field(
        None,
        description="The tree's branches, for 'wagonyard validate' to check the columns wagons "
        "read without opening a file; if null, it reads them from the first file when it can.",
    )
    files: list[FileList | FilePattern] = Field(
        min_length=1, description="Where the files are: explicit lists and/or patterns."
    )
    test_sample: TestSample = Field(default_factory=TestSample)
    splitting: Splitting = Field(default_factory=Splitting)
    limits: Limits = Field(default_factory=Limits)
    schedule: Schedule = Field(default_factory=Schedule)
    description: str = Field("", max_length=20_000)

    @model_validator(mode="after")
    def _data_needs_runlist(self) -> Dataset:
        if self.type is DatasetType.DATA and self.runlist is None:
            raise ValueError("a dataset of type 'data' needs a 'runlist'")
        listed = any(isinstance(f, FileList) for f in self.files)
        if self.type is DatasetType.DATA and listed and self.run_branch is None:
            raise ValueError(
                "a dataset of type 'data' with 'paths' needs a 'run_branch' (the branch holding "
                "each event's run number), so that its run list can be applied"
            )
        return self


# --------------------------------------------------------------------------- run list


class Quality(StrEnum):
    GOOD = "good"
    BAD = "bad"
    LIMITED = "limited"


class Run(_Model):
    """One run and its data-quality flag."""

    run: int = Field(ge=1, le=2**31 - 1, description="The run number.")
    quality: Quality = Field(
        Quality.GOOD, description="'good', 'limited' (usable with care) or 'bad' (excluded)."
    )
    comment: str = Field("", max_length=2000)


class RunList(_Model):
    """A run list maintained by the data-quality group."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="wagonyard run list",
        json_schema_extra={"$comment": "catalog/runlists/<name>.yaml"},
    )

    kind: Literal["runlist"] = Field("runlist", description="The file kind; optional.")
    name: Name
    period: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    runs: list[Run] = Field(min_length=1)
    description: str = Field("", max_length=20_000)

    def usable_runs(self) -> list[int]:
        """Runs that trains read: good and limited, never bad."""
        return [r.run for r in self.runs if r.quality != Quality.BAD]


# --------------------------------------------------------------------------- train request

_ALLOWED_WITH = {"dataset": ("run",), "wagons": ("run",), "train": ("kill", "retry")}
"""The actions each field belongs to: required with them (but 'wagons'), refused with others."""
_WITHOUT = {
    "dataset": "the train names its dataset",
    "train": "it starts a new train; to run a failed one again, use action: retry",
    "wagons": "it acts on the train's own wagons",
}
_ADD = {
    "dataset": "add 'dataset: <name>', a dataset of catalog/datasets/",
    "train": "add 'train: <train id>', as the train's record and page show it",
}


class TrainRequest(_Model):
    """An operator's request, merged as a file: run a train now, kill one, or retry a failed one."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="wagonyard train request",
        json_schema_extra={
            "$comment": "catalog/trains/<name>.yaml",
            # the schema's form of _fits_the_action, so that editors flag it too
            "allOf": [
                {
                    "if": {"properties": {"action": {"const": "run"}}, "required": ["action"]},
                    "then": {
                        "properties": {"dataset": {"type": "string"}, "train": {"type": "null"}},
                        "required": ["dataset"],
                    },
                },
                {
                    "if": {
                        "properties": {"action": {"enum": ["kill", "retry"]}},
                        "required": ["action"],
                    },
                    "then": {
                        "properties": {
                            "train": {"type": "string"},
                            "dataset": {"type": "null"},
                            "wagons": {"maxItems": 0},
                        },
                        "required": ["train"],
                    },
                },
            ],
        },
    )

    kind: Literal["train-request"] = Field("train-request", description="The file kind; optional.")
    name: Name
    action: Literal["run", "kill", "retry"] = Field(
        description="'run': compose a train on 'dataset' and start it now; 'kill': stop the "
        "running train 'train'; 'retry': run the failed train 'train' again."
    )
    dataset: Name | None = Field(
        None,
        validate_default=True,
        description="For 'run', required: the dataset in catalog/datasets/ the train reads. "
        "Not allowed with 'kill' and 'retry'.",
    )
    wagons: list[WagonRef] = Field(
        default_factory=list,
        description="For 'run' only: the wagons of the train, as 'analysis/wagon' (or 'wagon' "
        "where one analysis only has a wagon of that name), each enabled on 'dataset'. Empty "
        "(the default): every wagon ready on the dataset.",
    )
    train: str | None = Field(
        None,
        pattern=TRAIN_ID_PATTERN,
        max_length=200,
        validate_default=True,
        description="For 'kill' and 'retry', required: the id of the train. Not allowed with "
        "'run'.",
    )
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="Why the operator asks; kept with what the controller does about it.",
    )
    requested_by: str | None = Field(
        None, pattern=GITHUB_LOGIN_PATTERN, description="The GitHub login of who asks."
    )

    @field_validator("dataset", "train", "wagons", mode="after")
    @classmethod
    def _fits_the_action(cls, value: Any, info: ValidationInfo) -> Any:
        action = info.data.get("action")  # absent if invalid: that is its own problem
        field = info.field_name or ""
        if action is None:
            return value
        if action in _ALLOWED_WITH[field]:
            if value is None:
                raise _rule(f"a '{action}' request needs '{field}'", _ADD[field], at="action")
        elif value not in (None, []):
            raise _rule(
                f"a '{action}' request takes no '{field}': {_WITHOUT[field]}",
                f"remove '{field}'",
            )
        return value


KINDS: dict[str, type[_Model]] = {
    "analysis": Analysis,
    "wagon": Wagon,
    "dataset": Dataset,
    "runlist": RunList,
    "train-request": TrainRequest,
}
