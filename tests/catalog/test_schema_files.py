"""The schema files are generated from the models, current, and accept the example catalog;
every example file tells editors which schema it follows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from controller.catalog.schema import schemas
from tests.conftest import EXAMPLE_CATALOG, REPO, SCHEMA_DIR, CliResult

Run = Callable[..., CliResult]


def kind_of(path: Path) -> str:
    rel = path.relative_to(EXAMPLE_CATALOG).parts
    if rel[0] == "analyses":
        return "analysis" if rel[-1] == "analysis.yaml" else "wagon"
    return {"datasets": "dataset", "runlists": "runlist"}[rel[0]]


EXAMPLES = sorted(EXAMPLE_CATALOG.rglob("*.yaml"))


def test_the_example_catalog_has_files_of_every_kind() -> None:
    assert {kind_of(p) for p in EXAMPLES} == {"analysis", "wagon", "dataset", "runlist"}


def test_schema_check_passes_on_the_repository(wagonyard: Run) -> None:
    result = wagonyard("schema", "--check", "--dir", str(SCHEMA_DIR))
    assert result.code == 0, result.output
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")) == sorted(schemas())


def test_schema_check_fails_when_a_schema_is_edited_or_missing(
    tmp_path: Path, wagonyard: Run
) -> None:
    copy = tmp_path / "schema"
    shutil.copytree(SCHEMA_DIR, copy)
    wagon = copy / "wagon.schema.json"
    text = wagon.read_text()
    assert '"title": "wagonyard wagon"' in text
    wagon.write_text(text.replace('"title": "wagonyard wagon"', '"title": "my wagon"'))
    (copy / "runlist.schema.json").unlink()
    result = wagonyard("schema", "--check", "--dir", str(copy))
    assert result.code == 1
    assert f"{copy.as_posix()}/runlist.schema.json: missing" in result.out
    assert f"{copy.as_posix()}/wagon.schema.json: differs from the models" in result.out
    assert "run 'wagonyard schema' and commit" in result.err
    assert "Traceback" not in result.output


def test_schema_writes_what_the_check_expects(tmp_path: Path, wagonyard: Run) -> None:
    target = tmp_path / "schema"
    result = wagonyard("schema", "--dir", str(target))
    assert result.code == 0
    for path in SCHEMA_DIR.glob("*.schema.json"):
        assert (target / path.name).read_text() == path.read_text()
    assert wagonyard("schema", "--check", "--dir", str(target)).code == 0
    again = wagonyard("schema", "--dir", str(target))
    assert "already up to date" in again.out


def test_schemas_are_draft_2020_12_with_an_id() -> None:
    for path in SCHEMA_DIR.glob("*.schema.json"):
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(path.name.removesuffix(".schema.json"))
        jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    "path", EXAMPLES, ids=[p.relative_to(EXAMPLE_CATALOG).as_posix() for p in EXAMPLES]
)
def test_every_example_file_follows_its_schema_and_says_so(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), f"{path} does not start with the $schema comment"
    target = path.parent / first.removeprefix(prefix)
    assert target.resolve() == (SCHEMA_DIR / f"{kind_of(path)}.schema.json").resolve()
    assert target.is_file()
    schema = json.loads(target.read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(path.read_text()))


def test_the_schemas_reject_what_the_models_reject() -> None:
    """The schemas are not vacuous: an unknown field and a data set without run list fail."""
    wagon = json.loads((SCHEMA_DIR / "wagon.schema.json").read_text())
    dataset = json.loads((SCHEMA_DIR / "dataset.schema.json").read_text())
    good = yaml.safe_load((EXAMPLE_CATALOG / "datasets" / "cms-2010-dimuon.yaml").read_text())
    jsonschema.Draft202012Validator(dataset).validate(good)
    del good["runlist"]
    with pytest.raises(jsonschema.ValidationError, match="'runlist' is a required property"):
        jsonschema.Draft202012Validator(dataset).validate(good)
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.Draft202012Validator(wagon).validate({"name": "w", "task": "t:T", "tsk": 1})


def test_schema_paths_in_the_examples_are_relative_and_portable() -> None:
    for path in EXAMPLES:
        target = path.read_text().splitlines()[0].split("$schema=", 1)[1]
        assert not os.path.isabs(target) and target.startswith("../")


def _objects(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "properties" in node and node.get("type") == "object":
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{where}/{i}")


def test_every_object_says_whether_it_allows_other_properties() -> None:
    """Left to the library's default, a new pydantic release changes the schemas (2.14 did)."""
    for name, text in schemas().items():
        for where, node in _objects(json.loads(text)):
            assert "additionalProperties" in node, f"{name}: {where} leaves it to the default"


@pytest.mark.slow
def test_the_schemas_are_the_same_with_the_newest_pydantic_the_range_allows(
    tmp_path: Path,
) -> None:
    """A scratch venv takes the newest pydantic inside pyproject.toml's range from the package
    index (and whatever else it needs), then checks the committed schemas against it."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    spec = next(d for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
                ["dependencies"] if d.startswith("pydantic"))  # fmt: skip
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--upgrade", spec],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    done = subprocess.run(
        [python, "-c", "import pydantic; print(pydantic.VERSION)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    check = subprocess.run(
        [python, "-m", "controller", "schema", "--check", "--dir", str(SCHEMA_DIR)],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )  # fmt: skip
    assert check.returncode == 0, f"pydantic {done.stdout.strip()}: {check.stdout}{check.stderr}"
