"""identity-repository: built from a repository the `[[identity]]` block does not allow.

Also an alias installed under a pinned name without verified provenance: the code that
loads as the pinned name is another package, which cannot show the pinned repository.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, alias_pins, allowed, identity_check

INFO = rule_info(
    "identity-repository",
    "Built from a repository the policy does not allow",
    "The Source Repository URI in the signing certificate does not match any repository "
    "glob the identity rule allows. A stolen publish token used from the attacker's own "
    "CI produces valid provenance naming the attacker's repository.",
    "Check who published this version and from where; if the project moved, update "
    "the allowed repositories.",
    "[[identity]] repositories",
    severity="8.5",
    tags=("identity",),
)

CLAIMS = (
    Claim(
        INFO.id,
        allowed(lambda b: b.repositories, "source repository", lambda i: i.source_repository),
    ),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)
    yield from alias_pins(
        j, r, INFO.id, lambda b: [g.pattern for g in b.repositories] if b.repositories else None
    )


RULE = Rule(INFO, package=check)
