"""The orchestration's own outcomes (core.py), which the kit's format and tamper matrix does
not pin (mutation survivors of issue 13): the verified times reported, every trusted TSA
tried in turn, an integrated time no date can hold, the signer named in a DSSE failure."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from auditor.models import MAX_ATTESTATIONS_BYTES, Status, VerificationResult
from auditor.verify import TrustMaterial, load_trust, statement, verify_attestations, verify_bundle
from auditor.verify.core import pae
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


# --------------------------------------------------------------------------- exact refusals


def _bundle(body: bytes, index: int) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(body)["attestations"][index]["bundle"]
    return bundle


def _subject_sha512(body: bytes) -> str:
    payload = base64.b64decode(_bundle(body, 0)["dsseEnvelope"]["payload"])
    digest: str = json.loads(payload)["subject"][0]["digest"]["sha512"]
    return digest


def _response(attestations: Any) -> bytes:
    return json.dumps({"attestations": attestations}).encode()


def _hooked(role: str, edit: Any) -> Any:
    def hook(hooked_role: str, bundle: dict[str, Any]) -> dict[str, Any]:
        if hooked_role == role:
            edit(bundle["verificationMaterial"], bundle)
        return bundle

    return hook


def _statement(field: str, value: Any) -> Any:
    def hook(role: str, statement: dict[str, Any]) -> dict[str, Any]:
        if role == "provenance":
            statement[field] = value
        return statement

    return hook


def _key_hint(vm: dict[str, Any], bundle: dict[str, Any]) -> None:
    del vm["x509CertificateChain"]
    vm["publicKey"] = {"hint": LONG_HINT}


def _unknown_hint(vm: dict[str, Any], bundle: dict[str, Any]) -> None:
    vm["publicKey"]["hint"] = LONG_HINT


def _other_keyid(vm: dict[str, Any], bundle: dict[str, Any]) -> None:
    bundle["dsseEnvelope"]["signatures"][0]["keyid"] = LONG_HINT


def _outer_v02(body: bytes) -> bytes:
    doc = json.loads(body)
    doc["attestations"][0]["predicateType"] = "https://slsa.dev/provenance/v0.2"
    return json.dumps(doc).encode()


LONG_HINT = "SHA256:" + "h" * 100
HINT = (
    "; the trust material may be out of date: run 'audit trust update' to refresh it "
    "through Sigstore's TUF repository"
)
PROVENANCE_ONE = {"predicateType": "https://slsa.dev/provenance/v1", "bundle": {}}


def test_refusals_of_the_attestation_set_are_exact(
    kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    """Each refusal core.py itself makes, with its reason and its exact message."""

    def mint(**kw: Any) -> bytes:
        return kit.attestations(NAME, VERSION, SHA512, **kw)

    swapped = mint(tamper=Tamper.ROLE_SWAP_PUBLISH_CERT)
    unknown_key = mint(tamper=Tamper.PUBLISH_UNKNOWN_KEY)
    unknown_log = mint(tamper=Tamper.UNKNOWN_LOG)
    other_digest = mint(tamper=Tamper.SUBJECT_DIGEST)
    plain = mint()
    publish_hint = _bundle(plain, 1)["verificationMaterial"]["publicKey"]["hint"]
    entry = _bundle(unknown_log, 0)["verificationMaterial"]["tlogEntries"][0]
    log_id = base64.b64decode(entry["logId"]["keyId"])
    long_type = "https://slsa.dev/provenance/v1" + "x" * 100
    long_name = "pkg:npm/" + "n" * 200 + "@1.2.3"
    long_typed = json.loads(mint(statement_hook=_statement("predicateType", long_type)))
    long_typed["attestations"][0]["predicateType"] = "https://slsa.dev/provenance/v1"
    long_named = mint(
        statement_hook=_statement(
            "subject", [{"name": long_name, "digest": {"sha512": SHA512.hex()}}]
        )
    )
    cases: list[tuple[bytes, str, str]] = [
        (json.dumps(long_typed).encode(), "PREDICATE_TYPE", "provenance bundle: statement "
         f"predicateType {long_type[:100]!r} != response predicateType "
         "'https://slsa.dev/provenance/v1'"),
        (long_named, "SUBJECT_NAME", f"provenance bundle: subject {long_name[:160]!r}, "
         "expected 'pkg:npm/%40acme/widget@1.2.3'"),
        (b"{", "RESPONSE_MALFORMED", "attestations response is not valid JSON"),
        (b"[]", "RESPONSE_MALFORMED", "attestations response has no 'attestations' array"),
        (b'{"attestations": {}}', "RESPONSE_MALFORMED",
         "attestations response has no 'attestations' array"),
        (_response([]), "NO_ATTESTATIONS", "attestations response lists no attestation"),
        (_response([7] * 17), "RESPONSE_MALFORMED", "response lists 17 attestations (max 16)"),
        (_response([7] * 16), "RESPONSE_MALFORMED", "attestations[0] is not an object"),
        (_response([PROVENANCE_ONE, {}]), "RESPONSE_MALFORMED",
         "attestations[1] has no predicateType string"),
        (_response([{"predicateType": "p" * 150}]), "PREDICATE_TYPE",
         f"attestations[0]: unknown predicateType {'p' * 100!r}"),
        (_response([PROVENANCE_ONE, PROVENANCE_ONE]), "DUPLICATE_ATTESTATION",
         "more than one provenance attestation"),
        (swapped, "ROLE_MISMATCH", "publish bundle: publish attestation must be signed by the "
         "registry's npm:attestations key, got a certificate"),
        (mint(bundle_hook=_hooked("provenance", _key_hint)), "ROLE_MISMATCH",
         "provenance bundle: provenance must be signed by a Fulcio certificate, "
         f"got the key hint {LONG_HINT[:80]!r}"),
        (unknown_key, "KEY_UNKNOWN", "publish bundle: no npm:attestations key with keyId "
         f"{_bundle(unknown_key, 1)['verificationMaterial']['publicKey']['hint']!r}{HINT}"),
        (mint(bundle_hook=_hooked("publish", _unknown_hint)), "KEY_UNKNOWN",
         f"publish bundle: no npm:attestations key with keyId {LONG_HINT[:80]!r}{HINT}"),
        (mint(bundle_hook=_hooked("publish", _other_keyid)), "KEY_UNKNOWN",
         f"publish bundle: DSSE keyid {LONG_HINT[:80]!r} differs from the key hint "
         f"{publish_hint[:80]!r}"),
        (mint(tamper=Tamper.SIGNATURE, target="publish"), "DSSE_SIGNATURE",
         f"publish bundle: DSSE signature does not verify with npm key {publish_hint}"),
        (unknown_log, "LOG_UNKNOWN", "provenance bundle: transparency log "
         f"{log_id.hex()[:16]}… is not in the trusted root{HINT}"),
        (mint(fmt="v0.1", tamper=Tamper.SET_MISSING), "SET_INVALID",
         "provenance bundle: bundle v0.1 needs a signed entry timestamp"),
        (mint(tamper=Tamper.SET_MISSING), "NO_VERIFIED_TIME", "provenance bundle: no verified "
         "signing time (no SET from a v1 log, no RFC 3161 timestamp)"),
        (_outer_v02(plain), "PREDICATE_TYPE", "provenance bundle: statement predicateType "
         "'https://slsa.dev/provenance/v1' != response predicateType "
         "'https://slsa.dev/provenance/v0.2'"),
        (mint(tamper=Tamper.SUBJECT_NAME), "SUBJECT_NAME", "provenance bundle: subject "
         "'pkg:npm/%40acme/widget-evil@1.2.3', expected 'pkg:npm/%40acme/widget@1.2.3'"),
        (other_digest, "SUBJECT_DIGEST", "provenance bundle: subject sha512 "
         f"{_subject_sha512(other_digest)[:16]}… != lockfile sha512 {SHA512.hex()[:16]}…"),
    ]  # fmt: skip
    for body, reason, message in cases:
        r = _verify(body, kit_trust)
        assert (r.status, r.reason, r.message) == (Status.INVALID, reason, message)
    r = verify_attestations(NAME, VERSION, None, plain, kit_trust)
    assert (r.reason, r.message) == (
        "MISSING_INTEGRITY",
        "the lockfile integrity cannot be bound: no integrity in the lockfile",
    )


def test_response_size_limit(kit_trust: TrustMaterial) -> None:
    """Over the one size limit is undecided (ERROR), at it the response is judged."""
    at_limit = b" " * MAX_ATTESTATIONS_BYTES
    assert _verify(at_limit, kit_trust).reason == "RESPONSE_MALFORMED"
    r = _verify(at_limit + b" ", kit_trust)
    assert (r.status, r.reason, r.message) == (
        Status.ERROR,
        "FETCH_TOO_LARGE",
        f"attestations response of {MAX_ATTESTATIONS_BYTES + 1} bytes exceeds "
        f"{MAX_ATTESTATIONS_BYTES}",
    )


def test_an_unknown_role_is_a_programming_error(kit_trust: TrustMaterial) -> None:
    with pytest.raises(ValueError, match=r"^unknown attestation role 'x'$"):
        verify_bundle({}, "x", kit_trust, "b")


def _integrated(body: bytes, index: int) -> datetime:
    entry = _bundle(body, index)["verificationMaterial"]["tlogEntries"][0]
    return datetime.fromtimestamp(int(entry["integratedTime"]), tz=UTC)


def test_windows_are_named_in_the_refusal(tmp_path: Path) -> None:
    """KEY_NOT_VALID_AT_TIME and a log key's window name the key or log, the window and the
    verified time."""
    kit = SigstoreKit(seed="core-expiring", npm_key_valid_until=datetime(2024, 1, 1, tzinfo=UTC))
    root_path, keys_path = kit.write_trust(tmp_path)
    trust = load_trust(root_path, keys_path)
    body = kit.attestations(NAME, VERSION, SHA512, tamper=Tamper.PUBLISH_KEY_EXPIRED)
    hint = _bundle(body, 1)["verificationMaterial"]["publicKey"]["hint"]
    key = trust.npm_key(hint, "npm:attestations")
    assert key is not None
    r = _verify(body, trust)
    assert (r.reason, r.message) == (
        "KEY_NOT_VALID_AT_TIME",
        f"publish bundle: npm key {key.key_id} valid {key.window}, "
        f"signed at {_integrated(body, 1).isoformat()}",
    )
    root = json.loads(root_path.read_text())
    for log in root["tlogs"]:
        log["publicKey"]["validFor"]["end"] = "2021-01-01T00:00:00Z"
    root_path.write_text(json.dumps(root))
    trust = load_trust(root_path, keys_path)
    body = kit.attestations(NAME, VERSION, SHA512)
    log = trust.tlogs[0]
    r = _verify(body, trust)
    assert (r.reason, r.message) == (
        "LOG_UNKNOWN",
        f"provenance bundle: log {log.base_url} key valid {log.window}, "
        f"not at {_integrated(body, 0).isoformat()}",
    )


def test_provenance_is_judged_first_whatever_the_response_order(
    kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    """Provenance first: its identity is what a failure message should show, and the
    attestations are reported in that order."""
    doc = json.loads(kit.attestations(NAME, VERSION, SHA512))
    doc["attestations"].reverse()
    assert doc["attestations"][0]["predicateType"].endswith("/publish/v0.1")
    r = _verify(json.dumps(doc).encode(), kit_trust)
    assert r.status is Status.VERIFIED
    assert [a.key_id is None for a in r.attestations] == [True, False]
    both_bad = json.loads(kit.attestations(NAME, VERSION, SHA512, tamper=Tamper.SIGNATURE))
    both_bad["attestations"][1]["bundle"]["dsseEnvelope"]["signatures"][0]["sig"] = "AAAA"
    both_bad["attestations"].reverse()
    r = _verify(json.dumps(both_bad).encode(), kit_trust)
    assert r.reason == "DSSE_SIGNATURE" and (r.message or "").startswith("provenance bundle: ")


@pytest.mark.parametrize(
    ("exc", "reason", "message"),
    [
        (RecursionError(), "RESPONSE_MALFORMED", "response is too deeply nested or too large"),
        (MemoryError(), "RESPONSE_MALFORMED", "response is too deeply nested or too large"),
        (ValueError("bad\n   value"), "BUNDLE_MALFORMED",
         "unexpected ValueError while verifying: bad value"),
        (KeyError("k" * 300), "BUNDLE_MALFORMED",
         "unexpected KeyError while verifying: " + ("'" + "k" * 300)[:200]),
    ],
)  # fmt: skip
def test_an_unexpected_failure_is_invalid_never_a_traceback(
    kit: SigstoreKit,
    kit_trust: TrustMaterial,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    reason: str,
    message: str,
) -> None:
    """Whatever a check raises on hostile input becomes INVALID with a one-line message, and
    the attestations verified so far are still reported (the last check of the set fails
    here, after both bundles verified)."""

    def fail(*args: Any) -> None:
        raise exc

    monkeypatch.setattr(statement, "check_publish_predicate", fail)
    r = _verify(kit.attestations(NAME, VERSION, SHA512), kit_trust)
    assert (r.status, r.reason, r.message) == (Status.INVALID, reason, message)
    assert len(r.attestations) == 2


def test_a_refusal_keeps_the_attestations_verified_before_it(
    kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    r = _verify(kit.attestations(NAME, VERSION, SHA512, tamper=Tamper.SUBJECT_DIGEST), kit_trust)
    assert r.reason == "SUBJECT_DIGEST"
    assert [a.key_id is None for a in r.attestations] == [True, False]


def test_an_interrupt_is_never_swallowed(
    kit: SigstoreKit, kit_trust: TrustMaterial, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(statement, "check_publish_predicate", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _verify(kit.attestations(NAME, VERSION, SHA512), kit_trust)


def test_a_signed_envelope_of_another_payload_type(
    kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    """A DSSE envelope the npm key really signed, over another payloadType, is PAYLOAD_TYPE
    (the signature covers the type, so only the key holder can make one)."""
    doc = json.loads(kit.attestations(NAME, VERSION, SHA512))
    envelope = doc["attestations"][1]["bundle"]["dsseEnvelope"]
    payload_type = "application/json" + "x" * 100
    signed = pae(payload_type, base64.b64decode(envelope["payload"]))
    signature = kit.npm_key.sign(signed, ec.ECDSA(hashes.SHA256()))
    envelope["payloadType"] = payload_type
    envelope["signatures"][0]["sig"] = base64.b64encode(signature).decode()
    r = _verify(json.dumps(doc).encode(), kit_trust)
    assert (r.reason, r.message) == (
        "PAYLOAD_TYPE",
        f"publish bundle: payloadType {payload_type[:80]!r}, "
        "expected 'application/vnd.in-toto+json'",
    )
