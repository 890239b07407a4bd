"""identity-builder: built by a builder the `[[identity]]` block does not trust.

Named builders read the certificate; builder-id globs read the (checked) predicate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from auditor.models import GITHUB_ISSUER, GITLAB_ISSUER, Finding, Identity, PackageResult
from auditor.policy.globs import uri_glob
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.policy.rules.identity import Claim, Verdict, identity_check

if TYPE_CHECKING:  # the policy model imports the catalogue built from the rules
    from auditor.policy.model import IdentityRule

INFO = rule_info(
    "identity-builder",
    "Built by a builder the policy does not trust",
    "The build platform (named builder or SLSA builder id) is not among the trusted "
    "builders of the identity rule.",
    "Add the builder if it is legitimate.",
    "[[identity]] builders",
    severity="7.0",
    tags=("identity",),
)

_SLSA_GENERATOR_SIGNER = uri_glob(
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/*@refs/tags/v*"
)
_SLSA_GENERATOR_BUILDER = uri_glob("https://github.com/slsa-framework/slsa-github-generator/**")
# The runner environment a hosted builder of each issuer certifies.
_HOSTED_RUNNER = {GITHUB_ISSUER: "github-hosted", GITLAB_ISSUER: "gitlab-hosted"}


def builder_matches(builder: str, ident: Identity) -> bool:
    """Named builders read the certificate; builder-id globs read the (checked) predicate."""
    issuer = (ident.issuer or "").rstrip("/").lower()
    if builder == "github-hosted":
        return issuer == GITHUB_ISSUER and ident.runner_environment == "github-hosted"
    if builder == "gitlab-hosted":
        return issuer == GITLAB_ISSUER and ident.runner_environment == "gitlab-hosted"
    if builder == "slsa-github-generator":
        # The reusable workflow signs (Build Signer URI), pinned to a release tag.
        return _SLSA_GENERATOR_SIGNER.match(ident.build_signer) and _SLSA_GENERATOR_BUILDER.match(
            ident.builder_id
        )
    return uri_glob(builder).match(ident.builder_id)


def _builder(block: IdentityRule, ident: Identity, legacy: bool) -> Verdict | None:
    if not block.builders:
        return None
    expected = list(block.builders)
    ok = any(builder_matches(b, ident) for b in block.builders)
    if not ok and legacy and ident.runner_environment is None:
        # A hosted builder is judged by the runner claim: unknown on old certificates.
        hosted = replace(ident, runner_environment=_HOSTED_RUNNER.get(ident.issuer or ""))
        if any(builder_matches(b, hosted) for b in block.builders):
            return Verdict(False, "runner environment", expected, None, legacy_key="builders")
    return Verdict(ok, "builder", expected, ident.builder_id)


CLAIMS = (Claim(INFO.id, _builder),)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    yield from identity_check(j, r, CLAIMS)


RULE = Rule(INFO, package=check)
