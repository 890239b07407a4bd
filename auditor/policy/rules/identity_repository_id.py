"""identity-repository-id: the numeric repository or owner id differs from the pinned one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, alias_pins, allowed, identity_check

if TYPE_CHECKING:  # the policy model imports the catalogue built from the rules
    from auditor.policy.model import IdentityRule

INFO = rule_info(
    "identity-repository-id",
    "Repository or owner id differs from the pinned id",
    "The numeric repository id or owner id in the certificate differs from the pinned "
    "value. Repositories can be deleted and re-registered under the same name; the "
    "numeric id cannot be reused.",
    "Treat as a takeover until proven otherwise; update the pin only after confirming "
    "the repository was legitimately recreated or transferred.",
    "[[identity]] repository_ids / owner_ids",
    severity="8.5",
    tags=("identity",),
)

CLAIMS = (
    Claim(
        INFO.id,
        allowed(
            lambda b: b.repository_ids,
            "repository id",
            lambda i: i.repository_id,
            legacy_key="repository_ids",
        ),
    ),
    Claim(
        INFO.id,
        allowed(
            lambda b: b.owner_ids,
            "repository owner id",
            lambda i: i.owner_id,
            legacy_key="owner_ids",
        ),
    ),
)


def _pinned_ids(block: IdentityRule) -> list[str] | None:
    # An alias block pinning a repository glob is identity-repository's.
    if block.repositories or not (block.repository_ids or block.owner_ids):
        return None
    return [*block.repository_ids, *block.owner_ids]


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)
    yield from alias_pins(j, r, INFO.id, _pinned_ids)


RULE = Rule(INFO, package=check)
