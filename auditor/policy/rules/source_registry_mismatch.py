"""source-registry-mismatch: the lockfile installs something else than this package's
registry tarball.

npm fetches `resolved` as written (docs/lockfile.md): a registry entry must be its own
tarball right below a configured registry, and a URL under a configured registry that is
not the entry's own tarball is another package's (injection).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import urlsplit

from auditor.lockfile.sources import tarball_paths
from auditor.models import Finding, PackageResult, SourceKind
from auditor.policy.rules.base import NON_REGISTRY_SOURCES, Judge, Rule, rule_info

INFO = rule_info(
    "source-registry-mismatch",
    "Lockfile resolves the package from another registry",
    "npm installs the lockfile's `resolved` URL as written, and it is not this package's "
    "registry tarball: it points outside the configured registries, at another "
    "package's tarball under one, or (while every dependent asks for a registry "
    "version) at a git, file or remote source. What is installed is not what was "
    "audited (lockfile injection).",
    "Re-resolve the lockfile against the configured registry, or add the mirror.",
    "[source] registries",
    severity="7.5",
    tags=("source",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    p = r.package
    if p.registry_spec is not None and p.source in NON_REGISTRY_SOURCES:
        # Every dependent asks the registry for it, but npm installs `resolved`.
        yield from j.finding(
            INFO.id,
            r,
            f"{p.spec} is required as a registry version ({p.registry_spec!r}) but the "
            f"lockfile installs it from a {p.source.value} source "
            f"({p.resolved or 'no resolved URL'})",
            {"expected": "registry", "actual": p.resolved, "spec": p.registry_spec},
        )
        return
    if not p.resolved or not j.registries:
        return
    if p.source not in (SourceKind.REGISTRY, SourceKind.REMOTE):
        return
    below = [
        rest
        for rest in (below_registry(p.resolved, reg) for reg in j.registries)
        if rest is not None
    ]
    if p.source is SourceKind.REGISTRY and not below:
        yield from j.finding(
            INFO.id,
            r,
            f"{p.spec} is resolved from {p.resolved}, outside the configured registries",
            {"expected": list(j.registries), "actual": p.resolved},
        )
        return
    own = tarball_paths(p.name, p.version)
    if below and not any(rest in own for rest in below):
        yield from j.finding(
            INFO.id,
            r,
            f"{p.spec} is resolved from {p.resolved}: under a configured registry but not "
            f"at this package's tarball path, so npm installs another package's tarball",
            {
                "expected": [reg + own[0] for reg in j.registries],
                "actual": p.resolved,
            },
        )


def below_registry(resolved: str, registry: str) -> str | None:
    """The path of `resolved` below the registry base URL (same scheme, host and port, path
    under its path), or None when it is not under it."""
    if resolved.startswith(registry) and "/../" not in resolved and _plain_base_url(registry):
        return resolved[len(registry) :]  # the common case, without parsing two URLs
    return below_registry_parsed(resolved, registry)


@lru_cache(maxsize=64)
def _plain_base_url(registry: str) -> bool:
    """An http(s) URL ending in '/' with a host, no user, query or fragment: any string that
    starts with it has the same scheme, host and port, and a path under its path."""
    if not registry.endswith("/") or any(c in registry for c in "?#@\\"):
        return False
    try:
        parts = urlsplit(registry)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def below_registry_parsed(resolved: str, registry: str) -> str | None:
    try:
        r, b = urlsplit(resolved), urlsplit(registry)
        r_port, b_port = r.port, b.port
    except ValueError:
        return None
    defaults = {"http": 80, "https": 443}
    if r.scheme.lower() != b.scheme.lower() or (r.hostname or "") != (b.hostname or ""):
        return None
    if (r_port or defaults.get(r.scheme.lower())) != (b_port or defaults.get(b.scheme.lower())):
        return None
    base = b.path if b.path.endswith("/") else b.path + "/"
    path = r.path if r.path.startswith("/") else "/" + r.path
    if not path.startswith(base) or "/../" in path:
        return None
    rest = path[len(base) :]
    return rest + ("?" + r.query if r.query else "") + ("#" + r.fragment if r.fragment else "")


RULE = Rule(INFO, package=check)
