"""Shared by the formats that record a dependency graph instead of install flags (pnpm, bun):
the entries, the edges between them, and the flags npm's lockfile would have written.

* `dev`: reachable from some project's (workspace's) devDependencies but from no project's
  dependencies or optionalDependencies (pnpm and bun install every project of a workspace,
  so every project is a root);
* `optional`: reachable only through optional edges (optionalDependencies of a project or
  of a package);
* `dev_optional`: neither, but reachable from production only through optional edges;
* an entry no project reaches is kept and audited as production (fail closed: a flag that
  could exempt it is never guessed).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.models import Hash, Package, SourceKind, check_integrity

# The integrity every registry entry has: one canonical sha512.  Read without the general
# ssri reader (a third of the parse time on 5,000 packages); `test_graph.py` checks that
# both agree on every value.
_ONE_SHA512 = re.compile(r"sha512-[A-Za-z0-9+/]{86}==")


def read_integrity(value: str | None) -> tuple[tuple[Hash, ...], str | None, str | None]:
    """(hashes, problem, reason) exactly as `check_integrity` reads `value`."""
    if value is not None and _ONE_SHA512.fullmatch(value):
        digest = value[7:]
        raw = base64.b64decode(digest)
        if base64.b64encode(raw).decode("ascii") == digest:
            return (Hash("sha512", raw),), None, None
    check = check_integrity(value)
    return check.hashes, check.problem if value is not None else None, check.reason


@dataclass(slots=True)
class Entry:
    """One resolved package of the lockfile, before its flags are known."""

    key: str  # the lockfile's own key (pnpm package key, bun install path)
    name: str  # real package name
    version: str
    source: SourceKind
    integrity: str | None
    resolved: str | None
    line: int
    paths: list[str] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)
    has_install_script: bool = False
    direct: bool = False
    registry_spec: str | None = None  # a registry spec a project asks for it by
    asked_other: bool = False  # some project asks for it by a URL, git or path spec
    edges: list[tuple[int, bool]] = field(default_factory=list)  # (entry index, optional)


class Graph:
    """Entries plus project roots; `packages()` computes the flags and builds `Package`s."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.index: dict[str, int] = {}
        # (entry index, kind): kind is "prod", "optional" or "dev"
        self.roots: list[tuple[int, str]] = []

    def add(self, entry: Entry) -> int:
        found = self.index.get(entry.key)
        if found is not None:
            return found
        self.index[entry.key] = len(self.entries)
        self.entries.append(entry)
        return len(self.entries) - 1

    def _reach(self, starts: Iterable[int], *, skip_optional: bool) -> bytearray:
        seen = bytearray(len(self.entries))
        stack = list(starts)
        entries = self.entries
        while stack:
            i = stack.pop()
            if seen[i]:
                continue
            seen[i] = 1
            for j, optional in entries[i].edges:
                if not seen[j] and not (skip_optional and optional):
                    stack.append(j)
        return seen

    def packages(self) -> tuple[Package, ...]:
        roots = self.roots
        prod_required = self._reach((i for i, k in roots if k == "prod"), skip_optional=True)
        prod_any = self._reach((i for i, k in roots if k != "dev"), skip_optional=False)
        required = self._reach((i for i, k in roots if k != "optional"), skip_optional=True)
        reached = self._reach((i for i, _ in roots), skip_optional=False)
        # Entries of one tarball (same name, version, integrity, resolved, source) at several
        # install paths are one package, as npm's parser merges them: flags merge with
        # production winning (dev only if every instance is dev, and so on).
        groups: dict[tuple[str, str, str | None, str | None, SourceKind], list[int]] = {}
        for i, e in enumerate(self.entries):
            ident = (e.name, e.version, e.integrity, e.resolved, e.source)
            groups.setdefault(ident, []).append(i)
        entries = self.entries
        specs = [f"{e.name}@{e.version}" for e in entries]
        out = []
        for members in groups.values():
            if len(members) == 1:  # the common case: nothing to merge
                i = members[0]
                first = entries[i]
                group = [first]
                dev = bool(reached[i]) and not prod_any[i]
                optional = bool(reached[i]) and not required[i]
                dev_optional = bool(reached[i]) and not prod_required[i]
                paths = first.paths or [first.key]
                aliases = first.aliases
                install_script, direct = first.has_install_script, first.direct
                asked_other, spec = first.asked_other, first.registry_spec
                deps = {specs[j] for j, _ in first.edges}
            else:
                group = [entries[i] for i in members]
                first = min(group, key=lambda e: (e.line or 2**31, e.key))
                dev = all(reached[i] and not prod_any[i] for i in members)
                optional = all(reached[i] and not required[i] for i in members)
                dev_optional = any(reached[i] for i in members) and not any(
                    prod_required[i] for i in members
                )
                paths = list(dict.fromkeys(p for e in group for p in (e.paths or [e.key])))
                aliases = set().union(*(e.aliases for e in group))
                install_script = any(e.has_install_script for e in group)
                direct = any(e.direct for e in group)
                asked_other = any(e.asked_other for e in group)
                spec = next((e.registry_spec for e in group if e.registry_spec), None)
                deps = {specs[j] for e in group for j, _ in e.edges}
            deps.discard(specs[members[0]])
            hashes, problem, reason = read_integrity(first.integrity)
            out.append(
                Package(
                    name=first.name,
                    version=first.version,
                    source=first.source,
                    integrity=first.integrity,
                    hashes=hashes,
                    integrity_problem=problem,
                    integrity_reason=reason,
                    resolved=first.resolved,
                    paths=tuple(paths),
                    aliases=tuple(sorted(aliases - {first.name}))
                    if len(aliases) > 1 or (aliases and first.name not in aliases)
                    else (),
                    dev=dev,
                    optional=optional,
                    dev_optional=dev_optional and not dev and not optional,
                    has_install_script=install_script,
                    direct=direct,
                    line=first.line,
                    registry_spec=None if asked_other else spec,
                    dependencies=tuple(sorted(deps)) if deps else (),
                )
            )
        out.sort(
            key=lambda p: (p.name, p.version, p.integrity or "", p.resolved or "", p.source.value)
        )
        return tuple(out)
