"""Line numbers of lockfile entries, found by one structural scan of the raw text.

`json.loads` keeps no positions, so the text is tokenised once more with a regular
expression that consumes every string (a brace inside a string is never structure) and
tracks nesting.  Only keys that name packages are recorded:

* v2/v3: the keys of the top-level `packages` object (`node_modules/a/node_modules/b`);
* v1: the keys of the nested `dependencies` maps, recorded under the synthesized install
  path (`node_modules/a/node_modules/b`), so a name that occurs at several depths (or as a
  key of some `requires` map) gets the line of the right entry.

A key that occurs twice in the same package map is reported: `json.loads` silently keeps
the last value while a reviewer reads the first, so the parser refuses such a file.

The scan assumes `text` has already been accepted by `json.loads`: between two tokens
there can then only be whitespace, commas, colons, numbers and literals.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# A key with an optional scalar value (consumed together: fewer matches), a lone string
# (array element), or a bracket.  Group 1: key text; group 2: the scalar value, if any.
_TOKEN = re.compile(
    r'"((?:[^"\\]|\\.)*)"\s*:\s*("(?:[^"\\]|\\.)*"|[-+.\w]+)?'
    r'|"(?:[^"\\]|\\.)*"'
    r"|[{}\[\]]"
)

# Kinds of containers on the scan stack.
_OTHER = 0
_ROOT = 1
_PACKAGES = 2  # v2/v3 `packages`: keys are install paths
_DEPS = 3  # v1 `dependencies` map: keys are names
_NODE = 4  # v1 entry: may hold a nested `dependencies` map


@dataclass(slots=True)
class KeyLines:
    """Where package keys start: install path -> 1-based line."""

    packages: dict[str, int] = field(default_factory=dict)  # v2/v3 `packages` keys
    tree: dict[str, int] = field(default_factory=dict)  # v1 synthesized install paths
    duplicates: list[str] = field(default_factory=list)  # install paths seen twice


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    value = json.loads(f'"{raw}"')
    return value if isinstance(value, str) else raw


def scan_key_lines(text: str, *, tree: bool) -> KeyLines:
    """Index package keys of an already-validated JSON lockfile text.

    `tree` selects the v1 `dependencies` tree; otherwise the v2/v3 `packages` map.
    """
    offsets_pk: dict[str, int] = {}
    offsets_tree: dict[str, int] = {}
    duplicates: list[str] = []
    # Parallel stacks (cheaper than tuples): container kind and, for v1, install path.
    kinds: list[int] = []
    paths: list[str] = []
    kind = _OTHER
    path = ""
    key: str | None = None
    for m in _TOKEN.finditer(text):
        raw_key = m.group(1)
        if raw_key is not None:
            if kind in (_PACKAGES, _DEPS):
                name = _unescape(raw_key)
                if kind == _PACKAGES:
                    if name in offsets_pk:
                        duplicates.append(name)
                    else:
                        offsets_pk[name] = m.start()
                else:
                    sub = f"{path}/node_modules/{name}" if path else f"node_modules/{name}"
                    if sub in offsets_tree:
                        duplicates.append(sub)
                    else:
                        offsets_tree[sub] = m.start()
                    key = sub
                    continue
            # Only the key right before a `{` matters; a scalar value ends its pair.
            key = None if m.group(2) is not None else raw_key
            continue
        c = m.group()
        if c == "{":
            kinds.append(kind)
            paths.append(path)
            if len(kinds) == 1:
                new_kind = _ROOT
            elif kind == _ROOT and key == "packages" and not tree:
                new_kind = _PACKAGES
            elif kind in (_ROOT, _NODE) and key == "dependencies" and tree:
                new_kind = _DEPS
            elif kind == _DEPS and key is not None:
                new_kind = _NODE
                path = key
            else:
                new_kind = _OTHER
            kind = new_kind
            key = None
        elif c == "[":
            kinds.append(kind)
            paths.append(path)
            kind = _OTHER
            key = None
        elif c in "}]":
            if kinds:
                kind = kinds.pop()
                path = paths.pop()
            key = None
        else:  # a lone string: an array element
            key = None
    result = KeyLines(duplicates=duplicates)
    result.packages = _to_lines(text, offsets_pk)
    result.tree = _to_lines(text, offsets_tree)
    return result


def _to_lines(text: str, offsets: dict[str, int]) -> dict[str, int]:
    """Turn character offsets into 1-based line numbers, counting newlines once."""
    lines: dict[str, int] = {}
    line = 1
    previous = 0
    for name, offset in sorted(offsets.items(), key=lambda item: item[1]):
        line += text.count("\n", previous, offset)
        previous = offset
        lines[name] = line
    return lines
