"""Bad input of every format through the CLI: exit 2, one line naming the file (and the line
where the format knows it) and what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.cli import main

BUN_HEAD = b'{\n  "lockfileVersion": 1,\n  "workspaces": {},\n  "packages": {\n'
# (file name, content, what the one line says after "audit: error: <path>")
CASES = [
    (
        "package-lock.json",
        b'{\n  "lockfileVersion": 3,\n  "packages": [\n',
        r":4:1: not valid JSON",
    ),
    (
        "pnpm-lock.yaml",
        b"lockfileVersion: '9.0'\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: [\n",
        r":6: not valid YAML: ",
    ),
    (
        "pnpm-lock.yaml",
        b"lockfileVersion: '9.0'\n\npackages:\n\n  a@1.0.0:\n    engines: {}\n",
        r':5: packages\["a@1\.0\.0"\]: no resolution',
    ),
    ("pnpm-lock.yaml", b"lockfileVersion: 5.4\n", r":1: unsupported lockfileVersion 5\.4"),
    (
        "bun.lock",
        BUN_HEAD + b'    "a": ["a@1.0.0", "", {}, "sha512-x"]\n    "b": [],\n  }\n}\n',
        r":6: not valid bun\.lock JSON: Expecting ',' delimiter",
    ),
    (
        "bun.lock",
        BUN_HEAD + b'    "a": ["a@x", "", {}, "sha512-x"],\n  }\n}\n',
        r':5: packages\["a"\]: version \'x\' is not semver',
    ),
    (
        "bun.lockb",
        b"#!/usr/bin/env bun\nbun-lockfile-format-v0\n\x00\x01",
        r": Bun's binary lockfile cannot be audited; write the text lockfile bun\.lock",
    ),
]


@pytest.mark.parametrize(("name", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_malformed_lockfile_is_one_line_exit_2(
    name: str,
    data: bytes,
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    home: Path,
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    code = main([str(path), "--offline", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert re.match(rf"audit: error: {re.escape(str(path))}{expected}", err), err
