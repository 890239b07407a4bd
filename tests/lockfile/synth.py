"""Synthetic lockfiles: Hypothesis strategies (model -> document -> expected `Package`s)
and a deterministic large lockfile for the benchmark.  Shared by tests, fuzz and bench."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile_bytes
from auditor.lockfile.lines import load_with_lines
from auditor.models import Package, SourceKind, check_integrity

REGISTRY = "http://127.0.0.1:4873"

NAMES = st.from_regex(r"(@[a-z][a-z0-9-]{0,5}/)?[a-z][a-z0-9._-]{0,8}", fullmatch=True)
VERSIONS = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}{pre}",
    st.integers(0, 30),
    st.integers(0, 30),
    st.integers(0, 30),
    st.sampled_from(["", "", "", "-rc.1", "-beta.2+build.7"]),
)


def sri(seed: str, alg: str = "sha512") -> str:
    return f"{alg}-{base64.b64encode(hashlib.new(alg, seed.encode()).digest()).decode()}"


def tarball(name: str, version: str) -> str:
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


@dataclass
class Model:
    """A generated v2/v3 lockfile and the packages it must parse to (line numbers aside)."""

    doc: dict[str, Any]
    expected: list[Package] = field(default_factory=list)
    workspaces: tuple[str, ...] = ()


def _merge_expected(
    name: str,
    version: str,
    source: SourceKind,
    integrity: str | None,
    resolved: str | None,
    places: list[tuple[str, str, dict[str, bool]]],
    direct_keys: set[str],
    install_script: bool,
    asked_keys: frozenset[str] = frozenset(),
) -> Package:
    """The model's own reading of the merge rules (production wins)."""
    fl = [f for _, _, f in places]
    dev = all(f.get("dev", False) for f in fl)
    optional = all(f.get("optional", False) for f in fl)
    dev_optional = (
        not dev
        and not optional
        and all(f.get("dev") or f.get("optional") or f.get("devOptional") for f in fl)
    )
    return Package(
        name=name,
        version=version,
        source=source,
        integrity=integrity,
        hashes=check_integrity(integrity).hashes,
        integrity_problem=check_integrity(integrity).problem if integrity is not None else None,
        integrity_reason=check_integrity(integrity).reason,
        resolved=resolved,
        paths=tuple(k for k, _, _ in places),
        aliases=tuple(sorted({i for _, i, _ in places if i != name})),
        dev=dev,
        optional=optional,
        dev_optional=dev_optional,
        peer=all(f.get("peer", False) for f in fl),
        has_install_script=install_script,
        direct=any(k in direct_keys for k, _, _ in places),
        registry_spec="*" if any(k in asked_keys for k, _, _ in places) else None,
    )


@st.composite
def lockfile_models(draw: st.DrawFn) -> Model:
    """Registry packages at top-level and nested paths (aliases, flags, omitted `resolved`,
    sha1/sha512 integrity) plus workspace links, rendered the way npm writes v2/v3."""
    version = draw(st.sampled_from([2, 3]))
    names = draw(st.lists(NAMES, min_size=0, max_size=10, unique=True))
    entries: dict[str, dict[str, Any]] = {}
    specs: list[dict[str, Any]] = []
    top: list[str] = []
    for name in names:
        for pkg_version in draw(st.lists(VERSIONS, min_size=1, max_size=2, unique=True)):
            alg = draw(st.sampled_from(["sha512", "sha512", "sha1"]))
            spec: dict[str, Any] = {
                "name": name,
                "version": pkg_version,
                "integrity": sri(f"{name}@{pkg_version}", alg),
                "resolved": tarball(name, pkg_version) if draw(st.booleans()) else None,
                "script": draw(st.booleans()),
                "places": [],
            }
            for _ in range(draw(st.integers(1, 3))):
                install = name if not draw(st.booleans()) else draw(NAMES)
                nested = bool(top) and draw(st.booleans())
                parent = draw(st.sampled_from(top)) if nested else None
                key = (
                    f"node_modules/{parent}/node_modules/{install}"
                    if parent
                    else f"node_modules/{install}"
                )
                if key in entries:
                    continue
                flags = draw(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "dev": st.just(True),
                            "optional": st.just(True),
                            "devOptional": st.just(True),
                            "peer": st.just(True),
                        },
                    )
                )
                entry: dict[str, Any] = {"version": pkg_version}
                if install != name:
                    entry = {"name": name, **entry}
                if spec["resolved"]:
                    entry["resolved"] = spec["resolved"]
                entry["integrity"] = spec["integrity"]
                entry.update(flags)
                if spec["script"]:
                    entry["hasInstallScript"] = True
                entries[key] = entry
                spec["places"].append((key, install, flags))
                if parent is None:
                    top.append(install)
            specs.append(spec)
    ws_names = draw(
        st.lists(st.from_regex(r"ws-[a-z]{1,6}", fullmatch=True), max_size=3, unique=True)
    )
    workspaces = []
    for ws in ws_names:
        link = f"node_modules/{ws}"
        if link in entries:
            continue
        entries[link] = {"resolved": f"packages/{ws}", "link": True}
        entries[f"packages/{ws}"] = {"name": ws, "version": "1.0.0"}
        workspaces.append(ws)
    # Root dependencies: some top-level install names.
    direct_names = sorted(set(draw(st.lists(st.sampled_from(top), max_size=5)))) if top else []
    root: dict[str, Any] = {"name": "generated", "version": "1.0.0"}
    if workspaces:
        root["workspaces"] = ["packages/*"]
    if direct_names:
        root["dependencies"] = dict.fromkeys(direct_names, "*")
    ordered = dict(sorted(entries.items()))  # npm sorts keys
    doc = {
        "name": "generated",
        "version": "1.0.0",
        "lockfileVersion": version,
        "requires": True,
        "packages": {"": root, **ordered},
    }
    order = {k: i for i, k in enumerate(ordered)}
    direct_keys = {f"node_modules/{n}" for n in direct_names}
    asked_keys = frozenset(direct_keys)  # the root asks for each by the registry spec "*"
    expected = []
    for spec in specs:
        places = sorted(spec["places"], key=lambda p: order[p[0]])
        if not places:
            continue
        expected.append(
            _merge_expected(
                spec["name"],
                spec["version"],
                SourceKind.REGISTRY,
                spec["integrity"],
                spec["resolved"],
                places,
                direct_keys,
                spec["script"],
                asked_keys,
            )
        )
    for ws in workspaces:
        link, target = f"node_modules/{ws}", f"packages/{ws}"
        places = sorted([(link, ws, {}), (target, ws, {})], key=lambda p: order[p[0]])
        expected.append(
            _merge_expected(
                ws,
                "1.0.0",
                SourceKind.LINK,
                None,
                target,
                places,
                {link, target},
                False,
                asked_keys,
            )
        )
    expected.sort(key=lambda p: (p.name, p.version, p.integrity or "", p.resolved or ""))
    return Model(doc, expected, tuple(f"packages/{w}" for w in sorted(workspaces)))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_KEYS = st.sampled_from(
    ["", "node_modules/a", "node_modules/@s/b", "node_modules/a/node_modules/a", "packages/x"]
)
_FIELDS = st.sampled_from(
    [
        "name",
        "version",
        "resolved",
        "integrity",
        "link",
        "dev",
        "optional",
        "inBundle",
        "bundled",
        "dependencies",
        "requires",
        "workspaces",
    ]
)
_VALUES = (
    JSON
    | VERSIONS
    | st.sampled_from(
        [
            "npm:x@1.0.0",
            "npm:@1",
            "file:x",
            "git+ssh://h/x.git",
            "packages/x",
            tarball("a", "1.0.0"),
            True,
        ]
    )
)
ENTRY = st.dictionaries(_FIELDS, _VALUES, max_size=6)
LOCKFILE_LIKE = st.fixed_dictionaries(
    {"lockfileVersion": st.sampled_from([1, 2, 3, 4, "3", None])},
    optional={
        "packages": st.dictionaries(_KEYS, ENTRY | JSON, max_size=5) | JSON,
        "dependencies": st.dictionaries(
            st.sampled_from(["a", "@s/b", "../x", ""]),
            st.fixed_dictionaries(
                {},
                optional={
                    "dependencies": st.dictionaries(st.sampled_from(["a", "b"]), ENTRY, max_size=2)
                },
            ).map(dict)
            | ENTRY,
            max_size=4,
        )
        | JSON,
        "name": JSON,
    },
)


def big_lockfile(packages: int = 5000, seed: int = 1) -> bytes:
    """A v3 lockfile shaped like npm's output (dependency maps, engines, licenses; about a
    tenth nested, a few scoped and dev), deterministic for a given seed."""
    rng = random.Random(seed)
    entries: dict[str, dict[str, Any]] = {}
    names = [f"@scope{i % 40}/pkg-{i}" if i % 7 == 0 else f"package-{i}" for i in range(packages)]
    top = names[: packages - packages // 10]
    for i, name in enumerate(names):
        version = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 30)}"
        key = f"node_modules/{name}"
        if i >= len(top):
            key = f"node_modules/{rng.choice(top)}/node_modules/{name}"
        deps = {rng.choice(top): f"^{rng.randint(0, 9)}.0.0" for _ in range(rng.randint(0, 6))}
        entry: dict[str, Any] = {
            "version": version,
            "resolved": tarball(name, version),
            "integrity": sri(f"{name}@{version}"),
            "license": "MIT",
        }
        if i % 3 == 0:
            entry["dev"] = True
        if deps:
            entry["dependencies"] = deps
        entry["engines"] = {"node": ">=14"}
        entries[key] = entry
    root = {
        "name": "big",
        "version": "1.0.0",
        "dependencies": dict.fromkeys(top[:50], "*"),
    }
    doc = {
        "name": "big",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": root, **dict(sorted(entries.items()))},
    }
    return (json.dumps(doc, indent=2) + "\n").encode()


def check_only_lockfile_error(data: bytes) -> None:
    """The parser raises only LockfileError (one line); its position-tracking decoder
    agrees with json.loads on what it accepts.  Shared by the property tests and `make fuzz`."""
    try:
        parse_lockfile_bytes(data, "fuzz.json")
    except LockfileError as exc:
        assert "\n" not in str(exc)
    # The position-tracking decoder agrees with json.loads on what it accepts.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        expected: object = json.loads(text)
    except (ValueError, RecursionError):
        expected = ValueError
    try:
        got: object = load_with_lines(text)[0]
    except (ValueError, RecursionError):
        got = ValueError
    assert got == expected
