"""Line numbers agree with a brute-force reading of the pretty-printed files."""

from __future__ import annotations

import json
import re

import pytest

from auditor.lockfile import parse_lockfile_bytes
from auditor.lockfile.lines import load_with_lines

from .conftest import FIXTURES, load

_KEY = re.compile(r'^( *)"((?:[^"\\]|\\.)*)": \{')


def brute_force(text: str) -> dict[str, int]:
    """v3 keys at indent 4 under `packages`; v1 keys in `dependencies` maps (indent 4k)."""
    out: dict[str, int] = {}
    stack: list[str] = []  # v1 install path components by depth
    parent_is_deps: dict[int, bool] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = _KEY.match(line)
        if not m:
            continue
        indent, key = len(m.group(1)), json.loads(f'"{m.group(2)}"')
        parent_is_deps[indent] = key == "dependencies"
        if indent == 4 and parent_is_deps.get(2) is False and key.startswith("node_modules/"):
            out[key] = number
        if indent % 4 == 0 and indent >= 4 and parent_is_deps.get(indent - 2):
            del stack[indent // 4 - 1 :]
            stack.append(key)
            out.setdefault("/".join(f"node_modules/{s}" for s in stack), number)
    return out


@pytest.mark.parametrize(
    "name",
    [
        "real/next-app/package-lock.json",
        "real/workspaces-monorepo/package-lock.json",
        "real/workspaces-monorepo-v1/package-lock.json",
        "real/workspaces-monorepo-v2/package-lock.json",
        "nested.v3.json",
        "tree.v1.json",
        "alias.v1.json",
        "bundled.v1.json",
        "flags.v3.json",
    ],
)
def test_lines_match_brute_force(name: str) -> None:
    text = (FIXTURES / name).read_text()
    expected = brute_force(text)
    lf = load(name)
    checked = 0
    for p in lf.packages:
        for path in p.paths:
            if path in expected:
                checked += 1
                assert p.line <= expected[path], (p.spec, path)
        first = p.paths[0]
        if first in expected:
            assert p.line == expected[first], (p.spec, first)
    assert checked >= len(lf.packages) // 2


def test_same_key_text_at_other_depths_is_not_taken() -> None:
    # "node_modules/a" also appears as a key of an entry's nested object and of a
    # legacy v2 `dependencies` map, and "a" as a `requires` key in v1: only the package
    # key counts.
    doc = (
        '{"lockfileVersion": 2, "dependencies": {"node_modules/a": {"version": "9.9.9"}},\n'
        '"packages": {\n"node_modules/b": {"version": "1.0.0", "integrity": "x",\n'
        '"odd": {"node_modules/a": {}}, "note": "\\"node_modules/a\\": {"},\n'
        '"node_modules/a": {"version": "1.0.0", "integrity": "y"}}}'
    )
    lf = parse_lockfile_bytes(doc.encode(), "x.json")
    assert {p.name: p.line for p in lf.packages} == {"a": 5, "b": 3}
    v1 = (
        '{"lockfileVersion": 1, "dependencies": {\n'
        '"b": {"version": "1.0.0", "requires": {"a": "1"},\n'
        '"dependencies": {\n"a": {"version": "2.0.0"}}},\n'
        '"a": {"version": "1.0.0"}}}'
    )
    decoded, index = load_with_lines(v1)
    assert decoded == json.loads(v1)
    lines = index.tree
    assert lines == {"node_modules/b": 2, "node_modules/b/node_modules/a": 4, "node_modules/a": 5}
