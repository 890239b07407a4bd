"""Decode lockfile JSON and, in the same pass, find the line of every package key.

`json.loads` keeps no positions, so the top of the document is walked here with the json
module's own primitives (`scanstring` and the C `scan_once`): only the objects whose keys
name packages are walked key by key; every other value is decoded by the C scanner in one
call.  The result is the same object `json.loads` returns, plus:

* v2/v3: the line of each key of the top-level `packages` object;
* v1: the line of each key of the nested `dependencies` maps, recorded under the
  synthesized install path (`node_modules/a/node_modules/b`), so a name that occurs at
  several depths (or as a key of some `requires` map) gets the line of the right entry;
* the keys that occur twice in one package map: `json.loads` silently keeps the last value
  while a reviewer reads the first, so the parser refuses such a file.

Errors are `json.JSONDecodeError` (with line and column), `RecursionError` for absurd
nesting, or `ValueError` (an integer beyond Python's digit limit).
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

# The C implementations json.loads itself uses (typeshed does not describe them).
_scan_once = cast(
    Callable[[str, int], tuple[object, int]],
    json.scanner.make_scanner(json.JSONDecoder()),  # type: ignore[arg-type]
)
_scanstring = cast(
    Callable[[str, int], tuple[str, int]],
    json.decoder.scanstring,  # type: ignore[attr-defined]
)
# This pattern matches everywhere (possibly empty), so `.end()` is always there.
_ws = cast(Callable[[str, int], re.Match[str]], re.compile(r"[ \t\n\r]*").match)
_NM = "node_modules/"

# Called with (key, key offset, value offset); returns (value, end offset).
_OnValue = Callable[[str, int, int], tuple[object, int]]


@dataclass(slots=True)
class KeyLines:
    """Where package keys start: install path -> 1-based line."""

    packages: dict[str, int] = field(default_factory=dict)  # v2/v3 `packages` keys
    tree: dict[str, int] = field(default_factory=dict)  # v1 synthesized install paths
    duplicate_packages: list[str] = field(default_factory=list)  # `packages` keys seen twice
    duplicate_tree: list[str] = field(default_factory=list)  # v1 install paths seen twice


def _value(s: str, idx: int) -> tuple[object, int]:
    try:
        return _scan_once(s, idx)
    except StopIteration as stop:
        raise json.JSONDecodeError("Expecting value", s, stop.value) from None


def _object(s: str, idx: int, on_value: _OnValue) -> tuple[dict[str, object], int]:
    """Decode the object starting at `s[idx] == "{"`, handing each value to `on_value`."""
    result: dict[str, object] = {}
    idx = _ws(s, idx + 1).end()
    if s[idx : idx + 1] == "}":
        return result, idx + 1
    while True:
        if s[idx : idx + 1] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", s, idx)
        key_pos = idx
        key, idx = _scanstring(s, idx + 1)
        idx = _ws(s, idx).end()
        if s[idx : idx + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", s, idx)
        idx = _ws(s, idx + 1).end()
        result[key], idx = on_value(key, key_pos, idx)
        idx = _ws(s, idx).end()
        c = s[idx : idx + 1]
        if c == "}":
            return result, idx + 1
        if c != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", s, idx)
        idx = _ws(s, idx + 1).end()


class _Walker:
    def __init__(self, s: str) -> None:
        self.s = s
        self.packages: dict[str, int] = {}  # key -> offset
        self.tree: dict[str, int] = {}
        self.duplicate_packages: list[str] = []
        self.duplicate_tree: list[str] = []
        self.lockfile_version: object = None
        self.seen_packages = False

    def root(self, key: str, key_pos: int, idx: int) -> tuple[object, int]:
        s = self.s
        if key == "lockfileVersion":
            self.lockfile_version, end = _value(s, idx)
            return self.lockfile_version, end
        if key == "packages" and s[idx : idx + 1] == "{":
            self.seen_packages = True
            return _object(s, idx, self.package)
        if key == "dependencies" and s[idx : idx + 1] == "{":
            if self.seen_packages and self.lockfile_version in (2, 3):
                return _value(s, idx)  # v2's legacy copy: not read, not indexed
            return _object(s, idx, self._deps_map(""))
        return _value(s, idx)

    def package(self, key: str, key_pos: int, idx: int) -> tuple[object, int]:
        if key in self.packages:
            self.duplicate_packages.append(key)
        else:
            self.packages[key] = key_pos
        return _value(self.s, idx)

    def _deps_map(self, parent: str) -> _OnValue:
        prefix = f"{parent}/{_NM}" if parent else _NM

        def entry(key: str, key_pos: int, idx: int) -> tuple[object, int]:
            path = prefix + key
            if path in self.tree:
                self.duplicate_tree.append(path)
            else:
                self.tree[path] = key_pos
            if self.s[idx : idx + 1] != "{":
                return _value(self.s, idx)
            return _object(self.s, idx, self._node(path))

        return entry

    def _node(self, path: str) -> _OnValue:
        def field_(key: str, key_pos: int, idx: int) -> tuple[object, int]:
            if key == "dependencies" and self.s[idx : idx + 1] == "{":
                return _object(self.s, idx, self._deps_map(path))
            return _value(self.s, idx)

        return field_


def load_with_lines(text: str) -> tuple[object, KeyLines]:
    """`json.loads(text)` plus the lines of package keys."""
    walker = _Walker(text)
    idx = _ws(text, 0).end()
    doc: object
    if text[idx : idx + 1] == "{":
        doc, end = _object(text, idx, walker.root)
    else:
        doc, end = _value(text, idx)
    end = _ws(text, end).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return doc, KeyLines(
        packages=_to_lines(text, walker.packages),
        tree=_to_lines(text, walker.tree),
        duplicate_packages=walker.duplicate_packages,
        duplicate_tree=walker.duplicate_tree,
    )


def _to_lines(text: str, offsets: dict[str, int]) -> dict[str, int]:
    """Character offsets (recorded in document order, so increasing) -> 1-based lines."""
    lines: dict[str, int] = {}
    line = 1
    previous = 0
    for name, offset in offsets.items():
        line += text.count("\n", previous, offset)
        previous = offset
        lines[name] = line
    return lines
