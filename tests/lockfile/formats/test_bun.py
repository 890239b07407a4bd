"""bun.lock: what each real and hand-made lockfile parses to, and what is refused."""

from __future__ import annotations

import json

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile, parse_lockfile_bytes
from auditor.models import Lockfile, Package, SourceKind
from tests.lockfile.conftest import flags
from tests.lockfile.formats.clients import FIXTURES

I1 = "sha512-" + "A" * 86 + "=="


def load(project: str) -> Lockfile:
    return parse_lockfile(FIXTURES / "bun" / project / "bun.lock")


def pkg(lockfile: Lockfile, spec: str) -> Package:
    found = [p for p in lockfile.packages if p.spec == spec]
    assert len(found) == 1, [p.spec for p in lockfile.packages]
    return found[0]


def line_of(project: str, prefix: str) -> int:
    lines = (FIXTURES / "bun" / project / "bun.lock").read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.startswith(prefix))


def test_simple_project() -> None:
    lf = load("simple")
    assert lf.format == "bun" and lf.lockfile_version == 2 and lf.name == "bun-simple"
    got = {p.spec: flags(p) for p in lf.packages}
    assert got == {
        "@sigstore/protobuf-specs@0.3.2": "d",
        "debug@4.4.3": "d",
        "fsevents@2.3.3": "Od",
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
    assert lodash.aliases == ("lodash-alias",) and lodash.paths == ("lodash-alias",)
    assert lodash.registry_spec == "npm:lodash@4.17.21"
    for p in lf.packages:
        assert p.source is SourceKind.REGISTRY and p.sha512 is not None and p.resolved is None
    assert pkg(lf, "debug@4.4.3").line == line_of("simple", '    "debug": [')
    assert pkg(lf, "@sigstore/protobuf-specs@0.3.2").line == line_of(
        "simple", '    "@sigstore/protobuf-specs": ['
    )


def test_workspace_project() -> None:
    lf = load("mono")
    assert lf.workspaces == ("packages/a", "packages/b", "packages/c")
    got = {(p.spec, p.source.value): (flags(p), p.paths) for p in lf.packages}
    assert got == {
        ("@mono/a@", "link"): ("d", ("@mono/a",)),
        ("@mono/b@", "link"): ("d", ("@mono/b",)),
        ("@mono/c@", "link"): ("d", ("@mono/c",)),
        ("is-buffer@2.0.5", "registry"): ("", ("is-buffer",)),
        # one tarball at two install paths: one package
        ("is-number@6.0.0", "registry"): ("d", ("@mono/b/is-number", "is-odd/is-number")),
        ("is-number@7.0.0", "registry"): ("Dd", ("is-number",)),
        ("is-odd@3.0.1", "registry"): ("Xd", ("is-odd",)),
        ("kind-of@6.0.3", "registry"): ("d", ("kind-of",)),
        ("local-dir@", "link"): ("d", ("@mono/a/local-dir",)),
        ("ms@2.0.0", "registry"): ("d", ("ms-old",)),
        ("ms@2.1.3", "registry"): ("d", ("ms",)),
    }
    assert pkg(lf, "@mono/b@").resolved == "packages/b"
    assert lf.graph and pkg(lf, "is-odd@3.0.1").dependencies == ("is-number@6.0.0",)


def test_sources_project() -> None:
    lf = load("sources")
    git = next(p for p in lf.packages if p.name == "git-dep")
    assert git.source is SourceKind.GIT and git.resolved is not None
    assert git.resolved.startswith("git+file://")
    tar = next(p for p in lf.packages if p.name == "tar-dep")
    assert tar.source is SourceKind.FILE and tar.resolved == "vendor/tar-dep-0.0.1.tgz"
    assert tar.integrity is not None and tar.integrity.startswith("sha512-")
    # Bun records the URL it fetches: never the registry package of that name and version.
    remote = next(p for p in lf.packages if p.aliases == ("ms-tarball",))
    assert remote.source is SourceKind.REMOTE
    assert remote.resolved == "http://127.0.0.1:4873/ms/-/ms-2.1.2.tgz"
    assert pkg(lf, "debug@4.3.4").aliases == ("@scope-alias/debug",)


def lock(packages: dict[str, str], deps: str = "") -> bytes:
    rows = "\n".join(f'    "{k}": {v},' for k, v in packages.items())
    return (
        '{\n  "lockfileVersion": 1,\n  "workspaces": {\n    "": {\n      "name": "x",\n'
        f'      "dependencies": {{ {deps} }},\n    }},\n  }},\n  "packages": {{\n{rows}\n  }}\n}}\n'
    ).encode()


def test_registry_item_is_the_url_bun_fetches() -> None:
    data = lock(
        {
            "a": f'["a@1.0.0", "http://127.0.0.1:4873/a/-/a-1.0.0.tgz", {{}}, "{I1}"]',
            "b": f'["b@1.0.0", "http://127.0.0.1:4873/evil/-/evil-1.0.0.tgz", {{}}, "{I1}"]',
        },
        '"a": "^1.0.0", "b": "^1.0.0",',
    )
    lf = parse_lockfile_bytes(data, "bun.lock")
    by = {p.name: p for p in lf.packages}
    assert by["a"].source is SourceKind.REGISTRY
    assert by["a"].resolved == "http://127.0.0.1:4873/a/-/a-1.0.0.tgz"
    assert by["b"].source is SourceKind.REMOTE and by["b"].registry_spec == "^1.0.0"
    assert by["a"].line == 10 and by["b"].line == 11


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda s: s.replace('"name": "x",', '// c\n      "name": "x",'),
            "not valid bun.lock JSON",
        ),
        (lambda s: s.replace('"name": "x",', '/* c */ "name": "x",'), "not valid bun.lock"),
        (lambda s: s.replace('"name"', "'name'"), "not valid bun.lock JSON"),
        (lambda s: s.replace('"name"', "name"), "not valid bun.lock JSON"),
        (lambda s: s.replace('"lockfileVersion": 1', '"lockfileVersion": 0x1'), "JSON"),
        (lambda s: s.replace('"lockfileVersion": 1', '"lockfileVersion": Infinity'), "JSON"),
        (lambda s: s + "garbage", "Extra data"),
        (lambda s: s.replace('"name": "x",', '"name": "x",,'), "JSON"),
        (lambda s: s.replace('"name": "x",', '"name": "x", "name": "y",'), "duplicate key 'name'"),
        (lambda s: s.replace('"x"', '"x\ty"'), "Invalid control character"),
        (lambda s: s.replace('"lockfileVersion": 1', '"lockfileVersion": "1"'), "unsupported"),
        (lambda s: s.replace('"lockfileVersion": 1', '"lockfileVersion": 3'), "unsupported"),
        (lambda s: s.replace('["a@1.0.0"', '["a@latest"'), r':10: packages\["a"\]: version'),
        (lambda s: s.replace('["a@1.0.0", "", {}, ', '["a@1.0.0", "", '), r":10: .*without"),
        (lambda s: s.replace('["a@1.0.0"', '["Bad Name@1.0.0"'), "invalid package name"),
        (lambda s: s.replace('["a@1.0.0"', "[1"), r"name@resolution, \.\.\.\] tuple"),
        (lambda s: s.replace(f'"{I1}"', "1"), "the integrity is not a string"),
        (lambda s: s.replace('"packages": {', '"packages": ['), "JSON"),
        (lambda s: "[" * 100000 + "]" * 100000, "nested too deeply"),
    ],
)
def test_refused(edit: object, message: str) -> None:
    base = lock({"a": f'["a@1.0.0", "", {{}}, "{I1}"]'}, '"a": "1.0.0",').decode()
    assert parse_lockfile_bytes(base.encode(), "d/bun.lock").packages[0].name == "a"
    data = edit(base)  # type: ignore[operator]
    with pytest.raises(LockfileError, match=message) as info:
        parse_lockfile_bytes(data.encode(), "d/bun.lock")
    assert str(info.value).startswith("d/bun.lock:") and "\n" not in str(info.value)


def test_trailing_commas_and_a_bom_are_what_bun_writes() -> None:
    base = lock({"a": f'["a@1.0.0", "", {{}}, "{I1}",]'}, '"a": "1.0.0",')
    lf = parse_lockfile_bytes(b"\xef\xbb\xbf" + base, "bun.lock")
    assert [p.spec for p in lf.packages] == ["a@1.0.0"]
    # A comma inside a string is never touched.
    odd = lock({"a": f'["a@1.0.0", "", {{"bin": {{"x": ",]"}}}}, "{I1}"]'}, '"a": "1.0.0",')
    assert parse_lockfile_bytes(odd, "bun.lock").packages[0].integrity == I1
    assert json.loads(b"[1]") == [1]


def test_install_paths_nest_at_most_64_packages() -> None:
    deep = "/".join(["p"] * 64)
    ok = lock({deep: f'["p@1.0.0", "", {{"dependencies": {{"q": "1.0.0"}}}}, "{I1}"]'})
    assert len(parse_lockfile_bytes(ok, "bun.lock").packages) == 1
    deeper = lock({deep + "/p": f'["p@1.0.0", "", {{}}, "{I1}"]'})
    with pytest.raises(LockfileError, match=r":10: .*nested deeper than 64 packages"):
        parse_lockfile_bytes(deeper, "bun.lock")
