"""The orchestration's own outcomes (core.py), which the kit's format and tamper matrix does
not pin (mutation survivors of issue 13): the verified times reported, every trusted TSA
tried in turn, an integrated time no date can hold, the signer named in a DSSE failure."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from auditor.models import Status, VerificationResult
from auditor.verify import TrustMaterial, load_trust, verify_attestations
from tests.support.kit import GITHUB, SigstoreKit, Tamper
from tests.verify.fixtures import TRUST

NAME, VERSION = "@acme/widget", "1.2.3"
SHA512 = hashlib.sha512(b"the tarball").digest()
INTEGRITY = "sha512-" + base64.b64encode(SHA512).decode()


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="core-tests", cache_leaf=True)


@pytest.fixture(scope="module")
def kit_trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> TrustMaterial:
    return load_trust(*kit.write_trust(tmp_path_factory.mktemp("trust")))


def _verify(body: bytes, trust: TrustMaterial) -> VerificationResult:
    return verify_attestations(NAME, VERSION, INTEGRITY, body, trust)


@pytest.mark.parametrize("fmt", ["v0.2", "rekor2-dsse"])
def test_verified_times_are_reported_in_utc(
    kit: SigstoreKit, kit_trust: TrustMaterial, fmt: Any
) -> None:
    """Each attestation reports its earliest and latest verified time (the policy reads the
    latest as the acceptance time of a provenance-only set), in UTC itself: from the SET
    (v0.2) or the RFC 3161 token (Rekor v2)."""
    r = _verify(kit.attestations(NAME, VERSION, SHA512, fmt=fmt), kit_trust)
    assert r.status is Status.VERIFIED, r.message
    for info in r.attestations:
        assert info.signed_at is not None and info.latest_at == info.signed_at
        assert info.signed_at.tzinfo is UTC


def _tsa_trust(kit: SigstoreKit, tmp_path: Path, first: dict[str, Any]) -> TrustMaterial:
    root_path, keys_path = kit.write_trust(tmp_path)
    root = json.loads(root_path.read_text())
    root["timestampAuthorities"].insert(0, first)
    root_path.write_text(json.dumps(root))
    return load_trust(root_path, keys_path)


def _expired(tsa: dict[str, Any]) -> dict[str, Any]:
    return {**tsa, "validFor": {"start": "2019-01-01T00:00:00Z", "end": "2019-06-01T00:00:00Z"}}


def _one_certificate(tsa: dict[str, Any]) -> dict[str, Any]:
    chain = tsa["certChain"]["certificates"][:1]
    return {**tsa, "certChain": {"certificates": chain}}


def _sigstore_tsa(tsa: dict[str, Any]) -> dict[str, Any]:
    real = json.loads((TRUST / "trusted_root.json").read_text())["timestampAuthorities"][0]
    return {**real, "validFor": {"start": "2019-01-01T00:00:00Z"}}


@pytest.mark.parametrize("first", [_expired, _one_certificate, _sigstore_tsa])
def test_every_trusted_tsa_is_tried(kit: SigstoreKit, tmp_path: Path, first: Any) -> None:
    """A trusted TSA listed before the one that issued the token, whose window excludes the
    token's time, whose chain is too short, or that did not sign it, is skipped: the token
    still verifies against the next."""
    body = kit.attestations(NAME, VERSION, SHA512, fmt="rekor2-dsse")
    kit_tsa = json.loads(kit.write_trust(tmp_path / "plain")[0].read_text())
    trust = _tsa_trust(kit, tmp_path / "root", first(kit_tsa["timestampAuthorities"][0]))
    assert len(trust.tsas) == 2
    r = _verify(body, trust)
    assert r.status is Status.VERIFIED, r.message


def test_integrated_time_out_of_range(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    """A SET the log really signed over an integratedTime no date can hold is
    BUNDLE_MALFORMED with that time in the message, not an exception."""
    when = 2**62

    def hook(role: str, bundle: dict[str, Any]) -> dict[str, Any]:
        entry = bundle["verificationMaterial"]["tlogEntries"][0]
        body = base64.b64decode(entry["canonicalizedBody"])
        payload = kit.rekor.set_payload(body, when, int(entry["logIndex"]))
        signature = kit.rekor.key.sign(payload, ec.ECDSA(hashes.SHA256()))
        entry["integratedTime"] = str(when)
        entry["inclusionPromise"]["signedEntryTimestamp"] = base64.b64encode(signature).decode()
        return bundle

    body = kit.attestations(NAME, VERSION, SHA512, fmt="v0.2", bundle_hook=hook)
    r = _verify(body, kit_trust)
    assert (r.status, r.reason, r.message) == (
        Status.INVALID,
        "BUNDLE_MALFORMED",
        f"time {when} is out of range",
    )


def test_dsse_failure_names_the_certificate_identity(kit: SigstoreKit, tmp_path: Path) -> None:
    """The message names the signer's SAN, cut at 160 characters."""
    long_repo = "acme/" + "w" * 200
    identity = dataclasses.replace(GITHUB, repository=long_repo)
    body = kit.attestations(NAME, VERSION, SHA512, identity, tamper=Tamper.SIGNATURE)
    r = _verify(body, load_trust(*kit.write_trust(tmp_path)))
    san = f"https://github.com/{long_repo}/.github/workflows/release.yml@refs/tags/v1.0.0"
    assert (r.reason, r.message) == (
        "DSSE_SIGNATURE",
        f"provenance bundle: DSSE signature does not verify with the key of the certificate "
        f"for {san[:160]!r}",
    )
