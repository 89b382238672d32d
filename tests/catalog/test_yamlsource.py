"""Parsing one file: values and where they are, and problems PyYAML's safe_load lets through."""

from __future__ import annotations

import yaml

from controller.catalog.problems import Problem
from controller.catalog.yamlsource import Document, json_path, parse_yaml


def parsed(text: str | bytes) -> Document:
    result = parse_yaml(text.encode() if isinstance(text, str) else text, "f.yaml")
    assert isinstance(result, Document), result
    return result


def problems(text: str | bytes) -> list[str]:
    result = parse_yaml(text.encode() if isinstance(text, str) else text, "f.yaml")
    assert isinstance(result, list), result
    return [p.format() for p in result]


WAGON = """\
# a comment
name: w
config:
  bins: 60
  label: "m(μμ)"
enabled:
  - dataset: a
  - {dataset: b, code: {source: tag, tag: v1}}
"""


def test_values_match_safe_load() -> None:
    assert parsed(WAGON).data == yaml.safe_load(WAGON)


def test_positions_of_values_and_keys_are_one_based() -> None:
    doc = parsed(WAGON)
    assert doc.positions[()] == (2, 1)
    assert doc.positions[("name",)] == (2, 7)
    assert doc.positions[("config",)] == (4, 3)
    assert doc.positions[("config", "label")] == (5, 10)
    assert doc.keys[("config", "label")] == (5, 3)
    assert doc.positions[("enabled", 0, "dataset")] == (7, 14)
    assert doc.positions[("enabled", 1)] == (8, 5)
    assert doc.positions[("enabled", 1, "code", "tag")] == (8, 43)


def test_columns_count_characters_not_bytes() -> None:
    doc = parsed('a: "é"\nb: ü\nc: 1\n')
    assert doc.positions[("b",)] == (2, 4)


def test_scalars_follow_yaml_but_dates_stay_strings() -> None:
    doc = parsed("a: 010\nb: 0x1f\nc: 1_000\nd: .inf\ne: 2010-05-01\nf: yes\ng: ~\nh: '1'\n")
    assert doc.data == {
        "a": 8,
        "b": 31,
        "c": 1000,
        "d": float("inf"),
        "e": "2010-05-01",
        "f": True,
        "g": None,
        "h": "1",
    }


def test_exponents_without_a_dot_are_numbers_as_in_yaml_1_2() -> None:
    assert parsed("a: 1e3\nb: -2.5E-2\nc: e3\n").data == {"a": 1000.0, "b": -0.025, "c": "e3"}


def test_anchors_aliases_and_merge_keys() -> None:
    doc = parsed("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nsame: *b\n")
    assert doc.data == {
        "base": {"x": 1, "y": 2},
        "other": {"x": 1, "y": 3},
        "same": {"x": 1, "y": 2},
    }
    assert doc.positions[("other", "x")] == (3, 7)


def test_every_duplicate_key_is_reported_with_the_first_line() -> None:
    assert problems("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n") == [
        "f.yaml:4:3: b.c: duplicate key 'c' (first at line 3) (YAML keeps only the last one; "
        "remove one of them)",
        "f.yaml:5:1: a: duplicate key 'a' (first at line 1) (YAML keeps only the last one; "
        "remove one of them)",
    ]


def test_recursive_aliases_and_deep_nesting_are_problems_not_crashes() -> None:
    assert "refers to the collection it is in" in problems("a: &x [*x]\n")[0]
    deep = b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    assert "nested more than 100 levels deep" in problems(deep)[0]


def test_tags_other_than_plain_data_are_refused() -> None:
    assert "unsupported YAML tag 'tag:yaml.org,2002:binary'" in problems("a: !!binary aGk=\n")[0]
    assert "unsupported YAML tag '!secret'" in problems("a: !secret x\n")[0]


def test_control_characters_are_located() -> None:
    assert problems(b"a: ok\nb: x\x07y\n") == [
        "f.yaml:2:5: character 0x07 is not allowed in YAML (control characters are not allowed) "
        "(remove it)"
    ]


def test_a_tab_inside_a_flow_list_is_fine() -> None:
    assert parsed("a: [1,\n\t2]\n").data == {"a": [1, 2]}


def test_json_path_spelling() -> None:
    assert json_path(("enabled", 0, "dataset")) == "enabled[0].dataset"
    assert json_path(("variants", "loose-iso", "iso_max")) == "variants.loose-iso.iso_max"
    assert json_path(("config", "a b")) == "config['a b']"
    assert json_path(()) == ""


def test_problems_are_plain_data() -> None:
    result = parse_yaml(b"", "x.yaml")
    assert isinstance(result, list) and len(result) == 1
    assert isinstance(result[0], Problem)
    assert result[0].to_json()["line"] == 1
