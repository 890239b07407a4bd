"""Minted bundles -> the production verifier -> evaluate: identities that vary per field.

The policy reads only what verification extracted from the certificate, so a change in
any Fulcio extension must surface as the matching identity-* finding.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from auditor.models import Finding, Package, PackageResult, SourceKind
from auditor.policy import PolicyContext, evaluate, parse_policy

kit_module = pytest.importorskip("tests.support.kit")
verify = pytest.importorskip("auditor.verify")

GITHUB = kit_module.GITHUB
GITLAB = kit_module.GITLAB
SignerIdentity = kit_module.SignerIdentity

SHA = hashlib.sha512(b"policy tarball").digest()
SRI = "sha512-" + base64.b64encode(SHA).decode()
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW = WHEN + timedelta(days=30)

POLICY = parse_policy(
    f"""
version = 1
[[identity]]
packages = ["@acme/*"]
repositories = ["https://github.com/acme/*"]
repository_ids = [{GITHUB.repository_id}]
owner_ids = [{GITHUB.owner_id}]
issuers = ["https://token.actions.githubusercontent.com"]
workflows = ["{GITHUB.workflow_path}"]
refs = ["refs/tags/v*"]
triggers = ["push", "release"]
deny_triggers = ["pull_request_target", "issue_comment"]
runners = ["github-hosted"]
builders = ["github-hosted"]

[[identity]]
packages = ["@gl/*"]
issuers = ["https://gitlab.com"]
refs = ["refs/heads/main"]
builders = ["gitlab-hosted"]
workflows = [".gitlab-ci.yml"]

[[identity]]
packages = ["@byob/*"]
builders = ["slsa-github-generator"]

[release_age]
days = 3
""",
    "minted.toml",
)


@pytest.fixture(scope="module")
def kit() -> Any:
    return kit_module.SigstoreKit(seed="policy-tests", cache_leaf=True)


@pytest.fixture(scope="module")
def trust(kit: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root, keys = kit.write_trust(tmp_path_factory.mktemp("trust"))
    return verify.load_trust(root, keys)


def audit(kit: Any, trust: Any, name: str, ident: Any, **mint: Any) -> list[Finding]:
    mint.setdefault("signed_at", WHEN)
    body = kit.attestations(name, "1.0.0", SHA, ident, **mint)
    verification = verify.verify_attestations(name, "1.0.0", SRI, body, trust)
    pkg = Package(name, "1.0.0", SourceKind.REGISTRY, integrity=SRI, line=7)
    result = PackageResult(pkg, verification.status, verification.reason, None, verification)
    return evaluate(POLICY, [result], PolicyContext(now=NOW))


def test_expected_identity_passes(kit: Any, trust: Any) -> None:
    assert audit(kit, trust, "@acme/widget", GITHUB) == []


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"repository": "evil/widget"}, "identity-repository"),
        ({"repository_id": "999"}, "identity-repository-id"),
        ({"owner_id": "999"}, "identity-repository-id"),
        ({"ref": "refs/heads/main"}, "identity-ref"),
        ({"workflow_path": ".github/workflows/ci.yml"}, "identity-workflow"),
        ({"trigger": "pull_request_target"}, "identity-trigger"),
        ({"trigger": "schedule"}, "identity-trigger"),
    ],
)
def test_each_certificate_field_is_enforced(
    kit: Any, trust: Any, change: dict[str, str], rule: str
) -> None:
    findings = audit(kit, trust, "@acme/widget", replace(GITHUB, **change))
    assert [f.rule for f in findings] == [rule]
    assert findings[0].line == 7 and findings[0].version == "1.0.0"


def test_self_hosted_runner_fails_runner_and_named_builder(kit: Any, trust: Any) -> None:
    findings = audit(kit, trust, "@acme/widget", replace(GITHUB, runner_environment="self-hosted"))
    assert sorted(f.rule for f in findings) == ["identity-builder", "identity-runner"]


def test_other_issuer_fails_issuer_and_builder(kit: Any, trust: Any) -> None:
    gl = replace(GITLAB, repository="acme/widget", server="https://gitlab.com")
    findings = audit(kit, trust, "@acme/widget", gl)
    rules = {f.rule for f in findings}
    assert {"identity-issuer", "identity-builder", "identity-repository"} <= rules


def test_gitlab_and_byob_builders(kit: Any, trust: Any) -> None:
    assert audit(kit, trust, "@gl/widget", GITLAB) == []
    byob = replace(GITHUB, builder="byob")
    assert audit(kit, trust, "@byob/widget", byob) == []
    assert [f.rule for f in audit(kit, trust, "@byob/widget", GITHUB)] == ["identity-builder"]


def test_release_age_uses_the_verified_log_time(kit: Any, trust: Any) -> None:
    # A cached leaf keeps its first signing time: mint this one with a fresh leaf.
    fresh = kit_module.SigstoreKit(seed="policy-tests")
    findings = audit(fresh, trust, "@acme/widget", GITHUB, signed_at=NOW - timedelta(days=1))
    assert [f.rule for f in findings] == ["release-age"]
    assert findings[0].evidence["time_source"] == "transparency log"


def test_release_age_is_the_registry_acceptance_not_the_provenance_signing(
    kit: Any, trust: Any
) -> None:
    """Attack: provenance signed 30 days before publication, published 10 minutes ago.
    The publish attestation's log time is when the registry accepted the version."""
    fresh = kit_module.SigstoreKit(seed="policy-tests")
    findings = audit(
        fresh,
        trust,
        "@acme/widget",
        GITHUB,
        signed_at=NOW - timedelta(days=30),
        publish_signed_at=NOW - timedelta(minutes=10),
    )
    assert [f.rule for f in findings] == ["release-age"]
    assert findings[0].evidence["published"] == (NOW - timedelta(minutes=10)).isoformat()
    # Without a publish attestation: the latest verified time of the set.
    findings = audit(
        fresh, trust, "@acme/widget", GITHUB, signed_at=NOW - timedelta(days=30), publish=False
    )
    assert findings == []


def test_tampered_bundle_is_attestation_invalid_and_nothing_else(kit: Any, trust: Any) -> None:
    evil = replace(GITHUB, repository="evil/widget")
    findings = audit(kit, trust, "@acme/widget", evil, tamper=kit_module.Tamper.PAYLOAD)
    assert [f.rule for f in findings] == ["attestation-invalid"]
    assert findings[0].level == "error"


def test_publish_only_skips_identity(kit: Any, trust: Any) -> None:
    findings = audit(kit, trust, "@acme/widget", GITHUB, provenance=False)
    assert findings == []
