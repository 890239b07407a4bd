"""change-workflow: an updated package was built by another workflow or OIDC issuer."""

from __future__ import annotations

from auditor.models import Level
from auditor.policy.rules.base import ChangeEmitter, ChangeSubject, Rule, rule_info, signers

INFO = rule_info(
    "change-workflow",
    "Changed version was built by another workflow",
    "Against the base lockfile, the verified top-level workflow path changed.",
    "Confirm the release workflow changed legitimately.",
    "[rules] change-workflow",
    level=Level.WARNING,
    severity="6.0",
    tags=("diff",),
)


def check(emit: ChangeEmitter, c: ChangeSubject) -> None:
    both = signers(c)
    if both is None:
        return
    was, now = both
    before, after = was.workflow_path, now.workflow_path
    flow: list[str] = []
    if before != after:
        flow.append(f"workflow {before} -> {after}")
    if was.issuer != now.issuer:
        flow.append(f"issuer {was.issuer} -> {now.issuer}")
    if flow:
        emit.add(
            INFO.id,
            "build workflow changed: " + "; ".join(flow),
            before_workflow=before,
            after_workflow=after,
            before_issuer=was.issuer,
            after_issuer=now.issuer,
        )


RULE = Rule(INFO, change=check)
