"""Where npm fetches an entry from, and how the parser classifies it (docs/lockfile.md).

Attacker's view: every `resolved` npm would fetch from somewhere other than the registry
tarball of the entry's own name and version must not be classified as that tarball.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.lockfile import parse_lockfile_bytes
from auditor.models import Package, SourceKind

REG = "http://127.0.0.1:4873"
SHA = "sha512-" + "A" * 86 + "=="


def parse(packages: dict[str, Any]) -> dict[str, Package]:
    doc = {"name": "app", "lockfileVersion": 3, "packages": {"": {"name": "app"}, **packages}}
    lock = parse_lockfile_bytes(json.dumps(doc).encode(), "package-lock.json")
    return {p.paths[0]: p for p in lock.packages}


def entry(resolved: str, version: str = "1.0.0", **more: Any) -> dict[str, Any]:
    return {"version": version, "resolved": resolved, "integrity": SHA, **more}


@pytest.mark.parametrize(
    "resolved",
    [
        f"{REG}/lodash/-/lodash-1.0.0.tgz",
        f"{REG}/api/npm/npm-remote/lodash/-/lodash-1.0.0.tgz",  # a proxy prefix
    ],
)
def test_own_tarball_is_registry(resolved: str) -> None:
    assert parse({"node_modules/lodash": entry(resolved)})["node_modules/lodash"].source is (
        SourceKind.REGISTRY
    )


@pytest.mark.parametrize(
    "resolved",
    [
        f"{REG}/@attacker/lodash/-/lodash-1.0.0.tgz",  # another (scoped) package's tarball
        f"{REG}/@attacker%2flodash/-/lodash-1.0.0.tgz",
        f"{REG}/evil/-/evil-1.0.0.tgz?/lodash/-/lodash-1.0.0.tgz",
        f"{REG}/lodash/-/lodash-1.0.0.tgz?evil",  # npm fetches the query too
        f"{REG}/lodash/-/lodash-1.0.0.tgz#evil",
        f"{REG}/evil/../lodash/-/lodash-1.0.0.tgz",  # npm's URL parser resolves dot segments
        f"{REG}/evil/%2e%2e/lodash/-/lodash-1.0.0.tgz",
        f"{REG}/evil/%2E%2E/lodash/-/lodash-1.0.0.tgz",
        f"{REG}/ev%2fil/lodash/-/lodash-1.0.0.tgz",
        f"{REG}\\lodash/-/lodash-1.0.0.tgz",  # a backslash is a slash to npm
        f"{REG}/evil\t/lodash/-/lodash-1.0.0.tgz",  # npm drops tabs and newlines
        f"{REG}/lodash/-/lodash-1.0.1.tgz",  # another version
        f"{REG}/lodash/-/lodash-1.0.0.tar.gz",
        f"{REG}/lodash-evil/-/lodash-1.0.0.tgz",
        f"{REG}/xlodash/-/lodash-1.0.0.tgz",
    ],
)
def test_other_paths_are_not_the_registry_tarball(resolved: str) -> None:
    p = parse({"node_modules/lodash": entry(resolved)})["node_modules/lodash"]
    assert p.source is SourceKind.REMOTE, resolved


def test_scoped_name_paths() -> None:
    ok = [f"{REG}/@s/x/-/x-1.0.0.tgz", f"{REG}/@s%2fx/-/x-1.0.0.tgz", f"{REG}/@s%2Fx/-/x-1.0.0.tgz"]
    bad = [f"{REG}/@a/@s/x/-/x-1.0.0.tgz", f"{REG}/@t/x/-/x-1.0.0.tgz", f"{REG}/x/-/x-1.0.0.tgz"]
    for url in ok:
        assert parse({"node_modules/@s/x": entry(url)})["node_modules/@s/x"].source is (
            SourceKind.REGISTRY
        ), url
    for url in bad:
        assert parse({"node_modules/@s/x": entry(url)})["node_modules/@s/x"].source is (
            SourceKind.REMOTE
        ), url


def test_alias_is_judged_by_its_real_name() -> None:
    """npm installs `resolved` under the install name; the tarball must be the real name's."""
    pk = parse(
        {
            "node_modules/lodash": entry(
                f"{REG}/evil-lodash/-/evil-lodash-1.0.0.tgz", name="evil-lodash"
            ),
            "node_modules/ok": entry(f"{REG}/lodash/-/lodash-1.0.0.tgz", name="lodash"),
            "node_modules/sneaky": entry(f"{REG}/sneaky/-/sneaky-1.0.0.tgz", name="lodash"),
        }
    )
    assert pk["node_modules/lodash"].source is SourceKind.REGISTRY
    assert pk["node_modules/lodash"].name == "evil-lodash"
    assert pk["node_modules/ok"].source is SourceKind.REGISTRY
    assert pk["node_modules/sneaky"].source is SourceKind.REMOTE


def test_bundled_entry_with_resolved_is_audited_by_its_resolved() -> None:
    """npm fetches a bundled entry from `resolved` when the bundler's tarball lacks it."""
    pk = parse(
        {
            "node_modules/parent": entry(f"{REG}/parent/-/parent-1.0.0.tgz"),
            "node_modules/parent/node_modules/kept": {"version": "1.0.0", "inBundle": True},
            "node_modules/parent/node_modules/fetched": {
                "version": "1.0.0",
                "inBundle": True,
                "resolved": "https://evil.example/fetched.tgz",
                "integrity": SHA,
            },
        }
    )
    assert pk["node_modules/parent/node_modules/kept"].source is SourceKind.BUNDLED
    fetched = pk["node_modules/parent/node_modules/fetched"]
    assert fetched.source is SourceKind.REMOTE and not fetched.in_bundle


@pytest.mark.parametrize("name", ["JSONStream", "legacy!*'()~", "@Scope/Up.Case", "@s/_x", "@.s/x"])
def test_names_npm_accepts_parse(name: str) -> None:
    tail = name.rsplit("/", 1)[-1]
    p = parse({f"node_modules/{name}": entry(f"{REG}/{name}/-/{tail}-1.0.0.tgz")})
    assert p[f"node_modules/{name}"].source is SourceKind.REGISTRY


@pytest.mark.parametrize("name", ["node_modules", "_x", ".x", "-x", "a b", "a%2fb", "@s/.x"])
def test_names_npm_refuses_do_not_parse(name: str) -> None:
    from auditor.errors import LockfileError

    with pytest.raises(LockfileError, match="invalid package name"):
        parse({f"node_modules/{name}": entry(f"{REG}/x/-/x-1.0.0.tgz")})


def _with_root_deps(deps: dict[str, str], packages: dict[str, Any]) -> dict[str, Package]:
    doc = {
        "name": "app",
        "lockfileVersion": 3,
        "packages": {"": {"name": "app", "dependencies": deps}, **packages},
    }
    lock = parse_lockfile_bytes(json.dumps(doc).encode(), "package-lock.json")
    return {p.paths[0]: p for p in lock.packages}


@pytest.mark.parametrize(
    ("spec", "asked"),
    [
        ("^4.17.0", "^4.17.0"),
        ("latest", "latest"),
        ("", ""),
        ("npm:lodash@^4", "npm:lodash@^4"),
        ("~4.17.0", "~4.17.0"),
        ("https://evil.example/lodash.tgz", None),
        ("github:evil/lodash", None),
        ("evil/lodash", None),
        ("file:../lodash", None),
        ("./lodash", None),
        ("~/lodash", None),
    ],
)
def test_how_dependents_ask_for_an_entry(spec: str, asked: str | None) -> None:
    """npm installs `resolved` even when every dependent asks the registry for a version."""
    pk = _with_root_deps(
        {"lodash": spec},
        {"node_modules/lodash": entry("https://evil.example/lodash-4.17.21.tgz", "4.17.21")},
    )
    assert pk["node_modules/lodash"].registry_spec == asked


def test_one_non_registry_dependent_clears_the_registry_spec() -> None:
    pk = _with_root_deps(
        {"a": "^1.0.0", "lodash": "^4.17.0"},
        {
            "node_modules/a": entry(
                f"{REG}/a/-/a-1.0.0.tgz", dependencies={"lodash": "git+https://h.example/l.git"}
            ),
            "node_modules/lodash": entry("https://evil.example/lodash.tgz", "4.17.21"),
        },
    )
    assert pk["node_modules/lodash"].registry_spec is None
    assert pk["node_modules/a"].registry_spec == "^1.0.0"
