"""identity-runner: built on a runner environment the `[[identity]]` block does not allow."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, allowed, identity_check

INFO = rule_info(
    "identity-runner",
    "Built on a runner environment the policy does not allow",
    "The runner environment in the certificate is not allowed (for example a "
    "self-hosted runner where only GitHub-hosted runners are expected). Self-hosted "
    "runners have been abused as command-and-control by worms.",
    "Publish from hosted runners, or allow the runner environment explicitly.",
    "[[identity]] runners",
    severity="7.0",
    tags=("identity",),
)

CLAIMS = (
    Claim(
        INFO.id,
        allowed(
            lambda b: b.runners,
            "runner environment",
            lambda i: i.runner_environment,
            legacy_key="runners",
        ),
    ),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)


RULE = Rule(INFO, package=check)
