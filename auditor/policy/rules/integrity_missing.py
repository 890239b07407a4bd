"""integrity-missing: the lockfile integrity does not pin the package to one sha512."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult, SourceKind
from auditor.policy.rules.base import Judge, Rule, rule_info

INFO = rule_info(
    "integrity-missing",
    "Lockfile entry has no usable integrity",
    "Read as npm reads it, the lockfile integrity does not pin this package to one sha512: "
    "it is missing, npm recognises no hash in it (an unknown or upper-case algorithm: npm "
    "then checks nothing), npm would check only a weaker algorithm, a digest is malformed, "
    "or npm would accept any of several different sha512 hashes. The installed bytes are "
    "not pinned and cannot be bound to an attestation (reason code in the evidence).",
    "Regenerate the lockfile with a current npm.",
    "[rules] integrity-missing",
    severity="6.5",
    tags=("integrity",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    p = r.package
    if p.source not in (SourceKind.REGISTRY, SourceKind.REMOTE) or p.sha512 is not None:
        return
    # Read as npm reads it: integrity npm would not check, or would check against anything
    # but one sha512, is no integrity (docs/lockfile.md).
    why = p.integrity_problem or "no integrity in the lockfile"
    yield from j.finding(
        INFO.id,
        r,
        f"{p.spec} has no usable integrity ({why})",
        {
            "expected": "one sha512 integrity",
            "actual": p.integrity,
            "problem": why,
            "reason": p.integrity_reason or "MISSING_INTEGRITY",
        },
    )


RULE = Rule(INFO, package=check)
