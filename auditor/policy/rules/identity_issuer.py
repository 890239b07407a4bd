"""identity-issuer: signed by an OIDC issuer the `[[identity]]` block does not allow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from auditor.models import Finding, Identity, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, Verdict, identity_check

if TYPE_CHECKING:  # the policy model imports the catalogue built from the rules
    from auditor.policy.model import IdentityRule

INFO = rule_info(
    "identity-issuer",
    "Signed by an OIDC issuer the policy does not allow",
    "The OIDC issuer in the certificate (the CI system that vouched for the build) is "
    "not in the allowed list.",
    "Confirm the package's CI system and add its issuer if legitimate.",
    "[[identity]] issuers",
    severity="8.0",
    tags=("identity",),
)


def _issuer(block: IdentityRule, ident: Identity, legacy: bool) -> Verdict | None:
    if not block.issuers:
        return None
    issuer = ident.issuer.rstrip("/") if ident.issuer else None
    return Verdict(
        ok=any(g.match(issuer) or g.match(ident.issuer) for g in block.issuers),
        what="OIDC issuer",
        expected=[g.pattern for g in block.issuers],
        actual=ident.issuer,
    )


CLAIMS = (Claim(INFO.id, _issuer),)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)


RULE = Rule(INFO, package=check)
