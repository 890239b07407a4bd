"""identity-ref: built from a git ref the `[[identity]]` block does not allow."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, allowed, identity_check

INFO = rule_info(
    "identity-ref",
    "Built from a git ref the policy does not allow",
    "The source ref in the certificate does not match the allowed ref globs (for "
    "example only release tags `refs/tags/v*`).",
    "Check why the release came from another branch or tag.",
    "[[identity]] refs",
    severity="6.5",
    tags=("identity",),
)

CLAIMS = (Claim(INFO.id, allowed(lambda b: b.refs, "source ref", lambda i: i.ref)),)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)


RULE = Rule(INFO, package=check)
