"""Yarn Berry's yarn.lock: the fixtures Yarn 4.18 wrote, against `yarn info -AR --json`;
protocols, checksums, and what a hostile lockfile cannot make the audit believe."""

from __future__ import annotations

import json

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import detect_format, parse_lockfile, parse_lockfile_bytes
from auditor.lockfile.formats import yarn_berry
from auditor.models import SourceKind
from tests.lockfile.conftest import flags

from .conftest import BERRY

PROJECTS = ("basic", "monorepo", "patched")


def berry_listing(text: str) -> set[str]:
    """The locators `yarn info -AR --json` lists (one JSON document per line)."""
    return {json.loads(line)["value"] for line in text.splitlines() if line.strip()}


@pytest.mark.parametrize("project", PROJECTS)
def test_package_set_is_yarn_info(project: str) -> None:
    lf = parse_lockfile(BERRY / project / "yarn.lock")
    assert lf.format == "yarn-berry" and lf.lockfile_version == 10
    locators = [path for p in lf.packages for path in p.paths]
    assert len(locators) == len(set(locators))
    assert set(locators) == berry_listing((BERRY / project / "info.json").read_text())


# spec, source, flags (D dev, O optional, X devOptional, d direct), line, aliases
EXPECTED = {
    "basic": [
        ("@isaacs/fs-minipass@4.0.1", "registry", "O", 8, ()),
        ("@sindresorhus/is@4.6.0", "registry", "d", 17, ()),
        ("abbrev@5.0.0", "registry", "O", 24, ()),
        ("b-basic@0.0.0-use.local", "link", "d", 31, ()),
        ("chownr@3.0.0", "registry", "O", 51, ()),
        ("debug@4.4.3", "registry", "d", 58, ()),
        ("env-paths@2.2.1", "registry", "O", 70, ()),
        ("es-errors@1.3.0", "registry", "", 77, ()),
        ("exponential-backoff@3.1.3", "registry", "O", 84, ()),
        ("fdir@6.5.0", "registry", "O", 91, ()),
        ("fsevents@2.3.3", "registry", "Od", 103, ()),
        ("fsevents@2.3.3", "file", "Od", 113, ()),
        ("function-bind@1.1.2", "registry", "", 122, ()),
        ("graceful-fs@4.2.12", "registry", "O", 129, ()),
        ("hasown@2.0.4", "registry", "", 136, ()),
        ("is-core-module@2.18.0", "registry", "", 145, ()),
        ("is-number@6.0.0", "registry", "D", 161, ()),
        ("is-number@7.0.0", "registry", "d", 154, ()),
        ("is-odd@3.0.1", "registry", "Dd", 168, ()),
        ("isexe@4.0.0", "registry", "O", 177, ()),
        ("left-pad@1.3.0", "registry", "d", 184, ("lp",)),
        ("minipass@7.1.3", "registry", "O", 191, ()),
        ("minizlib@3.1.0", "registry", "O", 198, ()),
        ("ms@2.1.3", "registry", "d", 207, ()),
        ("node-gyp@13.1.0", "registry", "O", 214, ()),
        ("nopt@10.0.1", "registry", "O", 234, ()),
        ("once@1.4.0", "registry", "Dd", 245, ()),
        ("path-parse@1.0.7", "registry", "", 254, ()),
        ("picomatch@4.0.7", "registry", "O", 261, ()),
        ("proc-log@7.0.0", "registry", "O", 268, ()),
        ("resolve@1.22.14", "registry", "d", 275, ()),
        ("resolve@1.22.14", "file", "d", 289, ()),
        ("semver@7.8.6", "registry", "O", 303, ()),
        ("supports-preserve-symlinks-flag@1.0.0", "registry", "", 312, ()),
        ("tar@7.5.24", "registry", "O", 319, ()),
        ("tinyglobby@0.2.17", "registry", "O", 332, ()),
        ("undici@8.14.1", "registry", "O", 342, ()),
        ("which@7.0.0", "registry", "O", 349, ()),
        ("wrappy@1.0.2", "registry", "D", 360, ()),
        ("yallist@5.0.0", "registry", "O", 367, ()),
    ],
    "monorepo": [
        ("@mono/a@0.0.0-use.local", "link", "d", 8, ()),
        ("@mono/b@0.0.0-use.local", "link", "d", 22, ()),
        ("b-mono@0.0.0-use.local", "link", "d", 32, ()),
        ("is-buffer@1.1.6", "registry", "", 45, ()),
        ("is-even@1.0.0", "registry", "d", 52, ()),
        ("is-number@3.0.0", "registry", "", 61, ()),
        ("is-number@6.0.0", "registry", "Dd", 70, ()),
        ("is-number@7.0.0", "registry", "d", 77, ()),
        ("is-odd@0.1.2", "registry", "", 84, ()),
        ("is-odd@3.0.1", "registry", "Dd", 93, ()),
        ("kind-of@3.2.2", "registry", "", 102, ()),
        ("left-pad@1.2.0", "registry", "d", 140, ("pad",)),
        ("link-dep@0.0.0-use.local", "link", "d", 111, ()),
        ("lp-tarball@1.1.3", "remote", "d", 117, ()),
        ("ms@2.1.3", "registry", "", 124, ()),
        ("once@1.4.0", "registry", "Dd", 131, ()),
        ("portal-dep@0.0.0-use.local", "link", "d", 147, ()),
        ("util-local@0.1.0", "file", "d", 155, ()),
        ("vendored@2.0.0", "file", "d", 164, ()),
        ("wrappy@1.0.2", "registry", "d", 173, ()),
    ],
    "patched": [
        ("@types/ms@0.7.34", "registry", "d", 8, ()),
        ("ansi-regex@5.0.1", "registry", "D", 15, ()),
        ("b-patched@0.0.0-use.local", "link", "d", 22, ()),
        ("left-pad@1.3.0", "registry", "", 32, ()),
        ("left-pad@1.3.0", "file", "d", 39, ()),
        ("strip-ansi@6.0.1", "registry", "Dd", 46, ()),
    ],
}


@pytest.mark.parametrize("project", PROJECTS)
def test_fixture_shapes(project: str) -> None:
    lf = parse_lockfile(BERRY / project / "yarn.lock")
    got = [(p.spec, p.source.value, flags(p), p.line, p.aliases) for p in lf.packages]
    assert got == EXPECTED[project]
    lines = (BERRY / project / "yarn.lock").read_text().splitlines()
    for p in lf.packages:
        assert lines[p.line - 1].startswith(('"', p.name[0]))


def test_registry_packages_bind_through_the_packument() -> None:
    lf = parse_lockfile(BERRY / "basic" / "yarn.lock")
    for p in lf.packages:
        # Berry's checksum never reaches the integrity: it hashes Yarn's zip.
        assert p.integrity is None and p.hashes == () and p.sha512 is None
        if p.source is SourceKind.REGISTRY:
            assert p.integrity_source == "packument"
            assert p.resolved is None  # fetched from the configured registry
            assert p.integrity_problem is not None and "zip" in p.integrity_problem
        else:
            assert p.integrity_source == "lockfile"


def test_monorepo_sources() -> None:
    lf = parse_lockfile(BERRY / "monorepo" / "yarn.lock")
    assert lf.workspaces == ("packages/a", "packages/b")
    by = {p.name: p for p in lf.packages}
    assert by["lp-tarball"].resolved == "http://127.0.0.1:4873/left-pad/-/left-pad-1.1.3.tgz"
    assert by["link-dep"].resolved == "./local/link"
    assert by["portal-dep"].source is SourceKind.LINK
    assert by["@mono/b"].paths == ("@mono/b@workspace:packages/b",)


def test_without_manifests_everything_is_production() -> None:
    data = (BERRY / "basic" / "yarn.lock").read_bytes()
    lf = parse_lockfile_bytes(data, "origin/main:yarn.lock")
    assert not any(p.dev for p in lf.packages)
    assert {p.name for p in lf.packages if p.direct} >= {"is-odd", "once", "debug"}


def test_sniff() -> None:
    head = (BERRY / "basic" / "yarn.lock").read_bytes()[:4096]
    assert detect_format("yarn.lock", head).name == "yarn-berry"
    assert detect_format("old.lock", head).name == "yarn-berry"


HEADER = "__metadata:\n  version: 10\n  cacheKey: 10c0\n\n"


def berry(body: str, header: str = HEADER) -> list[object]:
    return list(yarn_berry.parse((header + body).encode(), "yarn.lock").packages)


ENTRY = (
    '"left-pad@npm:^1.3.0":\n  version: 1.3.0\n  resolution: "{resolution}"\n'
    "  checksum: 10c0/abc\n  languageName: node\n  linkType: hard\n"
)


@pytest.mark.parametrize(
    ("resolution", "source", "resolved"),
    [
        ("left-pad@npm:1.3.0", SourceKind.REGISTRY, None),
        # An archive URL that is the package's own tarball path: still the registry's.
        (
            "left-pad@npm:1.3.0::__archiveUrl=http%3A%2F%2F127.0.0.1%3A4873%2Fleft-pad%2F-%2Fleft-pad-1.3.0.tgz",
            SourceKind.REGISTRY,
            "http://127.0.0.1:4873/left-pad/-/left-pad-1.3.0.tgz",
        ),
        # Anything else Yarn fetches from there: a remote tarball, never the registry's.
        (
            "left-pad@npm:1.3.0::__archiveUrl=https%3A%2F%2Fevil.invalid%2Fx.tgz",
            SourceKind.REMOTE,
            "https://evil.invalid/x.tgz",
        ),
        ("left-pad@https://evil.invalid/left-pad-1.3.0.tgz", SourceKind.REMOTE, None),
        ("left-pad@https://github.com/u/left-pad.git#commit=abc", SourceKind.GIT, None),
        ("left-pad@file:./x.tgz::locator=a%40workspace%3A.", SourceKind.FILE, None),
        ("left-pad@exec:./gen.js", SourceKind.FILE, None),
        ("left-pad@weird:thing", SourceKind.REMOTE, None),
    ],
)
def test_a_registry_range_locked_elsewhere(
    resolution: str, source: SourceKind, resolved: str | None
) -> None:
    (p,) = berry(ENTRY.format(resolution=resolution))
    assert p.source is source  # type: ignore[attr-defined]
    if resolved is not None:
        assert p.resolved == resolved  # type: ignore[attr-defined]
    # Every dependent asked the registry: a non-registry source is a policy finding.
    assert p.registry_spec == "npm:^1.3.0"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            ENTRY.format(resolution="left-pad@npm:1.2.0"),
            "yarn.lock:5: 'left-pad@npm:^1.3.0': version '1.3.0' differs",
        ),
        (ENTRY.format(resolution="left-pad@npm:latest"), "is not semver"),
        (ENTRY.format(resolution="right-pad@npm:1.3.0"), "names another package"),
        (
            ENTRY.format(resolution="left-pad@npm:1.3.0") + "  resolution: x\n",
            "yarn.lock:11: not a valid Yarn lockfile: duplicate key 'resolution'",
        ),
        (ENTRY.format(resolution="left-pad@npm:1.3.0") * 2, "duplicate key 'left-pad@npm:^1.3.0'"),
        (
            '"a@npm:1":\n  version: 1.0.0\n  languageName: node\n  linkType: hard\n',
            "'resolution' is missing",
        ),
        ('"a@npm:1":\n  version: 1.0.0\n  resolution: "a@npm:1.0.0"\n', "'linkType' is missing"),
        ('"a@npm:1": &x\n  version: 1.0.0\n"b@npm:1": *x\n', "YAML aliases are not read"),
        ('"a@npm:1": [1, 2]\n', "not an entry"),
        ("a: b: c\n", "not a valid Yarn lockfile"),
        (
            '"a@npm:1":\n  version: 1.0.0\n  resolution: "a@npm:1.0.0"\n  linkType: hard\n'
            "  dependencies: x\n",
            "'dependencies' is not a mapping",
        ),
    ],
)
def test_errors(body: str, message: str) -> None:
    with pytest.raises(LockfileError) as err:
        berry(body)
    assert message in str(err.value) and str(err.value).startswith("yarn.lock")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    "char", ["\x01", "\x0b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\uffff"]
)
@pytest.mark.parametrize("where", ["comment", "value"])
def test_characters_yaml_readers_disagree_on_are_refused(char: str, where: str) -> None:
    """js-yaml (Yarn) refuses non-printable characters; libyaml reads NEL, LS and PS as line
    breaks where js-yaml does not (`# x<LS>b: c` is one comment for Yarn, a comment and an
    entry `b` for libyaml): either would let this audit read other entries than Yarn."""
    entry = ENTRY.format(resolution="left-pad@npm:1.3.0")
    body = f"# note {char}b: c\n" + entry if where == "comment" else entry + f'  bin: "x{char}"\n'
    with pytest.raises(LockfileError) as err:
        berry(body)
    line = 5 if where == "comment" else 5 + entry.count("\n")
    assert str(err.value) == (
        f"yarn.lock:{line}: character U+{ord(char):04X}: Yarn's YAML reader refuses it or reads "
        "it otherwise than other YAML readers"
    )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("__metadata:\n  version: 3\n", "yarn.lock:1: __metadata version 3"),
        ("__metadata:\n  version: ten\n", "is not a number"),
        ("__metadata: 1\n", "no __metadata mapping"),
        ("# yarn lockfile v1\n" + HEADER, "yarn.lock:1: a Yarn 1 header"),
    ],
)
def test_metadata_errors(header: str, message: str) -> None:
    with pytest.raises(LockfileError, match=message):
        berry("", header)


def test_scalars_stay_strings() -> None:
    # `version: 1.10` is not the float 1.1, `optional: true` not a boolean: Yarn reads text.
    body = (
        '"a@npm:1.10.0":\n  version: 1.10.0\n  resolution: "a@npm:1.10.0"\n'
        "  dependencies:\n    b: 1.10\n  dependenciesMeta:\n    b:\n      optional: true\n"
        "  linkType: hard\n"
        '"b@npm:1.10":\n  version: 1.10.0\n  resolution: "b@npm:1.10.0"\n  linkType: hard\n'
    )
    a, b = berry(body)
    assert a.spec == "a@1.10.0" and b.spec == "b@1.10.0"  # type: ignore[attr-defined]


def test_dependency_graph() -> None:
    lf = parse_lockfile(BERRY / "monorepo" / "yarn.lock")
    assert lf.graph
    deps = {p.spec: p.dependencies for p in lf.packages if p.source is not SourceKind.LINK}
    assert deps["is-even@1.0.0"] == ("is-odd@0.1.2",)
    assert deps["vendored@2.0.0"] == ("is-number@7.0.0",)
