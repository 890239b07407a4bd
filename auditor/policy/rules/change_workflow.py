"""change-workflow: an updated package was built by another workflow or OIDC issuer."""

from __future__ import annotations

from auditor.models import Level
from auditor.policy.rules.base import ChangeEmitter, ChangeSubject, Rule, rule_info

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
    was = c.base.identity if c.base is not None and c.before is not None else None
    now = c.head.identity if c.head is not None else None
    if was is None or now is None:
        return  # one side has no verified signer: change-provenance-lost covers it
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
