"""The JSON form of a cycle file (the same shape as the YAML).

The json module decides what is valid JSON; PyYAML then composes the same text (JSON is YAML) so
that every problem still has its line, and the YAML form's reader checks the tree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from bot.cycle_file.problems import CycleFileError, Problem
from bot.cycle_file.rules import prepared
from bot.cycle_file.yaml_form import TAG_BOOL, TAG_FLOAT, TAG_INT, TAG_NULL, TAG_STR, read_nodes
from bot.domain import CycleDocument

_JSON_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def _json_retag(root: yaml.Node) -> None:
    """Give PyYAML's nodes JSON's types (a bare scalar is a number, true/false or null) and join
    surrogate pairs of ``\\u`` escapes, so the tree means exactly what the JSON means."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode):
            value = str(node.value)
            if node.style:
                node.tag = TAG_STR
                node.value = value.encode("utf-16", "surrogatepass").decode(
                    "utf-16", "surrogatepass"
                )
            elif value in ("true", "false"):
                node.tag = TAG_BOOL
            elif value == "null":
                node.tag = TAG_NULL
            else:
                node.tag = TAG_INT if _JSON_INT.match(value) else TAG_FLOAT


def _python_node(value: Any) -> yaml.Node:
    """A node (without a line) for a value decoded by the json module."""
    if isinstance(value, _JsonObject):
        pairs = [(yaml.ScalarNode(TAG_STR, key), _python_node(item)) for key, item in value.pairs]
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs)
    if isinstance(value, list):
        return yaml.SequenceNode("tag:yaml.org,2002:seq", [_python_node(item) for item in value])
    if value is None:
        return yaml.ScalarNode(TAG_NULL, "null")
    if isinstance(value, bool):
        return yaml.ScalarNode(TAG_BOOL, str(value).lower())
    if isinstance(value, int):
        return yaml.ScalarNode(TAG_INT, str(value))
    if isinstance(value, float):
        return yaml.ScalarNode(TAG_FLOAT, repr(value))
    return yaml.ScalarNode(TAG_STR, str(value))


@dataclass
class _JsonObject:
    pairs: list[tuple[str, Any]]


def load_cycle_json(text: str) -> CycleDocument:
    """Read a JSON cycle (the same shape as the YAML); raises :class:`CycleFileError`."""
    text = prepared(text)
    if not text.strip():
        raise CycleFileError([Problem(1, "cycle.error.empty_file")])
    constants: list[str] = []

    def constant(name: str) -> float:
        constants.append(name)
        return float(name.replace("Infinity", "inf"))

    try:
        decoded = json.loads(text, object_pairs_hook=_JsonObject, parse_constant=constant)
    except json.JSONDecodeError as error:
        problem = Problem(error.lineno, "cycle.error.json_syntax", {"detail": error.msg})
        raise CycleFileError([problem]) from None
    except RecursionError:
        raise CycleFileError([Problem(1, "cycle.error.too_deep")]) from None
    root: yaml.Node | None = None
    if not constants:
        try:
            root = yaml.compose(text.replace("\t", " "), Loader=yaml.SafeLoader)
            if root is not None:
                _json_retag(root)
        except (yaml.YAMLError, RecursionError):
            root = None
    if root is None:  # valid JSON that PyYAML reads differently: check it without lines
        try:
            root = _python_node(decoded)
        except RecursionError:
            raise CycleFileError([Problem(1, "cycle.error.too_deep")]) from None
    return read_nodes(root)
