"""provenance-stripped (always on): the registry advertised provenance it did not serve.

The engine decides it (auditor.registry.stripping, reason PROVENANCE_STRIPPED); the rule
reports that verdict and draws no conclusion of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import Judge, Rule, registry_checked, rule_info, stripped

INFO = rule_info(
    "provenance-stripped",
    "The registry advertised provenance it did not serve",
    "The packument says this version has a provenance attestation, but the attestations "
    "response lacked it. A mirror or proxy that strips attestations would hide a "
    "tampered or re-published version.",
    "Fetch the attestations directly from the origin registry; do not install the "
    "version until its provenance verifies.",
    "",
    severity="9.0",
    tags=("tampering",),
    always_on=True,
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    if not registry_checked(r) or not stripped(r):
        return
    yield from j.finding(
        INFO.id,
        r,
        f"{r.package.spec}: the registry advertised provenance but served none "
        f"(status {r.status.value})",
        {"expected": "provenance attestation", "actual": r.status.value},
    )


RULE = Rule(INFO, waivable=False, package=check)
