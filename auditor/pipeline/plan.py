"""Plan: which packages a run fetches, and the ones decided before any fetch.

In pull-request mode only the added and updated packages (and the base versions of updated
ones) are audited (`auditor.diff.plan_diff`); otherwise every package of the lockfile.  A
package that is not from a registry, carries a malformed alias or a `resolved` URL npm could
not install from is decided here and never fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from auditor.models import Lockfile, Package, PackageResult, SourceKind, Status

if TYPE_CHECKING:
    from auditor.diff import DiffPlan
    from auditor.pipeline.options import AuditOptions


@dataclass(frozen=True)
class Plan:
    head: Sequence[Package]  # the lockfile's packages to audit (all, or the changed ones)
    base: Sequence[Package]  # base versions of updated packages (pull-request mode)
    diff: DiffPlan | None  # pull-request mode with a base lockfile

    def registry_count(self) -> int:
        return sum(1 for p in (*self.head, *self.base) if p.source is SourceKind.REGISTRY)


def plan_run(lockfile: Lockfile, lockfile_path: Path, options: AuditOptions) -> Plan:
    diff = None
    if options.base is not None or options.base_ref is not None:
        from auditor.diff import plan_diff, read_base_lockfile

        base = read_base_lockfile(options.base, options.base_ref, lockfile_path)
        if base is not None:
            diff = plan_diff(lockfile, base, audit_all=options.audit_all)
    if diff is None:
        return Plan(lockfile.packages, (), None)
    return Plan(diff.audit, diff.base_audit, diff)


def fetchable(package: Package) -> bool:
    """A registry package whose name can be asked for (a malformed alias never is)."""
    return package.source is SourceKind.REGISTRY and package.alias_problem is None


def error(package: Package, reason: str, message: str, registry: str | None) -> PackageResult:
    return PackageResult(package, Status.ERROR, reason, message, registry=registry)


def decided_without_fetching(package: Package) -> PackageResult | None:
    """The result of a package that is never fetched, or None."""
    if package.alias_problem is not None:
        # First: no registry, URL or file path is ever made from a malformed alias.
        return error(package, "ALIAS_INVALID", package.alias_problem, None)
    if package.source is not SourceKind.REGISTRY:
        return PackageResult(
            package,
            Status.NOT_APPLICABLE,
            "NOT_REGISTRY",
            f"{package.source.value} dependency: registry attestations cannot exist",
        )
    problem = resolved_problem(package.resolved)
    if problem is not None:
        return error(package, "RESOLVED_INVALID", f"the lockfile's resolved URL: {problem}", None)
    return None


def resolved_problem(resolved: str | None) -> str | None:
    """Why an http(s) `resolved` URL cannot be parsed (a bad IPv6 literal or port), or None.

    npm cannot install from such a URL, so the package is undecided: `error`, never a crash.
    """
    if not resolved or ("[" not in resolved and ":" not in resolved[8:]):
        return None  # no IPv6 literal and no port: nothing that can fail to parse
    try:
        urlsplit(resolved).port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return str(exc)
    return None
