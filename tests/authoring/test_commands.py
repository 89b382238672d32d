"""The analysts' commands on a copy of the example catalog in a real git repository: an
analysis and a wagon created, a wagon cloned across analyses, enabled with each code source and
disabled, the catalog valid after each step; edited files keep every other byte; invalid
requests leave every file untouched and say why; ``show`` and ``try`` tell what will run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from controller.catalog.loader import load_catalog
from tests.conftest import CliResult
from tests.gitrepo import REPO_CATALOG, git

Run = Callable[..., CliResult]
pytestmark = pytest.mark.slow  # each edit validates the catalog with its task imports (~5 s)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(REPO_CATALOG, repo / "catalog", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / ".github").mkdir()
    shutil.copy(REPO_CATALOG.parent / ".github/CODEOWNERS", repo / ".github/CODEOWNERS")
    git(repo, "init", "-q", "--initial-branch=main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Import the example catalog")
    return repo / "catalog"


def valid(catalog: Path) -> None:
    _, problems = load_catalog(catalog, catalog.parent)
    assert [p.format() for p in problems if p.severity == "error"] == []


def snapshot(catalog: Path) -> dict[str, bytes]:
    return {str(p.relative_to(catalog)): p.read_bytes() for p in catalog.rglob("*") if p.is_file()}


def test_an_analysis_and_a_wagon_from_nothing(catalog: Path, wagonyard: Run) -> None:
    made = wagonyard("analysis", "new", "dimuon2", "--title", "A second look: dimuons",
                     "--group", "EW", "--member", "bob-analyst", "--catalog", str(catalog))  # fmt: skip
    assert made.code == 0, made.output
    assert "git switch -c analysis/dimuon2" in made.out
    assert (
        "git add catalog/analyses/dimuon2/analysis.yaml catalog/analyses/dimuon2/tasks.py"
        in made.out
    )
    valid(catalog)
    new = wagonyard("wagon", "new", "dimuon2/pt", "--task", "tasks:Histogram", "--set", "bins=80",
                    "--catalog", str(catalog))  # fmt: skip
    assert new.code == 0, new.output
    text = (catalog / "analyses/dimuon2/wagons/pt.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../../../../schema/wagon.schema.json")
    assert "  bins: 80  # Number of bins (default 50)\n" in text
    assert "  low: 0.0  # Lower edge of the axis (default 0.0)\n" in text
    valid(catalog)


def test_wrong_requests_write_nothing_and_say_why(catalog: Path, wagonyard: Run) -> None:
    before = snapshot(catalog)
    cases = [
        (("wagon", "new", "zmumu/x", "--task", "tasks:Nope"), "has no class 'Nope'"),
        (("wagon", "new", "zmumu/x", "--task", "tasks:DimuonMass", "--set", "bins=0"),
         "config.bins: Input should be greater than or equal to 1"),
        (("wagon", "new", "zmumu/x", "--task", "tasks:DimuonMass", "--set", "colour=red"),
         "has no configurable 'colour'"),
        (("wagon", "new", "zmumu/dimuon-mass", "--task", "tasks:DimuonMass"), "exists already"),
        (("wagon", "enable", "zmumu/dimuon-mass", "--dataset", "nope"), "unknown dataset 'nope'"),
        (("wagon", "enable", "zmumu/dimuon-mass", "--dataset", "hzz-mc"), "neither a branch"),
        (("wagon", "disable", "zmumu/dimuon-mass", "--dataset", "hzz-mc"), "not enabled on hzz-mc"),
        (("wagon", "clone", "zmumu/nope", "zmumu/x"), "there is no wagon zmumu/nope"),
        (("wagon", "clone", "zmumu/dimuon-mass", "multilepton/mass"), "copy the class into"),
        (("analysis", "new", "zmumu", "--title", "t", "--group", "EW", "--member", "a"),
         "exists already"),
    ]  # fmt: skip
    for args, said in cases:
        done = wagonyard(*args, "--catalog", str(catalog))
        assert done.code == 1, (args, done.output)
        assert said in done.err, (args, done.err)
        assert "Traceback" not in done.output
    assert snapshot(catalog) == before


def test_clone_enable_with_each_code_source_and_disable(catalog: Path, wagonyard: Run) -> None:
    source = catalog / "analyses/zmumu/wagons/dimuon-mass.yaml"
    original = source.read_text()
    done = wagonyard(
        "wagon", "clone", "zmumu/dimuon-mass", "zmumu/mass-fine", "--catalog", str(catalog)
    )
    assert done.code == 0, done.output
    clone = (catalog / "analyses/zmumu/wagons/mass-fine.yaml").read_text()
    head = git(catalog.parent, "rev-parse", "HEAD")
    assert "name: mass-fine\n" in clone and "enabled: []\n" in clone
    assert f"cloned_from:\n  wagon: zmumu/dimuon-mass\n  commit: {head}\n" in clone
    assert "depends_on: [muon-selection]\n" in clone  # inside its own analysis: kept local
    valid(catalog)
    path = catalog / "analyses/zmumu/wagons/mass-fine.yaml"
    for args, line in [
        ((), "  - dataset: cms-2010-dimuon\n"),
        (("--tag", "v1.2"), "    code: {source: tag, tag: v1.2}\n"),
        (("--pull-request", "7"), "    code: {source: pull-request, pull_request: 7}\n"),
    ]:
        before = path.read_text()
        done = wagonyard("wagon", "enable", "zmumu/mass-fine", "--dataset", "cms-2010-dimuon",
                         *args, "--catalog", str(catalog))  # fmt: skip
        assert done.code == 0, done.output
        after = path.read_text()
        assert line in after
        kept = before.split("enabled:")[0]
        assert after.startswith(kept)  # every byte before the changed lines is kept
        valid(catalog)
    done = wagonyard("wagon", "disable", "zmumu/mass-fine", "--dataset", "cms-2010-dimuon",
                     "--catalog", str(catalog))  # fmt: skip
    assert done.code == 0 and "enabled: []\n" in path.read_text()
    done = wagonyard("wagon", "disable", "zmumu/dimuon-mass", "--dataset", "cms-2010-dimuon-large",
                     "--catalog", str(catalog))  # fmt: skip
    assert done.code == 0
    assert source.read_text() == original.replace("  - dataset: cms-2010-dimuon-large\n", "")
    valid(catalog)


def test_clone_across_analyses_makes_dependencies_cross_analysis(
    catalog: Path, wagonyard: Run
) -> None:
    # the analyst brings the task's code into the other analysis (a module of its package)
    shutil.copy(catalog / "analyses/zmumu/tasks.py", catalog / "analyses/multilepton/dimuons.py")
    tasks = catalog / "analyses/multilepton/tasks.py"
    tasks.write_text(tasks.read_text() + "\n\nfrom .dimuons import DimuonMass  # noqa: E402\n")
    done = wagonyard(
        "wagon", "clone", "zmumu/dimuon-mass", "multilepton/mass", "--catalog", str(catalog)
    )
    assert done.code == 0, done.output
    clone = (catalog / "analyses/multilepton/wagons/mass.yaml").read_text()
    assert "depends_on: [zmumu/muon-selection]\n" in clone
    valid(catalog)


def test_show_tells_the_effective_configuration_and_try_runs_it(
    catalog: Path, wagonyard: Run, tmp_path: Path
) -> None:
    shown = wagonyard("wagon", "show", "zmumu/dimuon-mass", "--catalog", str(catalog))
    assert shown.code == 0, shown.output
    assert "effective configuration of zmumu/dimuon-mass_wide:" in shown.out
    assert "bins: 75   (the task's default: 60)" in shown.out
    assert "depends on: zmumu/muon-selection" in shown.out
    assert "enabled on cms-2010-dimuon: code at composition; not tested yet" in shown.out
    tried = wagonyard("wagon", "try", "zmumu/dimuon-mass", "--dataset", "cms-2010-dimuon",
                      "--events", "1000", "-o", str(tmp_path / "try"), "--catalog", str(catalog))  # fmt: skip
    assert tried.code == 0, tried.output
    assert "1,000 events of cms-2010-dimuon" in tried.out
    assert "zmumu/dimuon-mass/mass: 861 entries" in tried.out  # the real events' selected pairs
    assert (tmp_path / "try" / "AnalysisResults.root").is_file()


def test_disabling_keeps_the_comments_of_the_other_datasets() -> None:
    """The enabled list is edited in place: a comment on another entry stays as written."""
    from controller.authoring.edits import enabled_text

    text = "name: w\ntask: t:X\nenabled:\n  - dataset: a  # first\n  - dataset: b  # second\n"
    assert enabled_text(text, "w", "b", None, enable=False) == (
        "name: w\ntask: t:X\nenabled:\n  - dataset: a  # first\n"
    )


def test_a_task_module_that_exits_at_import_is_named_and_nothing_is_written(
    catalog: Path, wagonyard: Run
) -> None:
    """'wagon new' and 'wagon show' import the task in the sandboxed child: a module that ends
    the process while importing is named in the error and the catalog is left as it was."""
    (catalog / "analyses/zmumu/evil.py").write_text("import os\nprint('x')\nos._exit(3)\n")
    before = snapshot(catalog)
    done = wagonyard("wagon", "new", "zmumu/x", "--task", "evil:Task", "--catalog", str(catalog))
    assert done.code == 1 and "zmumu/evil.py" in done.err, done.output
    assert "Traceback" not in done.output
    assert snapshot(catalog) == before
