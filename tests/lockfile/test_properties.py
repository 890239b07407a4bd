"""Property tests: generated lockfiles parse to the model that generated them; any other
input only ever raises LockfileError."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.lockfile import parse_lockfile_bytes
from auditor.lockfile.lines import load_with_lines

from .conftest import FIXTURES
from .synth import JSON, LOCKFILE_LIKE, Model, check_only_lockfile_error, lockfile_models

CI = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CI
@given(lockfile_models(), st.sampled_from([None, 2]))
def test_generated_lockfiles_parse_to_their_model(model: Model, indent: int | None) -> None:
    text = json.dumps(model.doc, indent=indent)
    lf = parse_lockfile_bytes(text.encode(), "gen.json")
    assert lf.lockfile_version == model.doc["lockfileVersion"]
    assert lf.workspaces == model.workspaces
    got = [dataclasses.replace(p, line=0) for p in lf.packages]
    assert got == model.expected
    # Every line points at the line holding the first path's key.
    lines = text.splitlines()
    for p in lf.packages:
        assert json.dumps(p.paths[0]) + ":" in lines[p.line - 1]


@CI
@given(JSON)
def test_arbitrary_json_only_raises_lockfile_error(value: object) -> None:
    check_only_lockfile_error(json.dumps(value).encode())


@CI
@given(LOCKFILE_LIKE)
def test_lockfile_like_json_only_raises_lockfile_error(value: dict[str, object]) -> None:
    check_only_lockfile_error(json.dumps(value).encode())


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["nested.v3.json", "tree.v1.json", "workspaces.v3.json"]), st.data())
def test_truncated_and_mutated_fixtures(name: str, data: st.DataObject) -> None:
    raw = (FIXTURES / name).read_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    check_only_lockfile_error(raw[:cut])
    pos = data.draw(st.integers(0, len(raw) - 1))
    byte = data.draw(st.integers(0, 255))
    check_only_lockfile_error(raw[:pos] + bytes([byte]) + raw[pos + 1 :])


@CI
@given(st.lists(st.sampled_from(["node_modules/a", "x", 'q"uo\\te', "é"]), max_size=6))
def test_line_index_brute_force(keys: list[str]) -> None:
    # One key per line, in order: the recorded line is its position.
    body = ",\n".join(f"{json.dumps(k)}: {{}}" for k in dict.fromkeys(keys))
    text = '{"packages": {\n' + body + "\n}}"
    doc, index = load_with_lines(text)
    assert doc == json.loads(text)
    lines = index.packages
    assert lines == {k: i + 2 for i, k in enumerate(dict.fromkeys(keys))}
