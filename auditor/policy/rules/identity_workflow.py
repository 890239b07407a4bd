"""identity-workflow: built by a workflow the `[[identity]]` block does not allow."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, allowed, identity_check

INFO = rule_info(
    "identity-workflow",
    "Built by a workflow the policy does not allow",
    "The top-level workflow path (certificate Build Config URI) does not match the "
    "allowed workflow paths.",
    "Check why a different workflow published this version; update the allowed paths "
    "if the release workflow was renamed.",
    "[[identity]] workflows",
    severity="7.0",
    tags=("identity",),
)

CLAIMS = (
    Claim(
        INFO.id,
        allowed(
            lambda b: b.workflows, "workflow", lambda i: i.workflow_path, legacy_key="workflows"
        ),
    ),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)


RULE = Rule(INFO, package=check)
