"""New dependencies: packages a pull request brings in only because a package it updates
now depends on them (axios 1.14.1 adding `plain-crypto-js` is the model case).

A package is *new* when its name is not in the base lockfile at all (`ChangeKind.ADDED`).
It is a new dependency of an existing package when the head lockfile's dependency graph
reaches it from a package whose name the base already had, through new packages only.
It is the project's own addition when the project asks for it: it is a direct dependency
(root or workspace `package.json`), or it is reached from one through new packages only
(the transitive dependencies of a package the project added).  Only new packages that the
project did not add are reported: those are what an update brought in unasked.

The graph is `Package.dependencies` (npm resolves each declared dependency from the
dependent's install path).  A lockfile format that records no graph (`Lockfile.graph`
False) cannot tell who brought a package in: every new package that is not direct is then
reported, with no introducer (fail closed).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.models import Lockfile, Package, SourceKind

MAX_PATH = 8  # packages shown in a finding's path


@dataclass(frozen=True, slots=True)
class NewDependency:
    """A new package brought in by an existing one."""

    package: Package
    introduced_by: Package | None  # the existing package the path starts from; None: unknown
    path: tuple[str, ...]  # name@version from the introducer to the package (at most MAX_PATH)
    dependents: tuple[str, ...]  # name@version of every package that depends on it directly


def new_dependencies(head: Lockfile, added_names: Iterable[str]) -> list[NewDependency]:
    """The new packages (names in `added_names`) the project did not add, each with the
    existing package that brought it in (breadth first: the nearest one).  Linear in the
    size of the graph."""
    added = frozenset(added_names)
    new = [p for p in head.packages if p.name in added]
    if not new:
        return []
    by_spec: dict[str, list[Package]] = {}
    for p in head.packages:
        by_spec.setdefault(p.spec, []).append(p)
    if not head.graph:
        return [NewDependency(p, None, (p.spec,), ()) for p in new if not _project(p)]

    def is_new(spec: str) -> bool:
        return any(p.name in added for p in by_spec.get(spec, ()))

    dependents: dict[str, set[str]] = {}
    for p in head.packages:
        for dep in p.dependencies:
            dependents.setdefault(dep, set()).add(p.spec)

    # What the project added: new direct packages and the new packages they reach.
    project: set[str] = {p.spec for p in new if _project(p)}
    queue = deque(sorted(project))
    while queue:
        spec = queue.popleft()
        for p in by_spec.get(spec, ()):
            for dep in p.dependencies:
                if dep not in project and is_new(dep):
                    project.add(dep)
                    queue.append(dep)

    # Breadth first from every existing package into new ones, nearest introducer first.
    reached: dict[str, tuple[Package, tuple[str, ...]]] = {}
    frontier: deque[str] = deque()
    for p in sorted(head.packages, key=lambda q: (q.name, q.version)):
        if p.name in added or p.source is SourceKind.LINK:
            continue  # new packages, and the project's own directories (workspaces, links)
        for dep in p.dependencies:
            if dep in reached or dep in project or not is_new(dep):
                continue
            reached[dep] = (p, (p.spec, dep))
            frontier.append(dep)
    while frontier:
        spec = frontier.popleft()
        introducer, path = reached[spec]
        for p in by_spec.get(spec, ()):
            for dep in p.dependencies:
                if dep in reached or dep in project or not is_new(dep):
                    continue
                reached[dep] = (introducer, (*path, dep)[-MAX_PATH:])
                frontier.append(dep)

    out: list[NewDependency] = []
    for p in new:
        hit = reached.get(p.spec)
        if hit is None or p.spec in project:
            continue
        out.append(NewDependency(p, hit[0], hit[1], tuple(sorted(dependents.get(p.spec, ())))))
    return out


def _project(p: Package) -> bool:
    """Asked for by the project: a direct dependency, or the project's own directory."""
    return p.direct or p.source is SourceKind.LINK
