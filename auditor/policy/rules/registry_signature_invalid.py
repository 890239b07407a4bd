"""registry-signature-invalid (always on): the registry's dist.signatures do not verify."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult, SignatureStatus
from auditor.policy.rules.base import Judge, Rule, registry_checked, rule_info

INFO = rule_info(
    "registry-signature-invalid",
    "The registry signature does not verify",
    "The version's registry signature (dist.signatures, ECDSA P-256 over "
    "<name>@<version>:<integrity>) names an unknown or expired key, does not verify, or "
    "signs another integrity than the lockfile's. The registry did not accept these "
    "bytes under this name and version: a mirror, proxy or cache is serving something else, "
    "or the lockfile was edited.",
    "Do not install this version. Compare the lockfile integrity with the registry's, "
    "re-resolve from a trusted registry, and refresh the pinned keys if a new key is in use.",
    "",
    severity="9.5",
    tags=("tampering", "signature"),
    always_on=True,
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    sig = r.registry_signature
    if sig is None or sig.status is not SignatureStatus.INVALID or not registry_checked(r):
        return
    yield from j.finding(
        INFO.id,
        r,
        f"{r.package.spec}: the registry signature does not verify"
        f" ({sig.reason or 'INVALID'}: {sig.message or 'no detail'})",
        {"reason": sig.reason, "keyid": sig.keyid},
    )


RULE = Rule(INFO, waivable=False, package=check)
