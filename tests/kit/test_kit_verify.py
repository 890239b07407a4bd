"""Minted responses through the production verifier (`auditor.verify`): every format and
builder verifies with the kit's trust material, and every tampering is rejected."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor import verify
from tests.kit.test_kit import FORMATS, IDENTITIES, SHA, SRI, WHEN, bundles
from tests.support.kit import GITHUB, PREDICATE_PUBLISH, PROVENANCE_TAMPERS, SigstoreKit, Tamper

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="kit-tests", npm_key_valid_until=datetime(2030, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root, keys = kit.write_trust(tmp_path_factory.mktemp("trust"))
    return verify.load_trust(root, keys)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("who", list(IDENTITIES))
def test_minted_bundles_verify(kit: SigstoreKit, trust: Any, fmt: str, who: str) -> None:
    ident = IDENTITIES[who]
    body = kit.attestations("@acme/widget", "1.0.0", SHA, ident, fmt=fmt, signed_at=WHEN)
    result = verify.verify_attestations("@acme/widget", "1.0.0", SRI, body, trust)
    assert (result.status, result.reason, result.message) == ("verified", None, None)
    assert result.identity is not None
    assert result.identity.source_repository == ident.source_repository
    assert result.identity.issuer == ident.issuer_url
    assert result.signed_at == WHEN


@pytest.mark.parametrize("fmt", FORMATS)
def test_publish_only_verifies(kit: SigstoreKit, trust: Any, fmt: str) -> None:
    body = kit.attestations("plain", "3.1.4", SHA, fmt=fmt, provenance=False)
    result = verify.verify_attestations("plain", "3.1.4", SRI, body, trust)
    assert (result.status, result.reason) == ("publish-only", None)


def test_cached_leaf_still_verifies(trust: Any) -> None:
    fast = SigstoreKit(seed="kit-tests", cache_leaf=True)
    for i in range(3):
        body = fast.attestations(f"p{i}", "1.0.0", SHA, GITHUB, signed_at=WHEN)
        assert verify.verify_attestations(f"p{i}", "1.0.0", SRI, body, trust).status == "verified"


def test_real_trust_rejects_kit_bundles(kit: SigstoreKit) -> None:
    real = verify.load_trust(
        FIXTURES / "trust" / "trusted_root.json", FIXTURES / "trust" / "npm-registry-keys.json"
    )
    body = kit.attestations("x", "1.0.0", SHA, GITHUB)
    assert verify.verify_attestations("x", "1.0.0", SRI, body, real).status == "invalid"


NO_PROOF_IN_V01 = {Tamper.PROOF_HASH, Tamper.PROOF_ROOT, Tamper.CHECKPOINT_SIGNATURE}
REKOR_V1_ONLY = {Tamper.SET, Tamper.SET_MISSING, Tamper.INTEGRATED_TIME}  # Rekor v2: no SET
SET_LEVEL = {Tamper.STRIP_PROVENANCE}


def _applies(tamper: Tamper, fmt: str) -> bool:
    """v0.1 has no proof; Rekor v2 has no SET/integratedTime; only Rekor v2 has a TSA token."""
    if fmt == "v0.1" and tamper in NO_PROOF_IN_V01:
        return False
    if fmt.startswith("rekor2"):
        return tamper not in REKOR_V1_ONLY
    return tamper is not Tamper.TIMESTAMP


TAMPER_CASES = [
    (t, f)
    for f in ("v0.1", "v0.2", "v0.3", "rekor2-dsse", "rekor2-hashedrekord")
    for t in Tamper
    if t not in SET_LEVEL and _applies(t, f)
]


@pytest.mark.parametrize(("tamper", "fmt"), TAMPER_CASES)
def test_each_tampering_fails(kit: SigstoreKit, trust: Any, tamper: Tamper, fmt: str) -> None:
    targets = [True] if tamper in PROVENANCE_TAMPERS else [True, False]
    for provenance in targets:
        body = kit.attestations(
            "@acme/widget",
            "1.0.0",
            SHA,
            GITHUB,
            fmt=fmt,
            tamper=tamper,
            provenance=provenance,
            signed_at=WHEN,
        )
        result = verify.verify_attestations("@acme/widget", "1.0.0", SRI, body, trust)
        assert result.status == "invalid", (tamper, fmt, provenance, result)
        assert result.reason


def test_stripped_provenance_leaves_a_valid_publish_only_set(kit: SigstoreKit, trust: Any) -> None:
    """Stripping is only detectable with the packument flag (policy's provenance-stripped)."""
    body = kit.attestations("x", "1.0.0", SHA, GITHUB, tamper=Tamper.STRIP_PROVENANCE)
    assert [a["predicateType"] for a in bundles(body)] == [PREDICATE_PUBLISH]
    assert verify.verify_attestations("x", "1.0.0", SRI, body, trust).status == "publish-only"


def test_wrong_package_or_tarball_fails(kit: SigstoreKit, trust: Any) -> None:
    body = kit.attestations("x", "1.0.0", SHA, GITHUB)
    other = "sha512-" + base64.b64encode(hashlib.sha512(b"other").digest()).decode()
    assert verify.verify_attestations("x", "1.0.0", other, body, trust).status == "invalid"
    assert verify.verify_attestations("y", "1.0.0", SRI, body, trust).status == "invalid"
    assert verify.verify_attestations("x", "1.0.1", SRI, body, trust).status == "invalid"


def test_checkpoint_size_must_be_the_proof_tree_size(kit: SigstoreKit, trust: Any) -> None:
    """A note the log really signed, with the proof's root but another size: the proof and
    the note describe different trees (nothing else catches it: the proof verifies)."""
    body = kit.attestations("@acme/widget", "1.0.0", SHA, GITHUB, fmt="v0.2", signed_at=WHEN)
    doc = json.loads(body)
    entry = doc["attestations"][0]["bundle"]["verificationMaterial"]["tlogEntries"][0]
    proof = entry["inclusionProof"]
    root = base64.b64decode(proof["rootHash"])
    proof["checkpoint"]["envelope"] = kit.rekor.checkpoint(int(proof["treeSize"]) + 1, root)
    result = verify.verify_attestations(
        "@acme/widget", "1.0.0", SRI, json.dumps(doc).encode(), trust
    )
    assert (result.status, result.reason) == ("invalid", "CHECKPOINT"), result.message
    assert "size" in (result.message or "")
