"""Hand-written fixtures, one per lockfile shape: the exact model each one parses to."""

from __future__ import annotations

import json

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile_bytes
from auditor.models import SourceKind

from .conftest import by_spec, flags, load

REG = "http://127.0.0.1:4873"


@pytest.mark.parametrize(
    "name", ["one-package.v1.json", "one-package.v2.json", "one-package.v3.json"]
)
def test_one_package_every_version(name: str) -> None:
    lf = load(name)
    assert lf.lockfile_version == int(name[-6])
    assert lf.name == "app"
    [p] = lf.packages
    assert p.spec == "left-pad@1.3.0"
    assert p.source is SourceKind.REGISTRY
    assert p.resolved == f"{REG}/left-pad/-/left-pad-1.3.0.tgz"
    assert p.paths == ("node_modules/left-pad",)
    assert p.direct and p.production
    assert p.sha512 is not None and len(p.sha512) == 64
    assert p.integrity_problem is None


def test_v2_reads_packages_not_legacy_dependencies() -> None:
    # Both maps describe left-pad; the parser must not count it twice or mix line numbers.
    lf = load("one-package.v2.json")
    [p] = lf.packages
    assert p.line == 14  # the `packages` key, not the legacy `dependencies` one further down


def test_empty_lockfiles() -> None:
    for name in ("empty.v3.json", "empty.v1.json"):
        lf = load(name)
        assert lf.packages == ()
        assert lf.name == "empty"


def test_scoped_names_and_encoded_scope_in_url() -> None:
    pk = by_spec(load("scoped.v3.json"))
    assert set(pk) == {"@babel/core@7.25.8", "@babel/types@7.25.8", "@scope/encoded@1.0.0"}
    assert all(p.source is SourceKind.REGISTRY for p in pk.values())
    assert pk["@babel/core@7.25.8"].direct and not pk["@babel/types@7.25.8"].direct
    assert pk["@scope/encoded@1.0.0"].paths == ("node_modules/@scope/encoded",)


@pytest.mark.parametrize("name", ["alias.v3.json", "alias.v1.json"])
def test_aliases_resolve_to_the_real_name(name: str) -> None:
    pk = by_spec(load(name))
    legacy = pk["lodash@3.10.1"]
    assert "lodash-legacy" in legacy.aliases
    assert legacy.source is SourceKind.REGISTRY
    assert pk["lodash@4.17.21"].aliases == ()
    types = pk["@types/node@20.0.0"]
    assert types.aliases == ("types-alias",)
    assert types.paths == ("node_modules/types-alias",)
    assert types.direct


def test_alias_installed_under_two_names_merges() -> None:
    p = by_spec(load("alias.v3.json"))["lodash@3.10.1"]
    assert p.paths == ("node_modules/lodash-legacy", "node_modules/other/node_modules/lodash-old")
    assert p.aliases == ("lodash-legacy", "lodash-old")
    assert p.direct  # through node_modules/lodash-legacy


def test_nested_paths_merge_and_keep_versions_apart() -> None:
    lf = load("nested.v3.json")
    pk = by_spec(lf)
    assert [p.spec for p in lf.packages] == [
        "a@1.0.0",
        "b@1.0.0",
        "debug@2.6.9",
        "debug@4.3.7",
        "ms@2.0.0",
        "ms@2.1.3",
    ]
    assert pk["debug@2.6.9"].paths == (
        "node_modules/a/node_modules/debug",
        "node_modules/b/node_modules/debug",
    )
    assert pk["ms@2.0.0"].paths == (
        "node_modules/a/node_modules/ms",
        "node_modules/b/node_modules/debug/node_modules/ms",
    )
    assert not pk["debug@2.6.9"].direct
    assert pk["debug@4.3.7"].direct


def test_git_sources() -> None:
    pk = by_spec(load("git.v3.json"))
    assert {s: p.source for s, p in pk.items()} == {
        "gitdep@1.2.3": SourceKind.GIT,
        "hosted@0.1.0": SourceKind.GIT,
        "noversion@": SourceKind.GIT,  # a git dep may lack a version
    }
    assert pk["hosted@0.1.0"].resolved.startswith("github:org/hosted#")  # type: ignore[union-attr]
    v1 = load("git.v1.json")
    assert [p.source for p in v1.packages] == [SourceKind.GIT, SourceKind.GIT]
    # v1 records npm's spec as the version; it is kept verbatim.
    assert v1.packages[1].version.startswith("github:org/hosted#")


def test_remote_tarball_heuristic() -> None:
    pk = by_spec(load("remote.v3.json"))
    assert pk["cdn-pkg@1.0.0"].source is SourceKind.REMOTE
    assert pk["codeload@3.0.0"].source is SourceKind.REMOTE
    assert pk["renamed@2.0.0"].source is SourceKind.REMOTE  # file name has another version
    assert pk["proxied@1.1.0"].source is SourceKind.REGISTRY  # registry under a path prefix


def test_file_tarball_and_directory_link() -> None:
    pk = by_spec(load("file.v3.json"))
    tar = pk["local-tar@0.1.0"]
    assert tar.source is SourceKind.FILE
    assert tar.resolved == "file:vendor/local-tar-0.1.0.tgz"
    local = pk["local-dir@0.0.1"]
    assert local.source is SourceKind.LINK
    assert local.paths == ("node_modules/local-dir", "tools/local-dir")
    assert local.resolved == "tools/local-dir"
    assert flags(local) == "Dd"  # dev comes from the directory entry, not the link


def test_workspaces() -> None:
    lf = load("workspaces.v3.json")
    assert lf.workspaces == ("apps/web", "packages/core")
    pk = by_spec(lf)
    core = pk["@mono/core@1.2.0"]
    assert core.source is SourceKind.LINK
    assert core.paths == ("node_modules/@mono/core", "packages/core")
    assert core.direct
    assert pk["web@0.0.0"].paths == ("apps/web", "node_modules/web")
    # Dependencies of workspaces are direct; their own dependencies are not.
    assert pk["debug@2.6.9"].direct  # packages/core -> packages/core/node_modules/debug
    assert pk["debug@2.6.9"].paths == ("packages/core/node_modules/debug",)
    assert pk["react@18.3.1"].direct  # apps/web -> node_modules/react
    assert pk["typescript@5.6.3"].direct and pk["typescript@5.6.3"].dev
    assert not pk["loose-envify@1.4.0"].direct
    assert not pk["ms@2.0.0"].direct and not pk["ms@2.1.3"].direct


def test_bundled() -> None:
    lf = load("bundled.v3.json")
    abbrevs = [p for p in lf.packages if p.name == "abbrev"]
    assert [(p.source, p.in_bundle, p.integrity is None) for p in abbrevs] == [
        (SourceKind.BUNDLED, True, True),
        (SourceKind.REGISTRY, False, False),
    ]
    [bundled] = [p for p in load("bundled.v1.json").packages if p.name == "abbrev"]
    assert bundled.source is SourceKind.BUNDLED and bundled.in_bundle
    assert bundled.paths == ("node_modules/npm-like/node_modules/abbrev",)


def test_flags_merge_production_wins() -> None:
    got = {p.spec: flags(p) for p in load("flags.v3.json").packages}
    assert got == {
        "a@1.0.0": "d",
        "devonly@1.0.0": "Dd",
        "fsevents@2.3.3": "OSd",
        "mixed@1.0.0": "X",
        "opt-and-dev@1.0.0": "X",  # dev on one path, optional on the other
        "peer-dep@1.0.0": "Pd",
        "scripted@1.0.0": "S",
        "shared@1.0.0": "",  # prod under a, dev under devonly: production wins
        "truthy@1.0.0": "",  # "dev": "yes" is not true: audited as production
        "x@1.0.0": "Od",
    }


def test_missing_resolved_is_registry() -> None:
    pk = by_spec(load("no-resolved.v3.json"))
    assert all(p.source is SourceKind.REGISTRY and p.resolved is None for p in pk.values())
    assert "prerelease@1.0.0-rc.1+build.5" in pk


def test_integrity_problems_are_per_package() -> None:
    pk = {p.name: p for p in load("integrity.v3.json").packages}
    assert pk["missing"].integrity is None and pk["missing"].integrity_problem is None
    assert pk["missing"].hashes == ()
    # Read as npm's ssri reads them: the reason says why npm's check pins no single sha512.
    reasons = {
        "missing": "MISSING_INTEGRITY",
        "not-base64": "INTEGRITY_MALFORMED",
        "short-digest": "INTEGRITY_MALFORMED",
        "md5": "WEAK_INTEGRITY",
        "sha1-only": "WEAK_INTEGRITY",
        "numeric": "INTEGRITY_MALFORMED",
        "multi": None,
    }
    assert {name: p.integrity_reason for name, p in pk.items()} == reasons
    for bad in ("not-base64", "short-digest", "md5", "numeric", "sha1-only"):
        assert pk[bad].sha512 is None, bad
        assert pk[bad].integrity_problem, bad
    assert pk["not-base64"].hashes == () and pk["short-digest"].hashes == ()
    assert "base64" in (pk["not-base64"].integrity_problem or "")
    assert pk["numeric"].integrity is None
    assert pk["sha1-only"].sha1_only and pk["sha1-only"].sha512 is None
    assert [h.algorithm for h in pk["multi"].hashes] == ["sha1", "sha512"]
    assert not pk["multi"].sha1_only and pk["multi"].sha512 is not None
    [old] = load("sha1-only.v1.json").packages
    assert old.sha1_only


def test_v1_tree() -> None:
    lf = load("tree.v1.json")
    got = {p.spec: (p.source.value, flags(p), p.paths) for p in lf.packages}
    assert got == {
        "a@1.0.0": ("registry", "d", ("node_modules/a",)),
        "debug@2.6.9": ("registry", "", ("node_modules/a/node_modules/debug",)),
        "ms@2.0.0": ("registry", "", ("node_modules/a/node_modules/debug/node_modules/ms",)),
        # Required by nobody: direct (v1 records no root manifest).
        "debug@4.3.7": ("registry", "Dd", ("node_modules/debug",)),
        # Required by a (resolved from node_modules/a up to the top): transitive.
        "ms@2.1.3": ("registry", "", ("node_modules/ms",)),
        "opt@1.0.0": ("registry", "Od", ("node_modules/opt",)),
        "local@file:tools/local": ("link", "d", ("node_modules/local",)),
        "local-tar@file:vendor/local-tar-1.0.0.tgz": ("file", "d", ("node_modules/local-tar",)),
        "remote@https://cdn.example.test/remote-1.0.0.tgz": (
            "remote",
            "d",
            ("node_modules/remote",),
        ),
    }


def test_minified_and_escaped_keys() -> None:
    for name in ("minified.v3.json", "escaped.v3.json"):
        pk = by_spec(load(name))
        assert set(pk) == {"a@1.0.0", "@s/b@1.0.0"}, name
        assert pk["@s/b@1.0.0"].paths == ("node_modules/@s/b",)
    assert {p.line for p in load("minified.v3.json").packages} == {1}
    assert by_spec(load("escaped.v3.json"))["@s/b@1.0.0"].line == 19


def test_packages_are_sorted() -> None:
    for name in ("nested.v3.json", "alias.v3.json", "bundled.v3.json", "workspaces.v3.json"):
        pkgs = load(name).packages
        keys = [(p.name, p.version, p.integrity or "") for p in pkgs]
        assert keys == sorted(keys), name


def _workspace_doc(patterns: object) -> bytes:
    return json.dumps(
        {
            "lockfileVersion": 3,
            "packages": {
                "": {"workspaces": patterns, "dependencies": {"left-pad": "1"}},
                "node_modules/a": {"resolved": "libs/a", "link": True},
                "node_modules/b": {"resolved": "tools/b", "link": True},
                "libs/a": {"name": "a", "version": "1.0.0"},
                "tools/b": {"name": "b", "version": "2.0.0"},
            },
        }
    ).encode()


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["./libs/*/"], ("libs/a",)),
        (["libs/a", "tools/*"], ("libs/a", "tools/b")),
        ({"packages": ["tools/*"]}, ("tools/b",)),
        ([], ()),
        ("libs/*", ()),
    ],
)
def test_workspace_patterns(patterns: object, expected: tuple[str, ...]) -> None:
    lf = parse_lockfile_bytes(_workspace_doc(patterns), "x.json")
    assert lf.workspaces == expected
    # Non-workspace file: directory links are still links, just not workspaces.
    assert {p.name: p.source for p in lf.packages} == {"a": SourceKind.LINK, "b": SourceKind.LINK}
    assert {p.name for p in lf.packages if p.direct} == {p.rsplit("/", 1)[-1] for p in expected}


def test_too_many_workspace_patterns() -> None:
    with pytest.raises(LockfileError, match="more than 1000 workspace patterns"):
        parse_lockfile_bytes(_workspace_doc([f"p{i}/*" for i in range(1001)]), "x.json")


def test_bundled_flag_directly_under_the_project_is_not_trusted() -> None:
    # Only a package can bundle: a top-level "inBundle" entry is audited like any other.
    url = f"{REG}/x/-/x-1.0.0.tgz"
    v3 = {
        "lockfileVersion": 3,
        "packages": {"node_modules/x": {"version": "1.0.0", "resolved": url, "inBundle": True}},
    }
    [p] = parse_lockfile_bytes(json.dumps(v3).encode(), "x.json").packages
    assert p.source is SourceKind.REGISTRY and not p.in_bundle
    v1 = {"lockfileVersion": 1, "dependencies": {"x": {"version": "1.0.0", "bundled": True}}}
    [p] = parse_lockfile_bytes(json.dumps(v1).encode(), "x.json").packages
    assert p.source is SourceKind.REGISTRY and not p.in_bundle
    with pytest.raises(LockfileError, match="no version"):
        parse_lockfile_bytes(
            json.dumps({"lockfileVersion": 1, "dependencies": {"x": {"bundled": True}}}).encode(),
            "x.json",
        )
