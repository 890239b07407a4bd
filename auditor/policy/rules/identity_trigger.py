"""identity-trigger: built by a workflow trigger the `[[identity]]` block does not allow.

`deny_triggers` is checked first: a denied trigger is one finding, not also a trigger
missing from `triggers`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.models import Finding, Identity, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, Verdict, identity_check

if TYPE_CHECKING:  # the policy model imports the catalogue built from the rules
    from auditor.policy.model import IdentityRule

INFO = rule_info(
    "identity-trigger",
    "Built by a workflow trigger the policy does not allow",
    "The event that triggered the publishing workflow is not allowed or is denied. "
    "`pull_request_target` and `issue_comment` let outsiders run code with the "
    "repository's secrets and caused real publish compromises.",
    "Publish only from push, release or workflow_dispatch events.",
    "[[identity]] triggers / deny_triggers",
    severity="7.5",
    tags=("identity",),
)


def _denied(block: IdentityRule, ident: Identity, legacy: bool) -> Verdict | None:
    if ident.trigger is None or ident.trigger not in block.deny_triggers:
        return None
    return Verdict(False, "trigger", list(block.deny_triggers), ident.trigger, denied=True)


def _allowed(block: IdentityRule, ident: Identity, legacy: bool) -> Verdict | None:
    if not block.triggers or _denied(block, ident, legacy) is not None:
        return None
    return Verdict(ident.trigger in block.triggers, "trigger", list(block.triggers), ident.trigger)


CLAIMS = (Claim(INFO.id, _denied), Claim(INFO.id, _allowed))


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)


RULE = Rule(INFO, package=check)
