"""Bad input: one clear LockfileError naming the file and the place, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile, parse_lockfile_bytes

from .conftest import fixture_path

CASES = [
    ("not-json.txt", "not-json.txt:3:3: not valid JSON: Expecting property name"),
    ("truncated.json", "truncated.json:14:20: not valid JSON: Unterminated string"),
    ("null.json", "not an npm lockfile (top level is not an object)"),
    ("array.json", "not an npm lockfile (top level is not an object)"),
    ("not-a-lockfile.json", "not an npm lockfile (no lockfileVersion)"),
    ("unknown-version.json", "unsupported lockfileVersion 4 (expected 1, 2 or 3)"),
    ("string-version.json", 'unsupported lockfileVersion "3"'),
    ("missing-packages.v3.json", "lockfileVersion 3 but 'packages' is missing"),
    ("packages-not-object.v3.json", "'packages' is not an object"),
    ("entry-not-object.v3.json", 'packages["node_modules/a"] is not an object'),
    ("no-version.v3.json", 'packages["node_modules/a"]: no version'),
    ("no-version-no-resolved.v3.json", 'packages["node_modules/a"]: no version'),
    ("no-version.v1.json", 'dependencies["a"].dependencies["b"]: no version'),
    ("version-not-string.v3.json", "'version' is not a string"),
    ("not-semver.v3.json", "version 'latest' is not semver and there is no resolved URL"),
    ("bad-name.v3.json", "invalid package name '../../etc'"),
    ("dependencies-not-object.v1.json", "'dependencies' is not an object"),
    ("duplicate-key.v3.json", "duplicate lockfile key 'node_modules/a'"),
    ("latin1.json", "not UTF-8 text (byte 13)"),
]


@pytest.mark.parametrize(("name", "message"), CASES, ids=[c[0] for c in CASES])
def test_error_fixtures(name: str, message: str) -> None:
    path = fixture_path(f"errors/{name}")
    with pytest.raises(LockfileError) as info:
        parse_lockfile(path)
    text = str(info.value)
    assert message in text
    assert text.startswith(str(path))  # names the file
    assert "\n" not in text  # one line


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x.json: empty file, not a lockfile"),
        (b" \n", "x.json: empty file, not a lockfile"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "x.json"),  # nested too deeply, no RecursionError
        (b'{"lockfileVersion": 3, "packages": {}, "n": 1' + b"1" * 5000 + b"}", "not valid JSON"),
        (b'{"lockfileVersion": 3.0, "packages": {}}', "unsupported lockfileVersion 3.0"),
        (b'{"lockfileVersion": true, "packages": {}}', "unsupported lockfileVersion true"),
        (b'{"lockfileVersion": 1, "dependencies": {"a": 1}}', 'dependencies["a"] is not an object'),
        (
            b'{"lockfileVersion": 1, "dependencies": '
            b'{"a": {"version": "1.0.0", "dependencies": 3}}}',
            'dependencies["a"].dependencies is not an object',
        ),
        (b'{"lockfileVersion": 3, "name": 5, "packages": {}}', "'name' is not a string"),
        (
            b'{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0", '
            b'"resolved": 7}}}',
            "'resolved' is not a string",
        ),
        (
            b'{"lockfileVersion": 3, "packages": {"node_modules/a/b": {"version": "1.0.0"}}}',
            "invalid package name 'a/b'",
        ),
    ],
)
def test_error_bytes(data: bytes, message: str) -> None:
    with pytest.raises(LockfileError) as info:
        parse_lockfile_bytes(data, "x.json")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("bad-alias-name.v3.json", "the alias's real name 'a b' is not a valid package name"),
        ("bad-alias.v1.json", "malformed alias version 'npm:@1.0.0'"),
    ],
)
def test_a_malformed_alias_is_a_package_problem_not_a_lockfile_error(
    name: str, problem: str
) -> None:
    # npm fails on that entry only: the package is `error` (ALIAS_INVALID) in the engine.
    bad = [p for p in parse_lockfile(fixture_path(f"errors/{name}")).packages if p.alias_problem]
    assert len(bad) == 1 and problem in (bad[0].alias_problem or "")


def test_bom_is_accepted() -> None:
    doc = {"lockfileVersion": 3, "packages": {"": {"name": "bom"}}}
    lf = parse_lockfile_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode(), "x.json")
    assert lf.name == "bom"


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(LockfileError, match="cannot read"):
        parse_lockfile(missing)
    with pytest.raises(LockfileError, match="cannot read"):
        parse_lockfile(tmp_path)


@pytest.mark.parametrize(
    "resolved", ["https://cdn.example.test/x.tgz", "git+ssh://git@h/x.git", "file:../x"]
)
def test_link_to_a_url_is_refused(resolved: str) -> None:
    doc = {
        "lockfileVersion": 3,
        "packages": {"node_modules/x": {"version": "1.0.0", "resolved": resolved, "link": True}},
    }
    with pytest.raises(LockfileError, match=r'packages\["node_modules/x"\]: link to'):
        parse_lockfile_bytes(json.dumps(doc).encode(), "x.json")
