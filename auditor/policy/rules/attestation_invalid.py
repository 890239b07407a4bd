"""attestation-invalid (always on): attestations are served but do not verify."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult, Status
from auditor.policy.rules.base import Judge, Rule, registry_checked, rule_info, stripped

INFO = rule_info(
    "attestation-invalid",
    "Attestations are present but do not verify",
    "The registry served attestations for this version, but a signature, certificate, "
    "transparency-log entry or the binding to the lockfile integrity failed to verify. "
    "This is what tampering (a forged bundle, a swapped tarball, a mirror serving other "
    "bytes) looks like.",
    "Do not install this version. Compare the lockfile integrity with the registry, "
    "re-resolve from a trusted registry and report the package if the failure persists.",
    "",
    severity="9.5",
    tags=("tampering",),
    always_on=True,
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    if r.status is not Status.INVALID or not registry_checked(r) or stripped(r):
        return  # stripped provenance is provenance-stripped's, not a second finding
    yield from j.finding(
        INFO.id,
        r,
        f"{r.package.spec}: attestations do not verify"
        f" ({r.reason or 'INVALID'}: {r.message or 'no detail'})",
        {"reason": r.reason, "detail": r.message},
    )


RULE = Rule(INFO, waivable=False, package=check)
