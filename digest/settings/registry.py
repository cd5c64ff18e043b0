"""Reads the declarations of `digest.settings` back: each setting's key, doc, default, env.

One walk over the dataclasses serves the loader (which keys a block allows, which come only
from the environment, what a missing key is for) and the README table.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


@dataclass(frozen=True, slots=True)
class Declared:
    """One declared setting: where it sits in the file and what it says about itself."""

    path: tuple[str, ...]  # keys from the top of the file: ("mail", "smtp", "port")
    field: FieldInfo
    block: type | None  # the settings class it holds, for a block or a list of blocks
    is_list: bool

    @property
    def key(self) -> str:
        return ".".join(self.path)

    @property
    def doc(self) -> str:
        return self.field.description or ""

    def _extra(self, name: str) -> Any:
        extra = self.field.json_schema_extra
        return extra.get(name) if isinstance(extra, dict) else None

    @property
    def env(self) -> str | None:
        value = self._extra("env")
        return value if isinstance(value, str) else None

    @property
    def in_file(self) -> bool:
        return self._extra("in_file") is not False

    @property
    def secret(self) -> bool:
        return self._extra("secret") is True

    @property
    def default_markdown(self) -> str:
        """The default as the README shows it: `20`, none, required, or the declared text."""
        shown = self._extra("shown")
        if isinstance(shown, str):
            return shown
        if self.field.default_factory is not None:
            return _markdown(self.field.default_factory())  # type: ignore[call-arg]
        if self.field.default is PydanticUndefined or self.field.default is Ellipsis:
            return "required"
        return _markdown(self.field.default)


def _markdown(value: Any) -> str:
    if value is None or value in ("", (), {}):
        return "none"
    if dataclasses.is_dataclass(value):
        return ""  # a block: its keys have their own rows
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def block_of(annotation: Any) -> type | None:
    """The settings dataclass inside `X`, `X | None` or `tuple[X, ...]`, if any."""
    if isinstance(annotation, type) and hasattr(annotation, "__pydantic_fields__"):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, tuple):
        for arg in get_args(annotation):
            found = block_of(arg)
            if found is not None:
                return found
    return None


def fields_of(block: type) -> dict[str, FieldInfo]:
    fields: dict[str, FieldInfo] = getattr(block, "__pydantic_fields__", {})
    return fields


def file_key(name: str, field: FieldInfo) -> str:
    """The key a field has in the file (`from` for `MailSettings.sender`)."""
    return field.validation_alias if isinstance(field.validation_alias, str) else name


def declared(
    block: type, prefix: tuple[str, ...] = (), *, into_lists: bool = False
) -> Iterator[Declared]:
    """Every setting of `block` and of the blocks it holds, in declaration order.

    `into_lists`: also the fields of list entries, under `name[]` (`feeds[]`, `url`).
    """
    for name, field in fields_of(block).items():
        inner = block_of(field.annotation)
        is_list = get_origin(field.annotation) is tuple
        entry = Declared((*prefix, file_key(name, field)), field, inner, is_list)
        yield entry
        if inner is not None and (into_lists or not is_list):
            path = (*entry.path[:-1], f"{entry.path[-1]}[]") if is_list else entry.path
            yield from declared(inner, path, into_lists=into_lists)


def file_keys(block: type) -> list[str]:
    """The keys a block of the file may hold."""
    return [
        file_key(name, field)
        for name, field in fields_of(block).items()
        if Declared((), field, None, False).in_file
    ]


def field_at(block: type, key: str) -> FieldInfo | None:
    for name, field in fields_of(block).items():
        if file_key(name, field) == key:
            return field
    return None
