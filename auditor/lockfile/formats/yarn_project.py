"""What both Yarn formats share: the project's manifests, the dependency graph and flags.

A yarn.lock records no dev flag and (Yarn 1) no workspaces: which packages are direct, dev
or optional follows from the `package.json` files of the project, read beside the lockfile
when the lockfile is read from disk (`load_project`).  Without them (a lockfile read from a
git ref, or a lockfile alone) every package counts as production, so no requirement that
exempts development dependencies can exempt one (fail closed), and a package is direct when
no other entry depends on it.

Flags from the graph, as npm defines them: `dev` when only development dependencies of the
project reach it, `optional` when every path to it passes an optional dependency,
`dev_optional` when it is reached only through development or optional dependencies but is
neither only dev nor only optional.  A package no path reaches is production.
"""

from __future__ import annotations

import gc
import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import LockfileError
from auditor.fileio import read_regular
from auditor.lockfile.workspaces import match_workspaces
from auditor.models import IntegrityCheck, Package, SourceKind

MAX_MANIFEST_BYTES = 4 * 2**20
MAX_WORKSPACES = 10_000
_DEP_KINDS = ("dependencies", "optionalDependencies", "devDependencies")


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic collector off while a lockfile is read: parsing allocates many containers
    and no cycles, and the collector would rescan the growing heap again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Manifest:
    """The parts of one package.json the flags need."""

    directory: str  # relative to the lockfile's directory, "" for the root, POSIX separators
    name: str | None
    version: str | None
    dependencies: dict[str, str]
    optional: dict[str, str]
    dev: dict[str, str]
    workspaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Project:
    """The root manifest and the workspace members' manifests."""

    root: Manifest
    members: tuple[Manifest, ...] = ()

    @property
    def importers(self) -> tuple[Manifest, ...]:
        return (self.root, *self.members)


def _strings(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def parse_manifest(data: bytes, directory: str, where: str) -> Manifest:
    """A package.json's bytes -> `Manifest`.  Raises LockfileError for unreadable JSON."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LockfileError(f"{where}: not a valid package.json: {str(exc)[:120]}") from None
    if not isinstance(doc, dict):
        raise LockfileError(f"{where}: not a valid package.json (top level is not an object)")
    patterns = doc.get("workspaces")
    if isinstance(patterns, dict):  # {"packages": [...], "nohoist": [...]}
        patterns = patterns.get("packages")
    globs = tuple(p for p in patterns if isinstance(p, str)) if isinstance(patterns, list) else ()
    name, version = doc.get("name"), doc.get("version")
    return Manifest(
        directory=directory,
        name=name if isinstance(name, str) else None,
        version=version if isinstance(version, str) else None,
        dependencies=_strings(doc.get("dependencies")),
        optional=_strings(doc.get("optionalDependencies")),
        dev=_strings(doc.get("devDependencies")),
        workspaces=globs,
    )


def _read_manifest(path: Path, directory: str) -> Manifest | None:
    try:
        data = read_regular(path, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LockfileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise LockfileError(f"{path}: larger than {MAX_MANIFEST_BYTES // 2**20} MiB")
    return parse_manifest(data, directory, str(path))


def load_project(lockfile: Path, member_dirs: Iterable[str] | None = None) -> Project | None:
    """The manifests of the project whose lockfile is `lockfile`, or None without a root
    package.json.  Workspace members are `member_dirs` when the lockfile names them (Berry),
    else the directories the root's `workspaces` patterns match (Yarn 1), found by walking
    the project (never into node_modules or hidden directories) and matched without regular
    expressions, in bounded time."""
    base = lockfile.parent
    root = _read_manifest(base / "package.json", "")
    if root is None:
        return None
    if member_dirs is None:
        if not root.workspaces:
            return Project(root)
        globs = [p.rstrip("/").removeprefix("./") for p in root.workspaces]
        candidates = _directories(base, max(p.count("/") for p in globs) + 1)
        member_dirs = match_workspaces(globs, candidates, str(lockfile))
    members = []
    for directory in sorted(set(member_dirs)):
        if directory in ("", "."):
            continue
        manifest = _read_manifest(base / directory / "package.json", directory)
        if manifest is not None:
            members.append(manifest)
    return Project(root, tuple(members))


def project_of(path: str) -> Project | None:
    """The manifests beside `path` when it names a lockfile on disk, else None (a git
    label, a name without a file)."""
    lockfile = Path(path)
    try:
        if not lockfile.is_file():
            return None
    except (OSError, ValueError):
        return None
    return load_project(lockfile)


def _directories(base: Path, depth: int) -> list[str]:
    """Relative directories below `base`, at most `depth` levels deep, at most
    MAX_WORKSPACES of them (workspace patterns name directories a few levels down)."""
    found: list[str] = []
    level = [""]
    for _ in range(min(depth, 8)):
        nxt = []
        for rel in level:
            try:
                entries = sorted((base / rel).iterdir()) if rel else sorted(base.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or entry.name == "node_modules":
                    continue
                if not entry.is_dir():
                    continue
                child = f"{rel}/{entry.name}" if rel else entry.name
                found.append(child)
                nxt.append(child)
                if len(found) > MAX_WORKSPACES:
                    return found
        level = nxt
    return found


@dataclass(slots=True)
class Node:
    """One lockfile entry (or a Yarn 1 workspace member), before flags."""

    name: str
    version: str
    source: SourceKind
    line: int
    integrity: str | None
    check: IntegrityCheck
    resolved: str | None
    key: str  # the entry's key as written: its `paths` entry
    install_names: set[str] = field(default_factory=set)
    # (dependency name, range, optional edge)
    deps: list[tuple[str, str, bool]] = field(default_factory=list)
    # What its dependency lists resolve to (node indices; a workspace's dev dependencies
    # too): `Package.dependencies`.
    requires: set[int] = field(default_factory=set)
    registry_spec: str | None = None
    alias_problem: str | None = None
    integrity_source: str = "lockfile"
    problem: str | None = None  # a precise integrity problem overriding check.problem
    direct: bool = False


def compute_flags(
    nodes: list[Node],
    edges: list[list[tuple[int, bool]]],
    roots: Mapping[str, list[tuple[int, bool]]] | None,
) -> list[tuple[bool, bool, bool]]:
    """(dev, optional, dev_optional) per node.

    `edges[i]` are node i's dependencies (target, optional edge).  `roots` maps the kind of
    an importer dependency ("prod", "dev") to its (target, optional) pairs; None when the
    manifests are unknown: then no package is dev and the roots are the nodes nothing
    depends on.
    """
    n = len(nodes)
    if roots is None:
        depended = [False] * n
        for out in edges:
            for target, _ in out:
                depended[target] = True
        prod_roots = [(i, False) for i in range(n) if not depended[i]]
        roots = {"prod": prod_roots, "dev": []}

    def walk(starts: Iterable[tuple[int, bool]], required_only: bool) -> list[bool]:
        seen = [False] * n
        queue: deque[int] = deque()
        for target, optional in starts:
            if required_only and optional:
                continue
            if not seen[target]:
                seen[target] = True
                queue.append(target)
        while queue:
            i = queue.popleft()
            for target, optional in edges[i]:
                if required_only and optional:
                    continue
                if not seen[target]:
                    seen[target] = True
                    queue.append(target)
        return seen

    prod, dev = roots.get("prod", []), roots.get("dev", [])
    prod_any = walk(prod, False)
    prod_req = walk(prod, True)
    dev_any = walk(dev, False)
    all_req = walk([*prod, *dev], True)
    flags: list[tuple[bool, bool, bool]] = []
    for i in range(n):
        if not (prod_any[i] or dev_any[i]):
            flags.append((False, False, False))
            continue
        is_dev = not prod_any[i]
        is_optional = not all_req[i]
        dev_optional = not is_dev and not is_optional and not prod_req[i]
        flags.append((is_dev, is_optional, dev_optional))
    return flags


def build_packages(nodes: list[Node], flags: list[tuple[bool, bool, bool]]) -> tuple[Package, ...]:
    """One `Package` per distinct (name, version, integrity, resolved, source), flags merged
    with production winning (as the npm parser merges install paths)."""
    groups: dict[tuple[str, str, str, str, SourceKind], list[int]] = {}
    for i, node in enumerate(nodes):
        ident = (node.name, node.version, node.integrity or "", node.resolved or "", node.source)
        groups.setdefault(ident, []).append(i)
    specs = [f"{node.name}@{node.version}" for node in nodes]  # each once, not per edge
    packages = []
    # Sorted by the group key: (name, version, integrity, resolved, source), as Lockfile lists.
    for _, members in sorted(groups.items()):
        first = nodes[members[0]]
        check = first.check
        if len(members) == 1:  # the common case
            dev, optional, dev_optional = flags[members[0]]
            names = first.install_names - {first.name}
            registry_spec, alias_problem = first.registry_spec, first.alias_problem
            direct, line = first.direct, first.line
            paths: tuple[str, ...] = (first.key,)
            requires = {specs[t] for t in first.requires}
        else:
            dev = all(flags[i][0] for i in members)
            optional = all(flags[i][1] for i in members)
            dev_optional = not dev and not optional and all(any(flags[i]) for i in members)
            names = {name for i in members for name in nodes[i].install_names} - {first.name}
            specs_of = [nodes[i].registry_spec for i in members]
            registry_spec = specs_of[0] if all(s is not None for s in specs_of) else None
            alias_problem = next(
                (nodes[i].alias_problem for i in members if nodes[i].alias_problem), None
            )
            direct = any(nodes[i].direct for i in members)
            line = min(nodes[i].line for i in members)
            paths = tuple(nodes[i].key for i in members)
            requires = {specs[t] for i in members for t in nodes[i].requires}
        requires.discard(specs[members[0]])
        packages.append(
            Package(
                name=first.name,
                version=first.version,
                source=first.source,
                integrity=first.integrity,
                hashes=check.hashes,
                integrity_problem=first.problem or check.problem,
                integrity_reason=check.reason,
                resolved=first.resolved,
                paths=paths,
                aliases=tuple(sorted(names)) if names else (),
                dev=dev,
                optional=optional,
                dev_optional=dev_optional,
                direct=direct,
                line=line,
                registry_spec=registry_spec,
                alias_problem=alias_problem,
                integrity_source=first.integrity_source,
                dependencies=tuple(sorted(requires)),
            )
        )
    return tuple(packages)
