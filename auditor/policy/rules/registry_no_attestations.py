"""registry-no-attestations: a registry served neither attestations nor signing keys."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info

INFO = rule_info(
    "registry-no-attestations",
    "The registry serves no attestations and no signing keys",
    "The registry this audit talked to has no signing keys endpoint (/-/npm/v1/keys) and "
    "not one audited package with attestations or signatures. Many mirrors and proxies "
    "do not serve the attestations endpoint and strip dist.attestations and "
    "dist.signatures: every package then looks unattested, and tampering would go "
    "unnoticed.",
    "Fetch the evidence from the origin registry while installing through the mirror: "
    "--attestations-registry URL, or [registry] attestations in the policy.",
    "[registry] attestations",
    severity="7.0",
    tags=("provenance", "configuration"),
)


def check(j: Judge, results: Sequence[PackageResult]) -> Iterator[Finding]:
    """Once per registry the engine found attestation-less (`PolicyContext.attestation_less`)."""
    for registry, source in j.context.attestation_less:
        yield from j.finding(
            INFO.id,
            None,
            f"registry {registry} (configured by {source}) serves no attestations and no "
            "signing keys: every package looks unattested; fetch the evidence from the "
            "origin registry (--attestations-registry URL or [registry] attestations)",
            {"registry": registry, "configured_by": source},
        )


RULE = Rule(INFO, audit=check)
