"""Round-trip YAML for the catalog's files: comments, key order, quoting, flow lists and the
``$schema`` header kept, in the catalog's own style (two-space maps, lists indented under their
key, ``null`` written out). Text in, text out: writes no file.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter

from controller.errors import WagonyardError


def _null(representer: RoundTripRepresenter, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    y.representer.add_representer(type(None), _null)
    return y


def load(text: str, where: str) -> CommentedMap:
    """A mapping document, kept as ruamel's commented structures."""
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise WagonyardError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, CommentedMap):
        raise WagonyardError(f"{where}: expected a mapping at the top")
    return data


def dump(data: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def flow_list(items: list[Any]) -> CommentedSeq:
    """A list written on one line, as the catalog writes short lists: ``[a, b]``."""
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq
