"""Hand-built PackageResults for policy tests (no crypto: policy judges verified data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.models import (
    AttestationInfo,
    Finding,
    Identity,
    Package,
    PackageResult,
    Packument,
    SourceKind,
    Status,
    VerificationResult,
    VersionInfo,
    parse_sri,
)
from auditor.policy import Policy, PolicyContext, evaluate, parse_policy

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
REGISTRY = "http://127.0.0.1:4873/"
SHA512 = "sha512-" + "A" * 86 + "=="
SHA1 = "sha1-" + "A" * 27 + "="
GH = "https://token.actions.githubusercontent.com"
PROVENANCE = "https://slsa.dev/provenance/v1"

# A release-age policy with one dated exception (tests of waiving and expiry).
EXC = """
[release_age]
days = 3
[[exception]]
package = "dep@^1.0.0"
rules = ["release-age"]
reason = "urgent security fix"
expires = 2026-05-10
"""


def identity(repo: str = "https://github.com/acme/widget", **over: Any) -> Identity:
    base: dict[str, Any] = {
        "issuer": GH,
        "source_repository": repo,
        "repository_id": "1001",
        "owner_id": "2002",
        "ref": "refs/tags/v1.0.0",
        "commit": "a" * 40,
        "workflow": f"{repo}/.github/workflows/release.yml@refs/tags/v1.0.0",
        "build_signer": f"{repo}/.github/workflows/release.yml@refs/tags/v1.0.0",
        "runner_environment": "github-hosted",
        "trigger": "push",
        "builder_id": "https://github.com/actions/runner/github-hosted",
        "build_type": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
    }
    base.update(over)
    return Identity(**base)


def package(name: str = "@acme/widget", version: str = "1.0.0", **over: Any) -> Package:
    integrity = over.pop("integrity", SHA512)
    base: dict[str, Any] = {
        "name": name,
        "version": version,
        "source": SourceKind.REGISTRY,
        "integrity": integrity,
        "hashes": parse_sri(integrity) if integrity else (),
        "resolved": f"{REGISTRY}{name}/-/{name.split('/')[-1]}-{version}.tgz",
        "direct": True,
        "line": 10,
    }
    base.update(over)
    return Package(**base)


def verified(
    name: str = "@acme/widget",
    version: str = "1.0.0",
    ident: Identity | None = None,
    signed_at: datetime | None = None,
    packument: Packument | None = None,
    **pkg: Any,
) -> PackageResult:
    when = signed_at or NOW - timedelta(days=30)
    return PackageResult(
        package=package(name, version, **pkg),
        status=Status.VERIFIED,
        verification=VerificationResult(
            status=Status.VERIFIED,
            identity=ident or identity(),
            attestations=(AttestationInfo(PROVENANCE, signed_at=when),),
        ),
        packument=packument,
        registry=REGISTRY,
    )


def result(
    status: Status,
    name: str = "dep",
    version: str = "1.0.0",
    reason: str | None = None,
    packument: Packument | None = None,
    signed_at: datetime | None = None,
    **pkg: Any,
) -> PackageResult:
    verification = None
    if status is Status.PUBLISH_ONLY:
        verification = VerificationResult(
            status=status,
            attestations=(
                AttestationInfo(
                    "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
                    signed_at=signed_at or NOW - timedelta(days=30),
                ),
            ),
        )
    return PackageResult(
        package=package(name, version, **pkg),
        status=status,
        reason=reason,
        message="detail" if reason else None,
        verification=verification,
        packument=packument,
    )


def history(name: str, *versions: tuple[str, int, str]) -> Packument:
    """(version, days before NOW, evidence: none|publish|prov|tp) triples."""
    infos = {}
    for version, days, ev in versions:
        infos[version] = VersionInfo(
            version=version,
            published=NOW - timedelta(days=days),
            attestations_advertised=ev != "none",
            provenance_advertised=ev in ("prov", "tp"),
            trusted_publisher=ev == "tp",
        )
    return Packument(name=name, versions=infos)


def policy(text: str) -> Policy:
    return parse_policy("version = 1\n" + text, "test.toml")


def run(text: str, *results: PackageResult, **ctx: Any) -> list[Finding]:
    context = PolicyContext(now=ctx.pop("now", NOW), **ctx)
    return evaluate(policy(text), list(results), context)


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]
