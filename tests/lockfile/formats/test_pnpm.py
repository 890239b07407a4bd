"""pnpm-lock.yaml: what each real and hand-made lockfile parses to, and what is refused."""

from __future__ import annotations

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile, parse_lockfile_bytes
from auditor.models import Lockfile, Package, SourceKind
from tests.lockfile.conftest import flags
from tests.lockfile.formats.clients import FIXTURES

I1 = "sha512-" + "A" * 86 + "=="
I2 = "sha512-" + "B" * 86 + "=="


def load(kind: str, project: str) -> Lockfile:
    return parse_lockfile(FIXTURES / kind / project / "pnpm-lock.yaml")


def pkg(lockfile: Lockfile, spec: str) -> Package:
    found = [p for p in lockfile.packages if p.spec == spec]
    assert len(found) == 1, [p.spec for p in lockfile.packages]
    return found[0]


def line_of(kind: str, project: str, text: str) -> int:
    lines = (FIXTURES / kind / project / "pnpm-lock.yaml").read_text().splitlines()
    return lines.index(text) + 1


@pytest.mark.parametrize("kind", ["pnpm", "pnpm-v6"])
def test_simple_project(kind: str) -> None:
    lf = load(kind, "simple")
    assert lf.format == "pnpm" and lf.lockfile_version == (9 if kind == "pnpm" else 6)
    got = {p.spec: flags(p) for p in lf.packages}
    fsevents = "OSd" if kind == "pnpm-v6" else "Od"  # v6 records requiresBuild
    assert got == {
        "@sigstore/protobuf-specs@0.3.2": "d",
        "debug@4.4.3": "d",
        "fsevents@2.3.3": fsevents,
        "is-number@7.0.0": "Dd",
        "js-tokens@4.0.0": "",
        "lodash@4.17.21": "d",
        "loose-envify@1.4.0": "",
        "lru-cache@6.0.0": "D",
        "ms@2.1.3": "d",
        "react-dom@18.2.0": "d",
        "react@18.2.0": "d",
        "scheduler@0.23.2": "",
        "semver@7.6.0": "Dd",
        "yallist@4.0.0": "D",
    }
    lodash = pkg(lf, "lodash@4.17.21")
    assert lodash.aliases == ("lodash-alias",) and lodash.registry_spec == "npm:lodash@4.17.21"
    assert lf.graph and pkg(lf, "debug@4.4.3").dependencies == ("ms@2.1.3",)
    assert pkg(lf, "react-dom@18.2.0").dependencies == (
        "loose-envify@1.4.0",
        "react@18.2.0",
        "scheduler@0.23.2",
    )
    react_dom = pkg(lf, "react-dom@18.2.0")
    assert react_dom.paths[0].endswith("react-dom@18.2.0(react@18.2.0)")
    for p in lf.packages:
        assert p.source is SourceKind.REGISTRY and p.sha512 is not None and p.resolved is None
    key = "  /debug@4.4.3:" if kind == "pnpm-v6" else "  debug@4.4.3:"
    assert pkg(lf, "debug@4.4.3").line == line_of(kind, "simple", key)
    # pnpm 8 leaves `/@scope/...` keys unquoted, pnpm 9 quotes `'@scope/...'`.
    scoped = (
        "/@sigstore/protobuf-specs@0.3.2"
        if kind == "pnpm-v6"
        else "'@sigstore/protobuf-specs@0.3.2'"
    )
    assert pkg(lf, "@sigstore/protobuf-specs@0.3.2").line == line_of(kind, "simple", f"  {scoped}:")


@pytest.mark.parametrize("kind", ["pnpm", "pnpm-v6"])
def test_workspace_project(kind: str) -> None:
    lf = load(kind, "mono")
    assert lf.workspaces == ("packages/a", "packages/b", "packages/c")
    got = {(p.spec, p.source.value): flags(p) for p in lf.packages}
    assert got == {
        ("@mono/b@", "link"): "d",
        ("linked@", "link"): "d",
        ("local-dir@file:local-dir", "link"): "d",
        ("is-buffer@2.0.5", "registry"): "",
        ("is-number@6.0.0", "registry"): "d",
        ("is-number@7.0.0", "registry"): "Dd",
        # a root devDependency and an optional dependency of packages/b: devOptional
        ("is-odd@3.0.1", "registry"): "Xd",
        ("kind-of@6.0.3", "registry"): "d",
        ("ms@2.0.0", "registry"): "d",
        ("ms@2.1.3", "registry"): "d",
    }
    assert pkg(lf, "@mono/b@").resolved == "packages/b"
    assert pkg(lf, "linked@").resolved == "packages/c"
    assert pkg(lf, "ms@2.0.0").aliases == ("ms-old",)
    assert pkg(lf, "local-dir@file:local-dir").resolved == "local-dir"


def test_sources_project() -> None:
    lf = load("pnpm", "sources")
    git = pkg(lf, "git-dep@1.2.3")
    assert git.source is SourceKind.GIT and git.resolved is not None
    assert git.resolved.endswith("#d818e0589df31a86f9ad07e2ca3016c56c607bbc")
    tar = pkg(lf, "tar-dep@0.0.1")
    assert tar.source is SourceKind.FILE and tar.resolved == "file:vendor/tar-dep-0.0.1.tgz"
    assert tar.integrity is not None
    # pnpm records a tarball URL of the registry as the registry package it is.
    ms = pkg(lf, "ms@2.1.2")
    assert ms.source is SourceKind.REGISTRY and ms.aliases == ("ms-tarball",)
    assert ms.registry_spec is None  # asked for by URL
    debug = pkg(lf, "debug@4.3.4")
    assert debug.aliases == ("@scope-alias/debug",)
    others = [p for p in lf.packages if p.name.startswith("@esbuild/")]
    assert len(others) == 23 and all(p.optional and not p.direct for p in others)


def doc(body: str, version: str = "'9.0'") -> bytes:
    return f"lockfileVersion: {version}\n\n{body}".encode()


TARBALLS = doc(
    f"""importers:

  .:
    dependencies:
      a:
        specifier: https://h.example/a.tgz
        version: https://h.example/a.tgz
      b:
        specifier: ^1.0.0
        version: 1.0.0
      c:
        specifier: ^2.0.0
        version: 2.0.0
      d:
        specifier: ^1.0.0
        version: 1.0.0

packages:

  a@https://h.example/a.tgz:
    resolution: {{integrity: {I1}, tarball: https://h.example/a.tgz}}
    version: 1.0.0

  b@1.0.0:
    resolution: {{integrity: {I1}, tarball: 'http://127.0.0.1:4873/b/-/b-1.0.0.tgz'}}

  c@2.0.0:
    resolution: {{integrity: {I2}, tarball: 'http://127.0.0.1:4873/evil/-/evil-2.0.0.tgz'}}

  d@1.0.0:
    resolution: {{type: variations, variants: []}}

snapshots:

  a@https://h.example/a.tgz: {{}}

  b@1.0.0: {{}}

  c@2.0.0: {{}}

  d@1.0.0: {{}}
"""
)


def test_tarball_resolutions_are_classified_like_npm_resolved() -> None:
    lf = parse_lockfile_bytes(TARBALLS, "pnpm-lock.yaml")
    by = {p.name: p for p in lf.packages}
    assert by["a"].source is SourceKind.REMOTE and by["a"].version == "1.0.0"
    assert by["b"].source is SourceKind.REGISTRY
    assert by["b"].resolved == "http://127.0.0.1:4873/b/-/b-1.0.0.tgz"
    # A registry spec resolved to another package's tarball: remote, and the spec is kept
    # for source-registry-mismatch.
    assert by["c"].source is SourceKind.REMOTE and by["c"].registry_spec == "^2.0.0"
    assert by["d"].source is SourceKind.REMOTE and by["d"].resolved == "pnpm:variations"
    assert by["a"].line == 22 and by["d"].line == 32


ENV = f"""---
lockfileVersion: '9.0'

importers:

  .:
    configDependencies:
      cfg:
        specifier: 2.0.0
        version: 2.0.0
      bare: 1.0.0+{I2}
    packageManagerDependencies:
      pnpm:
        specifier: 11.1.0
        version: 11.1.0

packages:

  cfg@2.0.0:
    resolution: {{integrity: {I1}}}

  pnpm@11.1.0:
    resolution: {{integrity: {I2}}}

snapshots:

  cfg@2.0.0: {{}}

  pnpm@11.1.0: {{}}

---
"""

MAIN = f"""lockfileVersion: '9.0'

importers:

  .:
    devDependencies:
      dep:
        specifier: 1.0.0
        version: 1.0.0

packages:

  dep@1.0.0:
    resolution: {{integrity: {I1}}}

snapshots:

  dep@1.0.0: {{}}
"""


def test_two_documents_of_pnpm_11() -> None:
    lf = parse_lockfile_bytes((ENV + MAIN).encode(), "pnpm-lock.yaml")
    assert lf.lockfile_version == 9
    got = {p.spec: (flags(p), p.line) for p in lf.packages}
    assert got == {
        "cfg@2.0.0": ("d", 19),
        "pnpm@11.1.0": ("d", 22),
        "bare@1.0.0": ("d", 6),  # no packages entry: the importer's line
        "dep@1.0.0": ("Dd", 44),
    }
    lines = (ENV + MAIN).splitlines()
    assert lines[43] == "  dep@1.0.0:" and lines[18] == "  cfg@2.0.0:" and lines[5] == "  .:"
    bare = next(p for p in lf.packages if p.name == "bare")
    assert bare.integrity == I2
    # The env document alone (no main document yet): its packages are still audited.
    alone = parse_lockfile_bytes(ENV.encode(), "pnpm-lock.yaml")
    assert {p.spec for p in alone.packages} == {"cfg@2.0.0", "pnpm@11.1.0", "bare@1.0.0"}
    # An env document with a version pnpm's env format uses (not a lockfile version).
    renamed = ENV.replace("lockfileVersion: '9.0'", "lockfileVersion: env-1.0", 1)
    assert len(parse_lockfile_bytes((renamed + MAIN).encode(), "x/pnpm-lock.yaml").packages) == 4


def test_same_key_resolved_differently_in_the_two_documents_is_refused() -> None:
    evil = (
        MAIN.replace("dep@1.0.0", "cfg@2.0.0")
        .replace("  dep:", "  cfg:")
        .replace("version: 1.0.0", "version: 2.0.0")
    )
    evil = evil.replace(I1, I2)
    with pytest.raises(LockfileError, match="resolved differently in the two documents"):
        parse_lockfile_bytes((ENV + evil).encode(), "pnpm-lock.yaml")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (doc("", "'5.4'"), r"^p/pnpm-lock.yaml:1: unsupported lockfileVersion 5.4 "),
        (doc("", "6"), None),
        (b"lockfileVersion: '9.0'\npackages: [1]\n", r":2: 'packages' is not a mapping"),
        (
            b"lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n",
            r":3: .*\"a@1.0.0\"\]: no resolution",
        ),
        (
            doc("packages:\n\n  a@1.0.0:\n    resolution: {integrity: x}\n  a@1.0.0:\n    x: 1\n"),
            r"duplicate",
        ),
        (
            doc("importers:\n  .:\n    dependencies:\n      x: {specifier: '1', version: 1.0.0}\n"),
            r":4: importers\[\"\.\"\]: dependencies: x -> 'x@1.0.0' is missing",
        ),
        (doc("snapshots:\n  a@1.0.0: {}\n"), r"snapshots\[\"a@1.0.0\"\]: no packages entry"),
        (
            doc("packages:\n  a@1.0.0:\n    resolution: {integrity: [1]}\n"),
            r"integrity is not a string",
        ),
        (doc("packages:\n  a@latest:\n    resolution: {integrity: x}\n"), r"is not semver"),
        (
            doc("packages:\n  Bad Name@1.0.0:\n    resolution: {integrity: x}\n"),
            r"invalid package name",
        ),
        (b"lockfileVersion: '9.0'\nimporters: {\n", r"^p/pnpm-lock.yaml:\d: not valid YAML"),
        (
            b"lockfileVersion: '9.0'\n" + b"- " * 100 + b"x\n",
            r":2: nested deeper than any lockfile",
        ),
        (b"lockfileVersion: '9.0'\n" + b" " * 200 + b"x: 1\n", r":2: nested deeper"),
        (b"lockfileVersion: '9.0'\na: !!python/object:os.system x\n", r"not valid YAML"),
        (b"lockfileVersion: '9.0'\n\xff\n", r"not UTF-8"),
        (b"- lockfileVersion\n", r"not a pnpm lockfile"),
        (b"lockfileVersion: '9.0'\n---\nfoo: 1\n", r"not a pnpm lockfile"),
    ],
)
def test_refused(data: bytes, message: str | None) -> None:
    if message is None:  # v6 written as a number parses
        assert parse_lockfile_bytes(data, "p/pnpm-lock.yaml").lockfile_version == 6
        return
    with pytest.raises(LockfileError, match=message) as info:
        parse_lockfile_bytes(data, "p/pnpm-lock.yaml")
    assert str(info.value).startswith("p/pnpm-lock.yaml:") and "\n" not in str(info.value)


def test_alias_bomb_is_refused() -> None:
    bomb = "lockfileVersion: '9.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
    )
    with pytest.raises(LockfileError, match="not valid YAML"):
        parse_lockfile_bytes(bomb.encode(), "pnpm-lock.yaml")


@pytest.mark.parametrize("project", ["simple", "mono", "sources"])
def test_yaml_rs_reads_the_fixtures_as_pyyaml_does(project: str) -> None:
    from auditor.lockfile.formats.yamlload import load_yaml

    text = (FIXTURES / "pnpm" / project / "pnpm-lock.yaml").read_text()
    assert load_yaml(text, "x") == load_yaml(text, "x", reference=True)
