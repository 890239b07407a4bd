"""Every recorded real response verifies, with the identity listed in index.json."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.models import Status
from auditor.verify import TrustMaterial, verify_attestations
from tests.verify.fixtures import REAL_CASES, RealCase

PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"

# index.json signer keys -> models.Identity fields
_FIELDS = {
    "san": "san",
    "issuer": "issuer",
    "source_repository": "source_repository",
    "repository_id": "repository_id",
    "owner_id": "owner_id",
    "ref": "ref",
    "commit": "commit",
    "build_config": "workflow",
    "runner_environment": "runner_environment",
    "trigger": "trigger",
    "invocation": "invocation",
}


@pytest.mark.parametrize("case", REAL_CASES, ids=lambda c: c.spec)
def test_real_response_verifies(case: RealCase, trust: TrustMaterial) -> None:
    result = verify_attestations(case.name, case.version, case.integrity(), case.response(), trust)
    has_provenance = any(e["predicate_type"] != PUBLISH for e in case.entries)
    expected = Status.VERIFIED if has_provenance else Status.PUBLISH_ONLY
    assert result.status is expected, (result.reason, result.message)
    assert result.reason is None and result.message is None

    assert len(result.attestations) == len(case.entries)
    by_type = {a.predicate_type: a for a in result.attestations}
    for entry in case.entries:
        info = by_type[entry["predicate_type"]]
        assert info.bundle_media_type == entry["media_type"]
        assert info.tlog_kind == entry["tlog_kind"]
        assert info.log_index == int(entry["log_index"])
        assert info.signed_at == datetime.fromtimestamp(int(entry["integrated_time"]), tz=UTC)
        if entry["predicate_type"] == PUBLISH:
            assert info.key_id == entry["signer"]["npm_key"]
        else:
            assert info.key_id is None
            identity = result.identity
            assert identity is not None
            for key, field in _FIELDS.items():
                assert getattr(identity, field) == entry["signer"].get(key), key
            assert identity.build_type
            # gha@v0/@v1 name the npm CLI version, which no certificate vouches for.
            unvouched = identity.build_type.startswith("https://github.com/npm/cli/gha@")
            assert (identity.builder_id is None) == unvouched, identity.builder_id
    if any(e["predicate_type"] == PUBLISH for e in case.entries):
        assert any(a.key_id for a in result.attestations)  # the publish attestation verified
    if not has_provenance:
        assert result.identity is None
    assert result.signed_at == min(a.signed_at for a in result.attestations if a.signed_at)


def test_provenance_only_set_is_verified(trust: TrustMaterial) -> None:
    # sigstore@2.0.0 was recorded without its publish attestation: the publish attestation
    # is checked "when present", so provenance alone verifies (no key id, no registry).
    case = next(c for c in REAL_CASES if c.spec == "sigstore@2.0.0")
    result = verify_attestations(case.name, case.version, case.integrity(), case.response(), trust)
    assert result.status is Status.VERIFIED
    assert all(a.key_id is None for a in result.attestations)


def test_identity_details(trust: TrustMaterial) -> None:
    case = next(c for c in REAL_CASES if c.spec == "gundam-visor@1.0.1")
    result = verify_attestations(case.name, case.version, case.integrity(), case.response(), trust)
    identity = result.identity
    assert identity is not None
    assert identity.build_type == (
        "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
    )
    assert identity.builder_id == "https://github.com/actions/runner/github-hosted"
    assert identity.visibility == "public"
    assert identity.owner_uri == "https://github.com/ramonpetgrave64"
    assert identity.workflow_path == ".github/workflows/npm-publish.yml"
    assert identity.build_signer == identity.san


def test_byob_identity(trust: TrustMaterial) -> None:
    case = next(c for c in REAL_CASES if c.spec == "@laurentsimon/provenance-npm-test@1.0.5")
    result = verify_attestations(case.name, case.version, case.integrity(), case.response(), trust)
    identity = result.identity
    assert identity is not None
    assert identity.build_type == (
        "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"
    )
    assert identity.workflow_path == ".github/workflows/release-slsa3.yml"
    assert identity.build_signer is not None and "delegator_lowperms" in identity.build_signer
