"""yarn.lock v1: the fixtures Yarn 1.22 wrote, against Yarn's own listing; the grammar's
edges; what Yarn checks a tarball against."""

from __future__ import annotations

import base64
import hashlib

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import detect_format, parse_lockfile, parse_lockfile_bytes
from auditor.lockfile.formats import yarn_classic
from auditor.lockfile.formats.yarn_classic import read_entries, yarn_integrity
from auditor.models import SourceKind, check_integrity
from tests.lockfile.conftest import flags

from .conftest import CLASSIC, by_name, classic_listing, installed

PROJECTS = ("basic", "monorepo", "sources")


def _links(project: str) -> set[str]:
    lf = parse_lockfile(CLASSIC / project / "yarn.lock")
    return {p.name for p in lf.packages if p.source is SourceKind.LINK}


@pytest.mark.parametrize("project", PROJECTS)
def test_package_set_is_yarn_lists(project: str) -> None:
    lf = parse_lockfile(CLASSIC / project / "yarn.lock")
    assert lf.format == "yarn-classic"
    listing = classic_listing(
        (CLASSIC / project / "listing.json").read_text(), links=_links(project)
    )
    assert installed(lf) == listing


@pytest.mark.parametrize("project", PROJECTS)
def test_dev_packages_are_the_ones_yarn_leaves_out_in_production(project: str) -> None:
    lf = parse_lockfile(CLASSIC / project / "yarn.lock")
    links = _links(project)
    full = classic_listing((CLASSIC / project / "listing.json").read_text(), links=links)
    production = classic_listing(
        (CLASSIC / project / "listing-production.json").read_text(), links=links
    )
    dev = {f"{name}@{p.version}" for p in lf.packages if p.dev for name in (p.aliases or (p.name,))}
    assert dev == full - production


# spec, source, flags (D dev, O optional, X devOptional, d direct), integrity reason, line,
# aliases
EXPECTED = {
    "basic": [
        ("@sindresorhus/is@4.6.0", "registry", "d", None, 5, ()),
        ("debug@4.4.3", "registry", "d", None, 10, ()),
        ("fsevents@2.3.3", "registry", "Od", None, 17, ()),
        ("is-number@6.0.0", "registry", "D", None, 27, ()),
        ("is-number@7.0.0", "registry", "d", None, 22, ()),
        ("is-odd@3.0.1", "registry", "Dd", None, 32, ()),
        ("left-pad@1.3.0", "registry", "d", None, 39, ("lp",)),
        ("ms@2.1.3", "registry", "d", None, 44, ()),
        ("once@1.4.0", "registry", "Dd", None, 49, ()),
        ("wrappy@1.0.2", "registry", "D", None, 56, ()),
    ],
    "monorepo": [
        ("@mono/a@1.0.0", "link", "d", "MISSING_INTEGRITY", 0, ()),
        ("@mono/b@1.0.0", "link", "d", "MISSING_INTEGRITY", 0, ()),
        ("is-buffer@1.1.6", "registry", "", None, 5, ()),
        ("is-even@1.0.0", "registry", "d", None, 10, ()),
        ("is-number@3.0.0", "registry", "", None, 17, ()),
        ("is-number@6.0.0", "registry", "Dd", None, 24, ()),
        ("is-number@7.0.0", "registry", "Od", None, 29, ()),
        ("is-odd@0.1.2", "registry", "", None, 34, ()),
        ("is-odd@3.0.1", "registry", "Dd", None, 41, ()),
        ("kind-of@3.2.2", "registry", "", None, 48, ()),
        ("left-pad@1.2.0", "registry", "d", None, 67, ("pad",)),
        ("ms@2.1.3", "registry", "", None, 55, ()),
        ("once@1.4.0", "registry", "Dd", None, 60, ()),
        ("util-local@0.1.0", "file", "d", "MISSING_INTEGRITY", 72, ()),
        ("wrappy@1.0.2", "registry", "d", None, 77, ()),
    ],
    "sources": [
        ("@types/ms@0.7.34", "registry", "d", None, 5, ()),
        ("ansi-regex@5.0.1", "registry", "", None, 10, ()),
        ("is-number@7.0.0", "registry", "", None, 15, ()),
        ("linked-dep@0.0.0", "link", "d", "MISSING_INTEGRITY", 20, ()),
        # A tarball URL dependency: only the #sha1 pins it, and the URL is left-pad's
        # tarball, not lp-tarball's: a remote tarball.
        ("lp-tarball@1.1.3", "remote", "d", "WEAK_INTEGRITY", 24, ()),
        ("ms@2.0.0", "registry", "Dd", None, 28, ("ms-dev",)),
        ("strip-ansi@6.0.1", "registry", "d", None, 33, ()),
        ("vendored@2.0.0", "file", "d", "WEAK_INTEGRITY", 40, ()),
    ],
}


@pytest.mark.parametrize("project", PROJECTS)
def test_fixture_shapes(project: str) -> None:
    lf = parse_lockfile(CLASSIC / project / "yarn.lock")
    got = [
        (p.spec, p.source.value, flags(p), p.integrity_reason, p.line, p.aliases)
        for p in lf.packages
    ]
    assert got == EXPECTED[project]
    lines = (CLASSIC / project / "yarn.lock").read_text().splitlines()
    for p in lf.packages:
        if p.line:
            assert lines[p.line - 1].lstrip('"').startswith(p.paths[0].split(", ")[0])


def test_registry_entries_bind_the_sha512_yarn_checks() -> None:
    lf = parse_lockfile(CLASSIC / "basic" / "yarn.lock")
    p = by_name(lf)["ms@2.1.3"]
    assert p.paths == ("ms@^2.1.1, ms@^2.1.3",)
    assert p.resolved == "http://127.0.0.1:4873/ms/-/ms-2.1.3.tgz"  # fetched: no #sha1
    assert p.integrity is not None and p.integrity.startswith("sha512-")
    assert p.sha512 is not None and check_integrity(p.integrity).sha512 == p.sha512
    assert p.registry_spec == "^2.1.1"


def test_without_manifests_everything_is_production() -> None:
    data = (CLASSIC / "basic" / "yarn.lock").read_bytes()
    lf = parse_lockfile_bytes(data, "origin/main:yarn.lock")  # a git label: no manifests
    assert lf.format == "yarn-classic"
    assert not any(p.dev or p.optional or p.dev_optional for p in lf.packages)
    # Direct: what no other entry depends on.
    assert {p.name for p in lf.packages if p.direct} == {
        "@sindresorhus/is",
        "debug",
        "fsevents",
        "is-number",
        "is-odd",
        "left-pad",
        "once",
    }


# --- the grammar -------------------------------------------------------------------------


def doc(text: str) -> dict[str, object]:
    entries, _ = read_entries(text, "yarn.lock")
    return {key: e.fields for e in entries for key in e.keys}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Multi-key, quoted and unquoted keys, comments, `key value` and `key: value`.
        (
            '# yarn lockfile v1\n\n"@s/a@^1", a@^1.1:\n  version "1.0.0"\n  # note\n'
            '  dependencies:\n    b: "^2"\n  optional true\n  n 12\n',
            {
                "@s/a@^1": {
                    "version": "1.0.0",
                    "dependencies": {"b": "^2"},
                    "optional": True,
                    "n": 12,
                },
                "a@^1.1": {
                    "version": "1.0.0",
                    "dependencies": {"b": "^2"},
                    "optional": True,
                    "n": 12,
                },
            },
        ),
        # CRLF is a newline.
        (
            'a@1:\r\n  version "1"\r\nb@1:\r\n  version "2"\r\n',
            {"a@1": {"version": "1"}, "b@1": {"version": "2"}},
        ),
        # Escapes, and Yarn's rule for a quote after two backslashes (it ends the string).
        ('"a\\"b":\n  x "\\\\"\n', {'a"b': {"x": "\\"}}),
        # `true` is read even as a prefix; identifiers run to `:`, space, `,` or newline.
        ("a:\n  x /p.q#r\n", {"a": {"x": "/p.q#r"}}),
        # Blank lines with spaces between entries.
        ('a:\n  x "1"\n  \nb:\n  y "2"\n', {"a": {"x": "1"}, "b": {"y": "2"}}),
    ],
)
def test_grammar(text: str, expected: dict[str, object]) -> None:
    assert doc(text) == expected


def test_lone_cr_is_a_newline_that_starts_no_indent() -> None:
    # Yarn reads `b@1` as an empty entry and `version "2"` as a top-level key (its own
    # reader agrees: tests/lockfile/yarn/test_yarn1_oracle.py): not an entry, refused.
    with pytest.raises(LockfileError, match=r"^yarn.lock:4: 'version' is not an entry"):
        yarn_classic.parse(b'a@1:\r\n  version "1"\r\nb@1:\r  version "2"\r', "yarn.lock")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a:\n   b "1"\n', "yarn.lock:2: indented by 3 spaces"),
        ('a@1:\n  version "1"\n    x "2"\nb@1:\n  version "2"\n', "yarn.lock:3: indented deeper"),
        ('a@1:\n  version "1"\na@1:\n  version "2"\n', "yarn.lock:3: duplicate key 'a@1'"),
        ('a@1:\n  version "1"\n  version "2"\n', "yarn.lock:3: duplicate key 'version'"),
        ("# yarn lockfile v2\n", "yarn.lock:1: yarn lockfile v2: Yarn 1 reads only v1"),
        ('@s/a@1:\n  version "1"\n', "yarn.lock:1:1: unexpected character '@'"),
        ('a:\n  x "1\n', "yarn.lock:2:5: malformed quoted string"),
        ('"":\n  x "1"\n', "yarn.lock:1:1: empty key"),
        ("a:\n  x\n", "yarn.lock:2:4: expected a value or ':' after the key"),
        ("a, 1:\n", "yarn.lock:1:4: expected a key after ','"),
        (":\n", "yarn.lock:1:1: unexpected token"),
        ('a "1"\n', "yarn.lock:1: 'a' is not an entry"),
    ],
)
def test_grammar_errors(text: str, message: str) -> None:
    with pytest.raises(LockfileError) as err:
        yarn_classic.parse(text.encode(), "yarn.lock")
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_merge_conflicts_are_refused() -> None:
    text = 'a@1:\n<<<<<<< HEAD\n  version "1"\n=======\n  version "2"\n>>>>>>> b\n'
    with pytest.raises(LockfileError, match=r"^yarn.lock:2: merge conflict markers"):
        yarn_classic.parse(text.encode(), "yarn.lock")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a@1:\n  resolved "x"\n', "no version"),
        ("a@1:\n  version 1\n", "'version' is not a quoted string"),
        ('"a@1", "b@1":\n  version "1.0.0"\n', "its keys name different packages"),
        ('a@1:\n  version "1.0.0"\n  name "b"\n', "'name' 'b' differs"),
        ('"a b@1":\n  version "1.0.0"\n', "invalid package name"),
        ('a@^1:\n  version "latest"\n', "is not semver and there is no resolved URL"),
        ('a@1:\n  version "1.0.0"\n  dependencies "x"\n', "'dependencies' is not a block"),
    ],
)
def test_entry_errors(text: str, message: str) -> None:
    with pytest.raises(LockfileError) as err:
        yarn_classic.parse(text.encode(), "yarn.lock")
    assert str(err.value).startswith("yarn.lock:1: ") and message in str(err.value)


def test_sniff() -> None:
    head = (CLASSIC / "basic" / "yarn.lock").read_bytes()[:4096]
    assert detect_format("yarn.lock", head).name == "yarn-classic"
    assert detect_format("base.lock", head).name == "yarn-classic"
    assert detect_format("yarn.lock", b'a@1:\n  version "1"\n').name == "yarn-classic"


# --- what Yarn checks ---------------------------------------------------------------------


def sri(data: bytes, alg: str = "sha512") -> str:
    return f"{alg}-" + base64.b64encode(hashlib.new(alg, data).digest()).decode()


GOOD, EVIL = sri(b"good"), sri(b"evil")
SHA1 = hashlib.sha1(b"x").hexdigest()


@pytest.mark.parametrize(
    ("integrity", "sha1", "reason", "binds"),
    [
        (GOOD, "", None, GOOD),
        (GOOD, SHA1, None, GOOD),  # both are checked; the sha512 binds
        (f"{sri(b'x', 'sha1')} {GOOD}", "", None, GOOD),
        # Yarn's ssri reads any case: SHA512 is sha512, and of two spellings the first wins.
        ("SHA512-" + GOOD[7:], "", None, GOOD),
        (f"SHA512-{EVIL[7:]} {GOOD}", "", None, EVIL),
        (f"{GOOD} SHA512-{EVIL[7:]}", "", None, GOOD),
        (f"SHA512-{GOOD[7:]} {EVIL} SHA512-{EVIL[7:]}", "", "INTEGRITY_AMBIGUOUS", None),
        (f"{GOOD} {EVIL}", "", "INTEGRITY_AMBIGUOUS", None),
        (sri(b"x", "sha1"), "", "WEAK_INTEGRITY", None),
        (sri(b"x", "md5"), "", "WEAK_INTEGRITY", None),
        ("sha512WithRSAEncryption-" + GOOD[7:], "", "WEAK_INTEGRITY", None),
        ("sha512-AAAA", "", "INTEGRITY_MALFORMED", None),
        ("whirlpool-abc", "", "INTEGRITY_UNCHECKED", None),  # Yarn refuses the package
        ("   ", "", "INTEGRITY_UNCHECKED", None),
        (None, SHA1, "WEAK_INTEGRITY", None),  # the #sha1 only
        ("", SHA1, "WEAK_INTEGRITY", None),
        (None, "", "MISSING_INTEGRITY", None),
    ],
)
def test_yarn_integrity(
    integrity: str | None, sha1: str, reason: str | None, binds: str | None
) -> None:
    effective, check = yarn_integrity(integrity, sha1)
    assert check.reason == reason
    # npm's reading of the effective string (what the verifier applies) is Yarn's reading.
    npm = check_integrity(effective)
    if binds is None:
        assert npm.sha512 is None and check.sha512 is None
    else:
        expected = base64.b64decode(binds[7:])
        assert npm.sha512 == expected and check.sha512 == expected


def _entry(integrity: str) -> bytes:
    return (
        '# yarn lockfile v1\n\nms@^2.1.1:\n  version "2.1.3"\n'
        '  resolved "http://127.0.0.1:4873/ms/-/ms-2.1.3.tgz#'
        f'{SHA1}"\n  integrity "{integrity}"\n'
    ).encode()


def test_attacker_cannot_bind_the_sha512_yarn_does_not_check() -> None:
    # npm's ssri ignores the upper-case token and would bind GOOD; Yarn checks EVIL.
    (p,) = yarn_classic.parse(_entry(f"SHA512-{EVIL[7:]} {GOOD}"), "yarn.lock").packages
    assert p.sha512 == base64.b64decode(EVIL[7:])
    assert check_integrity(p.integrity).sha512 == base64.b64decode(EVIL[7:])


def test_attacker_redirects_a_registry_range_elsewhere() -> None:
    text = (
        'left-pad@^1.3.0:\n  version "1.3.0"\n'
        '  resolved "http://127.0.0.1:4873/@evil/left-pad/-/left-pad-1.3.0.tgz"\n'
        f"  integrity {GOOD}\n"
        'is-odd@^3.0.1:\n  version "3.0.1"\n  resolved "git+https://example.invalid/x.git#abc"\n'
    )
    packages = {p.name: p for p in yarn_classic.parse(text.encode(), "yarn.lock").packages}
    # Another package's tarball path: remote, never registry; asked by a registry range.
    assert packages["left-pad"].source is SourceKind.REMOTE
    assert packages["left-pad"].registry_spec == "^1.3.0"
    assert packages["is-odd"].source is SourceKind.GIT
    assert packages["is-odd"].registry_spec == "^3.0.1"


def test_entry_without_resolved_is_registry_but_never_bound() -> None:
    text = f'a@^1.0.0:\n  version "1.0.0"\n  integrity {GOOD}\n'
    (p,) = yarn_classic.parse(text.encode(), "yarn.lock").packages
    assert p.source is SourceKind.REGISTRY
    assert p.integrity_reason == "MISSING_INTEGRITY" and p.sha512 is None


def test_alias_with_invalid_real_name_is_a_package_error() -> None:
    text = (
        '"x@npm:.bad@^1":\n  version "1.0.0"\n  resolved "http://127.0.0.1:4873/x/-/x-1.0.0.tgz"\n'
    )
    (p,) = yarn_classic.parse(text.encode(), "yarn.lock").packages
    assert p.alias_problem is not None and "not a valid package name" in p.alias_problem


def test_dependency_graph() -> None:
    lf = parse_lockfile(CLASSIC / "monorepo" / "yarn.lock")
    assert lf.graph
    deps = {p.spec: p.dependencies for p in lf.packages}
    assert deps["is-even@1.0.0"] == ("is-odd@0.1.2",)
    # A member's dev dependencies are in its dependency list too (as in npm's graph).
    assert deps["@mono/b@1.0.0"] == ("is-number@6.0.0", "once@1.4.0", "wrappy@1.0.2")
