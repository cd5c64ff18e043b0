"""A stricter YAML loader for feeds.yaml: safe, no duplicate keys, bounded nesting.

Takes the configuration text (`load_yaml(text)`); gives plain Python data or raises
`YamlProblem` with the line and column of the offending node.

Every command loads the configuration, and PyYAML's pure-Python scanner and parser took
~10 ms of it for the shipped feeds.yaml (issue 12, item 6): the text is first read with
libyaml's parser (C), the nodes composed and checked here as before. Any fault found that
way is read again by the pure-Python loader, whose messages (and marks) are the ones the
configuration's errors have always quoted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.error import Mark, MarkedYAMLError
from yaml.events import Event
from yaml.nodes import MappingNode, Node
from yaml.resolver import Resolver

# The deepest key of the configuration is four levels down (feeds[0].timeout_seconds);
# PyYAML composes nodes recursively, so 50,000 nested brackets ended in a RecursionError
# traceback (issue 10, item 12). Refused long before Python's recursion limit.
MAX_YAML_DEPTH = 32
_MERGE = "tag:yaml.org,2002:merge"


class RefusedYaml(MarkedYAMLError):
    """Valid YAML that the configuration refuses (a duplicate key, nesting too deep)."""

    def __init__(self, problem: str, mark: Mark) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.mark = mark  # never None, unlike problem_mark


class StrictRules(Composer, SafeConstructor):
    """What a loader refuses besides SafeLoader's: duplicate mapping keys, and nesting past
    MAX_YAML_DEPTH. Mixed in before the parser that feeds it events."""

    _depth = 0
    peek_event: Callable[[], Event]  # the parser's, mixed in after

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                # libyaml's Mark has the same line and column as PyYAML's
                mark = self.peek_event().start_mark
                raise RefusedYaml(f"nested deeper than {MAX_YAML_DEPTH} levels", mark)  # type: ignore[arg-type]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        # A duplicate key silently wins in PyYAML: `title:` written twice, the first lost.
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                seen = first_line.get(key)
            except TypeError:  # an unhashable key: SafeLoader refuses it with its own message
                continue
            if seen is not None:
                raise RefusedYaml(
                    f"duplicate key '{key}' (first on line {seen + 1}): keep only one",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


class StrictLoader(StrictRules, yaml.SafeLoader):
    """SafeLoader with the StrictRules, in pure Python: the messages of every fault."""


def _fast_loader() -> type[StrictRules] | None:
    """The StrictRules on libyaml's events: the composer (so the depth check) and the
    constructor are PyYAML's Python, the scanner and parser C. None without libyaml."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml: the pure-Python loader alone
        return None

    class FastStrictLoader(StrictRules, CParser, Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    return FastStrictLoader


FAST_LOADER = _fast_loader()


class YamlProblem(ValueError):
    """The text is not YAML the configuration accepts; the message says where and why."""


def load_yaml(text: str) -> Any:
    """The configuration text as plain Python data (StrictLoader: a SafeLoader subclass, so
    never a Python object), or YamlProblem with the line and column of the fault."""
    if FAST_LOADER is not None:
        try:
            return yaml.load(text, Loader=FAST_LOADER)  # type: ignore[arg-type]
        except yaml.YAMLError:
            pass  # read again below, for the pure-Python loader's message
    try:
        return yaml.load(text, Loader=StrictLoader)
    except RefusedYaml as exc:
        where = f"line {exc.mark.line + 1}, column {exc.mark.column + 1}"
        raise YamlProblem(f"{where}: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise YamlProblem(f"{where}not valid YAML ({exc})") from exc
