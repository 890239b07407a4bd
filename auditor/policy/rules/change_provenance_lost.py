"""change-provenance-lost: an updated package lost the verified evidence its base version had.

Only verified results count (never packument claims).  A base version that cannot be
decided is an `incomplete` finding (fail closed), unless the head audit reports it.
"""

from __future__ import annotations

from auditor.models import Evidence, PackageResult, Status
from auditor.policy.rules.base import (
    ChangeEmitter,
    ChangeSubject,
    Rule,
    rule_info,
    stripped,
    verified_evidence,
)

INFO = rule_info(
    "change-provenance-lost",
    "Changed version lost the provenance the base version had",
    "Against the base lockfile, the package moved to a version without verified "
    "provenance although the base version had it.",
    "Keep the base version until the maintainers explain the change.",
    "[rules] change-provenance-lost",
    severity="8.0",
    tags=("diff",),
)

_EVIDENCE_WORDS = {
    Evidence.NONE: "no attestation",
    Evidence.PUBLISH_ONLY: "publish attestation only",
    Evidence.PROVENANCE: "verified provenance",
    Evidence.TRUSTED_PUBLISHER: "trusted publisher",
}


def evidence_of(result: PackageResult | None) -> Evidence | None:
    """Verified evidence strength of one version; None when it could not be decided."""
    if result is None or result.status is Status.ERROR:
        return None
    if stripped(result):
        # The registry advertised attestations it did not serve: what the version really
        # had cannot be told (comparing it as "no attestation" would hide a loss).
        return None
    # INVALID (attestation-invalid reports it) and NOT_APPLICABLE are no evidence.
    return verified_evidence(result)


def check(emit: ChangeEmitter, c: ChangeSubject) -> None:
    if c.before is None:
        return
    was = evidence_of(c.base)
    now = evidence_of(c.head)
    if was is None:
        if not c.base_in_head:
            why = c.base.reason if c.base is not None and c.base.reason else "not audited"
            emit.add(
                "incomplete", f"could not compare with base version {c.before.version} ({why})"
            )
        return
    if now is None or now.rank >= was.rank:
        # An undecided head version is already reported by the head audit.
        return
    verb = "provenance lost" if now is Evidence.NONE else "provenance weakened"
    emit.add(
        INFO.id,
        f"{verb}: {_EVIDENCE_WORDS[was]} -> {_EVIDENCE_WORDS[now]}",
        before_evidence=str(was),
        after_evidence=str(now),
    )


RULE = Rule(INFO, change=check)
