"""The signing kit: minted bundles have the real shapes, the crypto is right (checked
independently and through the production verifier), and every tampering fails."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.kit import (
    GITHUB,
    GITLAB,
    PREDICATE_PUBLISH,
    MerkleTree,
    SigstoreKit,
    canonical_json,
    purl,
    ssh_key_id,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SHA = hashlib.sha512(b"a tarball").digest()
SRI = "sha512-" + base64.b64encode(SHA).decode()
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FORMATS = ("v0.1", "v0.2", "v0.3", "v0.3-alt", "rekor2-dsse", "rekor2-hashedrekord")
IDENTITIES = {
    "slsa-v1": GITHUB,
    "gha-v2": replace(GITHUB, builder="gha-v2"),
    "byob": replace(GITHUB, builder="byob"),
    "gitlab": GITLAB,
    "legacy-2023": replace(GITHUB, builder="gha-v2", legacy_only=True, visibility=None),
}


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="kit-tests", npm_key_valid_until=datetime(2030, 1, 1, tzinfo=UTC))


def bundles(body: bytes) -> list[dict[str, Any]]:
    return list(json.loads(body)["attestations"])


def shape(obj: Any) -> Any:
    """Keys and value kinds, recursively (lists by their first element)."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [shape(obj[0])] if obj else []
    return type(obj).__name__


def real_bundle(file: str, index: int) -> dict[str, Any]:
    data = json.loads((FIXTURES / "real" / "attestations" / file).read_text())
    return dict(data["attestations"][index]["bundle"])


# ----------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("fmt", "real_file"),
    [("v0.1", "sigstore@1.0.0.json"), ("v0.2", "gundam-visor@1.0.1.json")],
)
def test_bundle_shapes_match_real_ones(kit: SigstoreKit, fmt: str, real_file: str) -> None:
    minted = bundles(kit.attestations("x", "1.0.0", SHA, GITHUB, fmt=fmt, signed_at=WHEN))
    real = json.loads((FIXTURES / "real" / "attestations" / real_file).read_text())
    real_by_type = {a["predicateType"] == PREDICATE_PUBLISH: a for a in real["attestations"]}
    for entry in minted:
        twin = real_by_type[entry["predicateType"] == PREDICATE_PUBLISH]
        assert shape(entry) == shape(twin)


def test_v03_shape_matches_real(kit: SigstoreKit) -> None:
    minted = bundles(kit.attestations("x", "1.0.0", SHA, GITHUB, fmt="v0.3", signed_at=WHEN))
    real = json.loads(
        (FIXTURES / "real" / "attestations" / "@playwright__cli@0.1.1.json").read_text()
    )
    by_type = {a["predicateType"]: a for a in real["attestations"]}
    for entry in minted:
        key = entry["predicateType"]
        twin = by_type[key if key == PREDICATE_PUBLISH else "https://slsa.dev/provenance/v1"]
        # (newer responses also carry a signedAccessSignatureUrl beside the bundle)
        assert shape(entry["bundle"]) == shape(twin["bundle"])
    assert minted[0]["bundle"]["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    alt = bundles(kit.attestations("x", "1.0.0", SHA, GITHUB, fmt="v0.3-alt"))[0]["bundle"]
    assert alt["mediaType"] == "application/vnd.dev.sigstore.bundle+json;version=0.3"


def test_v01_details(kit: SigstoreKit) -> None:
    prov, pub = bundles(kit.attestations("@s/p", "2.0.0", SHA, GITHUB, fmt="v0.1"))
    vm = prov["bundle"]["verificationMaterial"]
    assert len(vm["x509CertificateChain"]["certificates"]) == 3
    assert vm["tlogEntries"][0]["inclusionProof"] is None
    assert vm["timestampVerificationData"] is None
    assert pub["bundle"]["verificationMaterial"]["publicKey"] == {"hint": kit.npm_key_id}
    assert pub["bundle"]["dsseEnvelope"]["signatures"][0]["keyid"] == kit.npm_key_id
    assert prov["bundle"]["dsseEnvelope"]["signatures"][0]["keyid"] == ""
    stmt = json.loads(base64.b64decode(pub["bundle"]["dsseEnvelope"]["payload"]))
    assert stmt["subject"] == [{"name": "pkg:npm/%40s/p@2.0.0", "digest": {"sha512": SHA.hex()}}]


def test_purl_encodes_only_the_scope_at() -> None:
    assert purl("@trishankatdatadog/supreme-goggles", "1.0.5") == (
        "pkg:npm/%40trishankatdatadog/supreme-goggles@1.0.5"
    )
    assert purl("sigstore", "1.0.0") == "pkg:npm/sigstore@1.0.0"


# ----------------------------------------------------------------------------- crypto


def test_npm_key_id_is_the_ssh_fingerprint() -> None:
    keys = json.loads((FIXTURES / "trust" / "npm-registry-keys.json").read_text())["keys"]
    for entry in keys:
        key = serialization.load_der_public_key(base64.b64decode(entry["publicKey"]["rawBytes"]))
        assert isinstance(key, ec.EllipticCurvePublicKey)
        assert ssh_key_id(key) == entry["keyId"]


def _verify_path(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """Spec section 3.4, written out independently of the kit."""
    h = hashlib.sha256(b"\x00" + leaf).digest()
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    if len(path) != inner + border:
        return False
    for i, p in enumerate(path[:inner]):
        pair = p + h if (index >> i) & 1 else h + p
        h = hashlib.sha256(b"\x01" + pair).digest()
    for p in path[inner:]:
        h = hashlib.sha256(b"\x01" + p + h).digest()
    return h == root


def test_merkle_proofs_verify_for_every_index_and_size() -> None:
    tree = MerkleTree()
    entries = [b"entry %d" % i for i in range(37)]
    for e in entries:
        tree.append(e)
    for size in range(1, 38):
        root = tree.root(size)
        for index in range(size):
            assert _verify_path(entries[index], index, size, tree.proof(index, size), root)


def test_set_checkpoint_and_proof_in_a_minted_bundle(kit: SigstoreKit) -> None:
    bundle = bundles(kit.attestations("x", "1.0.0", SHA, GITHUB, fmt="v0.2"))[0]["bundle"]
    tlog = bundle["verificationMaterial"]["tlogEntries"][0]
    body = base64.b64decode(tlog["canonicalizedBody"])
    rekor_key = kit.rekor.key.public_key()
    log_id = base64.b64decode(tlog["logId"]["keyId"])
    assert (
        log_id
        == hashlib.sha256(
            rekor_key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).digest()
    )
    signed = canonical_json(
        {
            "body": base64.b64encode(body).decode(),
            "integratedTime": int(tlog["integratedTime"]),
            "logID": log_id.hex(),
            "logIndex": int(tlog["logIndex"]),
        }
    )
    assert signed.startswith(b'{"body":"') and b'"integratedTime":' in signed
    rekor_key.verify(
        base64.b64decode(tlog["inclusionPromise"]["signedEntryTimestamp"]),
        signed,
        ec.ECDSA(hashes.SHA256()),
    )
    proof = tlog["inclusionProof"]
    assert int(tlog["logIndex"]) != int(proof["logIndex"])  # global vs shard index
    root = base64.b64decode(proof["rootHash"])
    path = [base64.b64decode(h) for h in proof["hashes"]]
    assert _verify_path(body, int(proof["logIndex"]), int(proof["treeSize"]), path, root)
    note = proof["checkpoint"]["envelope"]
    text, _, sigs = note.partition("\n\n")
    origin, size, root_b64 = text.split("\n")
    assert origin == f"rekor.sigstore.test - {kit.rekor.tree_id}"
    assert (int(size), base64.b64decode(root_b64)) == (int(proof["treeSize"]), root)
    assert sigs.endswith("\n")
    name, blob = sigs.removeprefix("\u2014 ").strip().split(" ")
    raw = base64.b64decode(blob)
    assert name == "rekor.sigstore.test" and raw[:4] == log_id[:4]
    rekor_key.verify(raw[4:], (text + "\n").encode(), ec.ECDSA(hashes.SHA256()))


def test_leaf_certificate_extensions_and_sct(kit: SigstoreKit) -> None:
    _, cert = kit.issue_leaf(GITHUB, WHEN)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(minutes=10)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical and san.value.get_values_for_type(x509.UniformResourceIdentifier) == [
        GITHUB.build_signer
    ]
    ext = {e.oid.dotted_string: e.value for e in cert.extensions}
    raw1 = ext["1.3.6.1.4.1.57264.1.1"]
    assert isinstance(raw1, x509.UnrecognizedExtension)
    assert raw1.value == b"https://token.actions.githubusercontent.com"
    raw12 = ext["1.3.6.1.4.1.57264.1.12"]
    assert isinstance(raw12, x509.UnrecognizedExtension)
    assert raw12.value == b"\x0c" + bytes([len(GITHUB.source_repository)]) + (
        GITHUB.source_repository.encode()
    )
    scts = cert.extensions.get_extension_for_class(
        x509.PrecertificateSignedCertificateTimestamps
    ).value
    (sct,) = list(scts)
    assert sct.log_id == kit.ct_log_id
    issuer_spki = kit.ca.inter.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    tbs = cert.tbs_precertificate_bytes
    signed = (
        b"\x00\x00"
        + struct.pack(">Q", int(sct.timestamp.replace(tzinfo=UTC).timestamp() * 1000))
        + b"\x00\x01"
        + hashlib.sha256(issuer_spki).digest()
        + len(tbs).to_bytes(3, "big")
        + tbs
        + b"\x00\x00"
    )
    ct_public, ca_public = kit.ct_key.public_key(), kit.ca.inter.public_key()
    assert isinstance(ct_public, ec.EllipticCurvePublicKey)
    assert isinstance(ca_public, ec.EllipticCurvePublicKey)
    ct_public.verify(sct.signature, signed, ec.ECDSA(hashes.SHA256()))
    ca_public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA384()))


def test_gitlab_identity_in_certificate(kit: SigstoreKit) -> None:
    _, cert = kit.issue_leaf(GITLAB, WHEN)
    oids = {e.oid.dotted_string for e in cert.extensions}
    assert "1.3.6.1.4.1.57264.1.5" not in oids  # GitHub-only deprecated extensions
    ext = {e.oid.dotted_string: e.value for e in cert.extensions}
    issuer = ext["1.3.6.1.4.1.57264.1.8"]
    assert isinstance(issuer, x509.UnrecognizedExtension)
    assert issuer.value.endswith(b"https://gitlab.com")
    assert (
        GITLAB.build_signer
        == "https://gitlab.com/acme-group/widget//.gitlab-ci.yml@refs/heads/main"
    )


def test_sigstore_python_accepts_v03_provenance(kit: SigstoreKit, tmp_path: Path) -> None:
    """An independent verifier (chain, SCT, SET or TSA, inclusion proof, checkpoint, DSSE)."""
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier, policy

    root, _ = kit.write_trust(tmp_path)
    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(root)))
    for ident, fmt in [(i, "v0.3") for i in IDENTITIES.values()] + [
        (GITHUB, "rekor2-hashedrekord")  # Rekor v2: Ed25519 checkpoint, RFC 3161 timestamp
    ]:
        prov = bundles(kit.attestations("x", "1.0.0", SHA, ident, fmt=fmt))[0]
        bundle = Bundle.from_json(json.dumps(prov["bundle"]))
        pol = policy.Identity(identity=ident.build_signer, issuer=ident.issuer_url)
        if ident.legacy_only:
            pol = policy.UnsafeNoOp()  # type: ignore[assignment]
        payload_type, payload = verifier.verify_dsse(bundle, pol)
        assert payload_type == "application/vnd.in-toto+json"
        assert json.loads(payload)["subject"][0]["digest"]["sha512"] == SHA.hex()


def test_trust_files_written(kit: SigstoreKit, tmp_path: Path) -> None:
    root, keys = kit.write_trust(tmp_path / "t")
    doc = json.loads(root.read_text())
    real = json.loads((FIXTURES / "trust" / "trusted_root.json").read_text())
    assert set(doc) == set(real)
    assert shape(doc["tlogs"][0]) == shape(real["tlogs"][0])
    assert shape(doc["ctlogs"][0]) == shape(real["ctlogs"][-1])
    assert shape(doc["certificateAuthorities"][0]) == shape(real["certificateAuthorities"][-1])
    k = json.loads(keys.read_text())["keys"]
    assert {e["keyUsage"] for e in k} == {"npm:signatures", "npm:attestations"}
    # Mirrors the real key set: a retired key with an end, then the current key, each for
    # both usages, key ids derived the same way (OpenSSH SHA-256 fingerprint).
    assert [e["keyId"] for e in k] == [kit.npm_key_2023_id] * 2 + [kit.npm_key_id] * 2
    real_keys = json.loads((FIXTURES / "trust" / "npm-registry-keys.json").read_text())["keys"]
    assert [e["keyUsage"] for e in k] == [e["keyUsage"] for e in real_keys]
    assert k[0]["publicKey"]["validFor"] == real_keys[0]["publicKey"]["validFor"]
    assert k[1]["publicKey"]["validFor"] == real_keys[1]["publicKey"]["validFor"]


def test_key_ids_derive_like_the_real_registry_keys() -> None:
    """The kit's key id derivation reproduces the real keys' ids from their public keys."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from tests.support.kit import ssh_key_id

    real_keys = json.loads((FIXTURES / "trust" / "npm-registry-keys.json").read_text())["keys"]
    for entry in real_keys:
        key = load_der_public_key(base64.b64decode(entry["publicKey"]["rawBytes"]))
        assert ssh_key_id(key) == entry["keyId"]  # type: ignore[arg-type]


def test_same_seed_same_keys() -> None:
    a, b = SigstoreKit(seed=7), SigstoreKit(seed=7)
    assert a.trusted_root() == b.trusted_root()
    assert a.npm_keys() == b.npm_keys()
    assert SigstoreKit(seed=8).npm_key_id != a.npm_key_id


def test_registry_signature(kit: SigstoreKit) -> None:
    entry = kit.sign_registry(f"x@1.0.0:{SRI}")
    assert entry["keyid"] == kit.npm_key_id
    kit.npm_key.public_key().verify(
        base64.b64decode(entry["sig"]), f"x@1.0.0:{SRI}".encode(), ec.ECDSA(hashes.SHA256())
    )


def test_sha512_forms_accepted(kit: SigstoreKit) -> None:
    for form in (SHA, SHA.hex(), SRI):
        (entry,) = bundles(kit.attestations("x", "1.0.0", form, provenance=False))
        stmt = json.loads(base64.b64decode(entry["bundle"]["dsseEnvelope"]["payload"]))
        assert stmt["subject"][0]["digest"]["sha512"] == SHA.hex()
