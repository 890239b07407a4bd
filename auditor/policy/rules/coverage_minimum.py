"""coverage-minimum: the share of registry packages with verified provenance is too low."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from auditor.models import Finding, Level, PackageResult, SourceKind, Status
from auditor.policy.rules.base import Judge, Rule, rule_info

INFO = rule_info(
    "coverage-minimum",
    "Provenance coverage is below the minimum",
    "The share of registry packages with verified provenance is below the threshold "
    "the policy sets (overall, production or development dependencies).",
    "Replace unattested dependencies, or lower the threshold while the ecosystem catches up.",
    "[coverage] overall / production / development",
    level=Level.WARNING,
    severity="4.0",
    tags=("provenance",),
)


def check(j: Judge, results: Sequence[PackageResult]) -> Iterator[Finding]:
    cfg = j.policy.coverage
    registry = [r for r in results if r.package.source is SourceKind.REGISTRY]
    scopes = (
        ("overall", cfg.overall, registry),
        ("production", cfg.production, [r for r in registry if r.package.production]),
        ("development", cfg.development, [r for r in registry if not r.package.production]),
    )
    for scope, minimum, group in scopes:
        if minimum is None or not group:
            continue
        verified = sum(1 for r in group if r.status is Status.VERIFIED)
        ratio = verified / len(group)
        if ratio >= minimum:
            continue
        yield from j.finding(
            INFO.id,
            None,
            f"{scope} provenance coverage {ratio:.1%} ({verified}/{len(group)} registry "
            f"packages) is below the minimum {minimum:.0%}",
            {
                "scope": scope,
                "expected": minimum,
                "actual": round(ratio, 4),
                "verified": verified,
                "total": len(group),
            },
        )


RULE = Rule(INFO, waivable=False, audit=check)
