"""Reading a parameter file's YAML strictly: every problem found is listed, nothing is expanded.

PyYAML's `safe_load` lets a repeated key silently replace the first (a second
`disclosure: {apply: false}` would win), expands aliases without limit (a few hundred bytes of
nested `*alias` lists become 10**9 values) and reads `.nan` and `.inf` as numbers. `read_yaml`
composes with a `SafeLoader` that refuses all three, with the line of each, and goes on reading
so the caller can report them together with the schema's problems. An alias is never expanded:
it is read as null and reported, so the cost of a file is linear in its size.
"""

import math
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode

_DUPLICATE = "rule: every key once per mapping"
_ALIAS = "rule: write each value out in full"
_FINITE = "rule: numbers must be finite"


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that records duplicate keys, aliases and non-finite numbers as problems."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.problems: list[tuple[int, str]] = []
        self._aliases_seen: set[str] = set()

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.get_event()
            if event.anchor not in self._aliases_seen:
                self._aliases_seen.add(event.anchor)
                self.problems.append((event.start_mark.line + 1,
                                      f"YAML alias *{event.anchor} is not allowed; {_ALIAS}"))
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in first:
                    self.problems.append(
                        (line, f"duplicate key {_short(key)} (first at line {first[key]}); {_DUPLICATE}")
                    )
                else:
                    first[key] = line
            except TypeError:  # an unhashable key: the base class reports it
                pass
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_yaml_float(self, node: ScalarNode) -> float:  # type: ignore[override]
        value: float = super().construct_yaml_float(node)
        if not math.isfinite(value):
            self.problems.append((node.start_mark.line + 1,
                                  f"{_short(node.value)[1:-1]} is not a finite number; {_FINITE}"))
        return value


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _StrictLoader.construct_yaml_float)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value[: limit + 1] if isinstance(value, str) else value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_yaml(text: str) -> tuple[Any, list[str]]:
    """The document in `text` and its problems ("line N: what; rule: ..."), in line order.

    Raises `yaml.YAMLError` for text that is not YAML at all.
    """
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    problems = sorted(loader.problems, key=lambda item: item[0])
    return data, [f"line {line}: {message}" for line, message in problems]


__all__ = ["read_yaml"]
