"""Train composition: dependencies first, variants as instances, only enabled roots."""

import pytest

from controller.engine.plan import plan_train
from controller.errors import WagonyardError
from tests.builders import catalog

ON_DS = [{"dataset": "ds"}]


def test_dependencies_run_first_even_when_not_enabled() -> None:
    cat = catalog(
        {
            "a/sel": {},
            "a/mass": {"depends_on": ["sel"], "enabled": ON_DS},
            "a/kin": {"enabled": ON_DS},
        }
    )
    plan = plan_train(cat, "ds")
    refs = [(i.ref, i.enabled) for i in plan]
    assert refs == [("a/kin", True), ("a/sel", False), ("a/mass", True)]


def test_variants_become_instances_with_overridden_config_and_suffix() -> None:
    cat = catalog(
        {"a/m": {"config": {"lo": 1, "hi": 2}, "variants": {"wide": {"hi": 9}}, "enabled": ON_DS}}
    )
    plan = plan_train(cat, "ds")
    assert [i.directory for i in plan] == ["a/m", "a/m_wide"]
    assert plan[1].config == {"lo": 1, "hi": 9}
    assert plan[0].config == {"lo": 1, "hi": 2}


def test_cross_analysis_dependency_and_shared_dependency_runs_once() -> None:
    cat = catalog(
        {
            "common/evsel": {},
            "a/x": {"depends_on": ["common/evsel"], "enabled": ON_DS},
            "b/y": {"depends_on": ["common/evsel"], "enabled": ON_DS},
        }
    )
    assert [i.ref for i in plan_train(cat, "ds")] == ["common/evsel", "a/x", "b/y"]


def test_cycle_is_an_error_naming_the_cycle() -> None:
    cat = catalog({"a/x": {"depends_on": ["y"], "enabled": ON_DS}, "a/y": {"depends_on": ["x"]}})
    with pytest.raises(WagonyardError, match=r"a/x -> a/y -> a/x"):
        plan_train(cat, "ds")


def test_unknown_dataset_and_empty_train_are_clear_errors() -> None:
    cat = catalog({"a/x": {}})
    with pytest.raises(WagonyardError, match="unknown dataset 'nope'"):
        plan_train(cat, "nope")
    with pytest.raises(WagonyardError, match="no wagon is enabled on dataset 'ds'"):
        plan_train(cat, "ds")


def test_subset_of_wagons() -> None:
    cat = catalog({"a/x": {"enabled": ON_DS}, "a/y": {"enabled": ON_DS}})
    assert [i.ref for i in plan_train(cat, "ds", ["a/y"])] == ["a/y"]
