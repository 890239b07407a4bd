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

from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.models import Package, SourceKind, check_integrity


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
        out = []
        for members in groups.values():
            group = [self.entries[i] for i in members]
            dev = all(reached[i] and not prod_any[i] for i in members)
            optional = all(reached[i] and not required[i] for i in members)
            dev_optional = (
                not dev
                and not optional
                and any(reached[i] for i in members)
                and not any(prod_required[i] for i in members)
            )
            first = min(group, key=lambda e: (e.line or 2**31, e.key))
            asked_other = any(e.asked_other for e in group)
            spec = next((e.registry_spec for e in group if e.registry_spec), None)
            paths = [p for e in group for p in (e.paths or [e.key])]
            aliases: set[str] = set().union(*(e.aliases for e in group))
            check = check_integrity(first.integrity)
            out.append(
                Package(
                    name=first.name,
                    version=first.version,
                    source=first.source,
                    integrity=first.integrity,
                    hashes=check.hashes,
                    integrity_problem=check.problem if first.integrity is not None else None,
                    integrity_reason=check.reason,
                    resolved=first.resolved,
                    paths=tuple(dict.fromkeys(paths)),
                    aliases=tuple(sorted(aliases - {first.name})),
                    dev=dev,
                    optional=optional,
                    dev_optional=dev_optional,
                    has_install_script=any(e.has_install_script for e in group),
                    direct=any(e.direct for e in group),
                    line=first.line,
                    registry_spec=None if asked_other else spec,
                )
            )
        out.sort(
            key=lambda p: (p.name, p.version, p.integrity or "", p.resolved or "", p.source.value)
        )
        return tuple(out)
