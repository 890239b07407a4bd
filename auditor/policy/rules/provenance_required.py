"""provenance-required: the policy requires verified provenance and the version has none."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult, Status
from auditor.policy.rules.base import (
    Judge,
    Rule,
    any_match,
    decided,
    rule_info,
    selector_names,
    via,
)

INFO = rule_info(
    "provenance-required",
    "Provenance is required but was not verified",
    "The policy requires verified build provenance for this package (all packages, "
    "production or direct dependencies, a package glob, or an identity rule with "
    "require_provenance), and the version has none.",
    "Ask the maintainers to publish with provenance (trusted publishing), pin an "
    "earlier version that has it, or add a dated [[exception]] with a reason.",
    "[provenance] require / packages / exclude",
    severity="6.0",
    tags=("provenance",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    if r.status is Status.VERIFIED or not decided(r):
        return
    p, cfg = r.package, j.policy.provenance
    reasons: list[str] = []
    if not any_match(cfg.exclude, p.name, p.version):
        scoped = {
            "all": True,
            "production": p.production,
            "direct": p.direct,
            "none": False,
        }[cfg.require]
        if scoped:
            reasons.append(f"provenance.require = {cfg.require!r}")
        names = selector_names(p)
        for s in cfg.packages:
            by = next(((n, role) for n, role in names if s.matches(n, p.version)), None)
            if by is not None:
                reasons.append(f"provenance.packages {s.spec!r}{via(by)}")
    if any(b.require_provenance for b in j.policy.identity):  # else no block to match
        for block, matched in j.identity_blocks(r):
            if block.require_provenance:
                reasons.append(f"{block.label}{via(matched)}")
    if reasons:
        yield from j.finding(
            INFO.id,
            r,
            f"{p.spec} has no verified provenance ({r.status.value}); required by "
            + "; ".join(reasons),
            {
                "expected": "verified provenance",
                "actual": r.status.value,
                "required_by": reasons,
            },
        )


RULE = Rule(INFO, package=check)
