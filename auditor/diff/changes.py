"""What a pull request changes in a lockfile: packages added, updated or removed.

The unit of comparison is the package name.  A name can be installed at several versions
(nested `node_modules`), so a new version is paired with the version it replaced by install
path first; without a shared path it is an update of the name's closest old version.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from auditor.models import Change, ChangeKind, Lockfile, Package, SourceKind

__all__ = ["Change", "ChangeKind", "base_packages", "diff_lockfiles", "select_packages"]


# A package's identity for diffing: what npm installs for it (docs/lockfile.md).  The same
# version from another source kind, another `resolved` URL (npm fetches it as written), with
# another integrity (npm accepts other bytes) or under other install names (policy selectors
# follow them) is a change too, audited again.
_Key = tuple[str, str, str | None, str | None, tuple[str, ...]]


def _key(package: Package) -> _Key:
    return (
        package.version,
        str(package.source),
        package.integrity,
        package.resolved,
        package.aliases,
    )


def _portable_key(package: Package) -> tuple[object, ...]:
    """The identity of a package across lockfile formats (a migration, say package-lock.json
    to pnpm-lock.yaml): each format writes `resolved` its own way (a URL, nothing, a Yarn
    resolution), so a registry package is the same when the one sha512 its integrity pins
    is (the bytes are).  A package no hash pins is never the same as anything: it is
    audited again (fail closed)."""
    digest: object = package.sha512 or package.integrity
    if digest is None:
        digest = ("unpinned", id(package))  # equal only to itself: never "unchanged"
    resolved = None if package.source is SourceKind.REGISTRY else package.resolved
    return (package.version, str(package.source), digest, resolved, package.aliases)


_NUM = re.compile(r"\d+")


def _version_key(version: str) -> tuple[tuple[int, ...], int, str]:
    """Sort key close to semver order, total on arbitrary strings (never raises)."""
    core, dash, pre = version.partition("-")
    numbers = tuple(int(n[:18]) for n in _NUM.findall(core)[:3])
    # A release sorts after its prereleases.
    return (numbers, 0 if dash else 1, pre)


def _predecessor(
    new: Package, old: Sequence[Package], gone: Sequence[Package], key: Callable[[Package], object]
) -> Package:
    """The base package that `new` replaces: most shared install paths, then a base
    version that disappeared, then the nearest version not above it, then the highest."""
    paths = set(new.paths)
    gone_keys = {key(p) for p in gone}
    target = _version_key(new.version)

    def rank(p: Package) -> tuple[int, bool, bool, tuple[tuple[int, ...], int, str]]:
        vk = _version_key(p.version)
        return (len(paths.intersection(p.paths)), key(p) in gone_keys, vk <= target, vk)

    return max(old, key=rank)


def diff_lockfiles(base: Lockfile, head: Lockfile) -> tuple[Change, ...]:
    """Every added, updated and removed package, sorted by (name, kind, versions).

    Lockfiles of two formats (a migration) are compared as package sets: `_portable_key`.
    """
    key: Callable[[Package], object] = _key if base.format == head.format else _portable_key
    base_by_name: dict[str, list[Package]] = defaultdict(list)
    head_by_name: dict[str, list[Package]] = defaultdict(list)
    for p in base.packages:
        base_by_name[p.name].append(p)
    for p in head.packages:
        head_by_name[p.name].append(p)

    changes: list[Change] = []
    for name in sorted(base_by_name.keys() | head_by_name.keys()):
        old = base_by_name.get(name, [])
        new = head_by_name.get(name, [])
        old_keys = {key(p) for p in old}
        new_keys = {key(p) for p in new}
        fresh = [p for p in new if key(p) not in old_keys]
        gone = [p for p in old if key(p) not in new_keys]
        replaced: set[object] = set()
        for p in fresh:
            if not old:
                changes.append(Change(ChangeKind.ADDED, name, None, p.version, p.line, None, p))
                continue
            before = _predecessor(p, old, gone, key)
            replaced.add(key(before))
            changes.append(
                Change(ChangeKind.UPDATED, name, before.version, p.version, p.line, before, p)
            )
        changes.extend(
            Change(ChangeKind.REMOVED, name, p.version, None, None, p, None)
            for p in gone
            if key(p) not in replaced
        )
    return tuple(changes)


def select_packages(
    head: Lockfile, changes: Iterable[Change], audit_all: bool
) -> tuple[Package, ...]:
    """The head packages to fetch and verify: added and updated ones, or all of them.

    Removed packages are never selected: they are not installed any more.
    """
    if audit_all:
        return head.packages
    wanted = {
        (c.name, *_key(c.after_package))
        for c in changes
        if c.kind is not ChangeKind.REMOVED and c.after_package is not None
    }
    # Keep the lockfile's order; return head's own Package values.
    return tuple(p for p in head.packages if (p.name, *_key(p)) in wanted)


def base_packages(changes: Iterable[Change]) -> tuple[Package, ...]:
    """The base versions of updated packages: fetched and verified the same way as head
    packages so that the two versions' evidence can be compared."""
    seen: set[str] = set()
    out: list[Package] = []
    for c in changes:
        p = c.before_package
        if c.kind is ChangeKind.UPDATED and p is not None and p.spec not in seen:
            seen.add(p.spec)
            out.append(p)
    return tuple(out)
