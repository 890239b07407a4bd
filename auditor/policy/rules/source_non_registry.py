"""source-non-registry: a git, remote-tarball or file dependency (no registry provenance)."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import NON_REGISTRY_SOURCES, Judge, Rule, any_match, rule_info

INFO = rule_info(
    "source-non-registry",
    "Dependency does not come from a registry",
    "A git, remote-tarball or file dependency cannot carry registry provenance and "
    "bypasses registry review; attackers have used git dependencies on orphan commits.",
    "Depend on a registry release, or allow the dependency explicitly.",
    "[source] allow_packages / allow_resolved",
    severity="6.0",
    tags=("source",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    p, cfg = r.package, j.policy.source_hygiene
    if p.source not in NON_REGISTRY_SOURCES:
        return
    if any_match(cfg.allow_packages, p.name, p.version) or any(
        g.match(p.resolved) for g in cfg.allow_resolved
    ):
        return
    yield from j.finding(
        INFO.id,
        r,
        f"{p.spec} comes from a {p.source.value} source ({p.resolved or 'no resolved URL'})",
        {"expected": "registry", "actual": p.source.value, "resolved": p.resolved},
    )


RULE = Rule(INFO, package=check)
