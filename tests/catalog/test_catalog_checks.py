"""The cross-file checks on in-memory catalogs (no files): cycles, references, duplicates."""

from __future__ import annotations

from controller.catalog.catalog import Entry
from controller.catalog.checks import check_catalog, dependency_cycles, duplicate_names
from tests.builders import catalog, dataset


def test_each_cycle_is_reported_once_at_its_first_wagon() -> None:
    cat = catalog(
        {
            "a/one": {"depends_on": ["two"]},
            "a/two": {"depends_on": ["b/three"]},
            "b/three": {"depends_on": ["a/one"]},
            "b/self": {"depends_on": ["self"]},
            "b/free": {"depends_on": ["a/one"]},
        }
    )
    messages = sorted((p.path, p.json_path, p.message) for p in dependency_cycles(cat))
    assert messages == [
        (
            "catalog/analyses/a/wagons/one.yaml",
            "depends_on[0]",
            "dependency cycle: a/one -> a/two -> b/three -> a/one",
        ),
        (
            "catalog/analyses/b/wagons/self.yaml",
            "depends_on[0]",
            "dependency cycle: b/self -> b/self",
        ),
    ]


def test_a_long_chain_of_dependencies_is_no_cycle_and_no_recursion_error() -> None:
    wagons = {f"a/w{i}": {"depends_on": [f"w{i + 1}"]} for i in range(5000)}
    wagons["a/w5000"] = {}
    assert dependency_cycles(catalog(wagons)) == []


def test_unknown_references_suggest_the_closest_name() -> None:
    cat = catalog(
        {
            "a/selection": {},
            "a/mass": {"depends_on": ["selektion", "other/x"], "enabled": [{"dataset": "dss"}]},
        },
        datasets=[dataset("ds")],
    )
    found = sorted((p.json_path, p.message, p.hint) for p in check_catalog(cat))
    assert found == [
        ("depends_on[0]", "unknown wagon 'selektion'", "did you mean 'selection'?"),
        (
            "depends_on[1]",
            "unknown wagon 'other/x'",
            "name a wagon of the same analysis, or another's as 'analysis/wagon'",
        ),
        ("enabled[0].dataset", "unknown dataset 'dss'", "did you mean 'ds'?"),
    ]


def test_references_to_files_that_exist_but_are_invalid_are_not_unknown() -> None:
    cat = catalog({"a/mass": {"depends_on": ["sel"], "enabled": [{"dataset": "broken"}]}})
    assert check_catalog(cat, {"wagon": {"a/sel"}, "dataset": {"broken"}}) == []


def test_duplicate_names_point_at_the_later_file() -> None:
    first, second = dataset("ds"), dataset("ds")
    entries = [
        Entry(second, "catalog/datasets/mc/ds.yaml", {("name",): (2, 7)}),
        Entry(first, "catalog/datasets/ds.yaml", {("name",): (3, 7)}),
    ]
    (problem,) = duplicate_names("dataset", entries)
    assert problem.path == "catalog/datasets/mc/ds.yaml"
    assert (problem.line, problem.column) == (2, 7)
    assert problem.message == "dataset 'ds' is also defined in catalog/datasets/ds.yaml:3"


def test_an_analysis_without_wagons_is_a_warning() -> None:
    cat = catalog({"a/w": {}})
    cat.analyses["empty"] = Entry(cat.analyses["a"].model, "catalog/analyses/empty/analysis.yaml")
    (problem,) = [p for p in check_catalog(cat) if "no wagons" in p.message]
    assert problem.severity == "warning"
    assert problem.hint == "add one as catalog/analyses/empty/wagons/<wagon>.yaml"
