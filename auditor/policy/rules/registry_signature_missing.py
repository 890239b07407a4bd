"""registry-signature-missing: no registry signature from a registry that signs.

Applies only to packages from a registry known to sign (`PolicyContext.signing_registries`).
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult, SignatureStatus
from auditor.policy.rules.base import Judge, Rule, registry_checked, rule_info

INFO = rule_info(
    "registry-signature-missing",
    "The registry served no signature for this version",
    "The version carries no registry signature although its registry signs packages "
    "(other packages from it carry dist.signatures). A registry that signs every version "
    "does not drop one: stripping the signature hides a version the registry never "
    "accepted. Registries that sign nothing (many mirrors and private registries) are "
    "exempt, and the report says so.",
    "Fetch the version from the origin registry and compare; do not install it until its "
    "registry signature verifies.",
    "[rules] registry-signature-missing",
    severity="7.5",
    tags=("signature",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    sig = r.registry_signature
    if sig is None or sig.status in (SignatureStatus.VERIFIED, SignatureStatus.INVALID):
        return
    if not registry_checked(r) or (r.registry or "") not in j.signing_registries:
        return
    yield from j.finding(
        INFO.id,
        r,
        f"{r.package.spec}: no registry signature, although {r.registry or 'its registry'}"
        f" signs packages ({sig.reason or 'SIGNATURE_MISSING'})",
        {"reason": sig.reason, "keyid": sig.keyid, "registry": r.registry},
    )


RULE = Rule(INFO, package=check)
