"""Every refusal of the bundle parser (bundle.py and the strict JSON readers of _util.py),
each with its exact reason code and message (mutation testing, issue 13): a bundle edited
in one place is refused for that place, with the stable reason the report shows."""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from typing import Any

import pytest

from auditor.verify import Reject
from auditor.verify.bundle import parse_bundle
from tests.support.kit import SigstoreKit

_DELETE = object()
MALFORMED, UNSUPPORTED = "BUNDLE_MALFORMED", "UNSUPPORTED_FORMAT"
TLOG = "verificationMaterial.tlogEntries.0"
PROOF = f"{TLOG}.inclusionProof"
TSA = "verificationMaterial.timestampVerificationData.rfc3161Timestamps"
ENTRY = "b: tlog entry"


@cache
def _bundles() -> dict[str, dict[str, Any]]:
    """One kit bundle per key material: x509CertificateChain (v0.2), certificate (v0.3),
    publicKey (v0.2 publish), and a v0.1 bundle (no inclusion proof needed)."""
    kit = SigstoreKit(seed="bundle-parse", cache_leaf=True)
    out = {}
    for fmt in ("v0.1", "v0.2", "v0.3"):
        doc = json.loads(kit.attestations("a", "1.0.0", hashlib.sha512(b"x").digest(), fmt=fmt))
        out[fmt] = doc["attestations"][0]["bundle"]
        if fmt == "v0.2":
            out["publish"] = doc["attestations"][1]["bundle"]
    return out


def _edit(bundle: Any, path: str, value: Any) -> Any:
    if not path:
        return value
    *parents, last = path.split(".")
    node = bundle
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is _DELETE:
        del node[key]
    else:
        node[key] = value
    return bundle


CASES: list[tuple[str, str, Any, str, str]] = [
    # (base bundle, path, new value, reason, message)
    ("v0.2", "", [], MALFORMED, "b: bundle is not an object"),
    ("v0.2", "mediaType", _DELETE, UNSUPPORTED, "b: unsupported bundle mediaType 'NoneType'"),
    ("v0.2", "mediaType", 7, UNSUPPORTED, "b: unsupported bundle mediaType 'int'"),
    ("v0.2", "mediaType", "m" * 150, UNSUPPORTED, f"b: unsupported bundle mediaType {'m' * 100!r}"),
    ("v0.2", "verificationMaterial", _DELETE, MALFORMED, "b: missing 'verificationMaterial'"),
    ("v0.2", "verificationMaterial", 7, MALFORMED, "b: 'verificationMaterial' is not an object"),
    ("v0.2", "verificationMaterial.x509CertificateChain", _DELETE, MALFORMED,
     "b: expected exactly one of publicKey/x509CertificateChain/certificate, got []"),
    ("v0.2", "verificationMaterial.publicKey", {"hint": "k"}, MALFORMED,
     "b: expected exactly one of publicKey/x509CertificateChain/certificate, "
     "got ['publicKey', 'x509CertificateChain']"),
    ("publish", "verificationMaterial.publicKey.hint", "", MALFORMED, "b: publicKey.hint is empty"),
    ("publish", "verificationMaterial.publicKey.hint", _DELETE, MALFORMED,
     "b: publicKey: missing 'hint'"),
    ("publish", "verificationMaterial.publicKey.hint", 7, MALFORMED,
     "b: publicKey: 'hint' is not a string"),
    ("v0.2", "verificationMaterial.certificate", {"rawBytes": "AAAA"}, MALFORMED,
     "b: expected exactly one of publicKey/x509CertificateChain/certificate, "
     "got ['x509CertificateChain', 'certificate']"),
    ("v0.3", "verificationMaterial.x509CertificateChain", {"certificates": []}, MALFORMED,
     "b: expected exactly one of publicKey/x509CertificateChain/certificate, "
     "got ['x509CertificateChain', 'certificate']"),
    ("v0.3", "mediaType", "application/vnd.dev.sigstore.bundle+json;version=0.2", MALFORMED,
     "b: 'certificate' needs bundle v0.3"),
    ("v0.2", "mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json", MALFORMED,
     "b: bundle v0.3 must not use x509CertificateChain"),
    ("v0.3", "verificationMaterial.certificate.rawBytes", "!", MALFORMED,
     "b: certificate.rawBytes is not valid base64"),
    ("v0.2", "verificationMaterial.x509CertificateChain.certificates", [], MALFORMED,
     "b: empty x509CertificateChain"),
    ("v0.2", "verificationMaterial.x509CertificateChain.certificates", [7], MALFORMED,
     "b: empty x509CertificateChain"),
    ("v0.2", "verificationMaterial.x509CertificateChain.certificates", 7, MALFORMED,
     "b: x509CertificateChain: 'certificates' is not an array"),
    ("v0.2", "verificationMaterial.x509CertificateChain.certificates", [{}] * 9, MALFORMED,
     "b: x509CertificateChain: 'certificates' has 9 items (max 8)"),
    ("v0.2", "verificationMaterial.x509CertificateChain.certificates.0.rawBytes", 7, MALFORMED,
     "b: certificate chain leaf is not a base64 string"),
    ("v0.2", "messageSignature", {}, UNSUPPORTED,
     "b: messageSignature bundles are not npm attestations"),
    ("v0.2", "dsseEnvelope", _DELETE, MALFORMED, "b: missing 'dsseEnvelope'"),
    ("v0.2", "dsseEnvelope.payload", "e30=!", MALFORMED,
     "b: dsseEnvelope.payload is not valid base64"),
    ("v0.2", "dsseEnvelope.payload", "e30AA", MALFORMED,
     "b: dsseEnvelope.payload is not valid base64 (bad length)"),
    ("v0.2", "dsseEnvelope.payloadType", _DELETE, MALFORMED,
     "b: dsseEnvelope: missing 'payloadType'"),
    ("v0.2", "dsseEnvelope.signatures", [], MALFORMED,
     "b: DSSE envelope has 0 signatures, expected 1"),
    ("v0.2", "dsseEnvelope.signatures", [{"sig": ""}] * 2, MALFORMED,
     "b: DSSE envelope has 2 signatures, expected 1"),
    ("v0.2", "dsseEnvelope.signatures", [{}] * 17, MALFORMED,
     "b: dsseEnvelope: 'signatures' has 17 items (max 16)"),
    ("v0.2", "dsseEnvelope.signatures.0", 7, MALFORMED, "b: DSSE signature is not an object"),
    ("v0.2", "dsseEnvelope.signatures.0.sig", _DELETE, MALFORMED,
     "b: DSSE signature is not a base64 string"),
    ("v0.2", "dsseEnvelope.signatures.0.keyid", 7, MALFORMED,
     "b: DSSE signature: 'keyid' is not a string"),
    ("v0.2", "verificationMaterial.tlogEntries", [], MALFORMED,
     "b: 0 tlog entries, expected exactly 1"),
    ("v0.2", "verificationMaterial.tlogEntries", [{}] * 2, MALFORMED,
     "b: 2 tlog entries, expected exactly 1"),
    ("v0.2", "verificationMaterial.tlogEntries", [{}] * 33, MALFORMED,
     "b: verificationMaterial: 'tlogEntries' has 33 items (max 32)"),
    ("v0.2", TLOG, 7, MALFORMED, f"{ENTRY} is not an object"),
    ("v0.2", f"{TLOG}.logIndex", _DELETE, MALFORMED, f"{ENTRY}: missing 'logIndex'"),
    ("v0.2", f"{TLOG}.logIndex", "-1", MALFORMED, f"{ENTRY}: 'logIndex' is not an integer"),
    ("v0.2", f"{TLOG}.logIndex", True, MALFORMED, f"{ENTRY}: 'logIndex' is not an integer"),
    ("v0.2", f"{TLOG}.logIndex", 1.5, MALFORMED, f"{ENTRY}: 'logIndex' is not an integer"),
    ("v0.2", f"{TLOG}.logIndex", "", MALFORMED, f"{ENTRY}: 'logIndex' is not an integer"),
    ("v0.2", f"{TLOG}.logIndex", "1" * 20, MALFORMED, f"{ENTRY}: 'logIndex' is not an integer"),
    ("v0.2", f"{TLOG}.logIndex", "\u0661", MALFORMED, f"{ENTRY}: 'logIndex' is not an integer"),
    ("v0.2", f"{TLOG}.logIndex", str(2**63), MALFORMED, f"{ENTRY}: 'logIndex' is out of range"),
    ("v0.2", f"{TLOG}.logIndex", -1, MALFORMED, f"{ENTRY}: 'logIndex' is out of range"),
    ("v0.2", f"{TLOG}.logId", _DELETE, MALFORMED, f"{ENTRY}: missing 'logId'"),
    ("v0.2", f"{TLOG}.logId.keyId", "!", MALFORMED, f"{ENTRY} logId.keyId is not valid base64"),
    ("v0.2", f"{TLOG}.kindVersion.kind", "rekord", UNSUPPORTED,
     f"{ENTRY}: unsupported tlog kind 'rekord/0.0.2'"),
    ("v0.2", f"{TLOG}.kindVersion.version", "v" * 80, UNSUPPORTED,
     f"{ENTRY}: unsupported tlog kind {('intoto/' + 'v' * 80)[:60]!r}"),
    ("v0.2", f"{TLOG}.kindVersion.kind", _DELETE, MALFORMED, f"{ENTRY}: missing 'kind'"),
    ("v0.2", f"{TLOG}.integratedTime", "soon", MALFORMED,
     f"{ENTRY}: 'integratedTime' is not an integer"),
    ("v0.2", f"{TLOG}.inclusionPromise", 7, MALFORMED,
     f"{ENTRY}: 'inclusionPromise' is not an object"),
    ("v0.2", f"{TLOG}.inclusionPromise.signedEntryTimestamp", "!", MALFORMED,
     f"{ENTRY} signedEntryTimestamp is not valid base64"),
    ("v0.2", f"{TLOG}.canonicalizedBody", _DELETE, MALFORMED,
     f"{ENTRY} canonicalizedBody is not a base64 string"),
    ("v0.2", f"{PROOF}.hashes", ["AAAA"] * 65, MALFORMED,
     f"{ENTRY} inclusionProof: 'hashes' has 65 items (max 64)"),
    ("v0.2", f"{PROOF}.hashes", ["AAAA", "!"], MALFORMED,
     f"{ENTRY} inclusionProof.hashes[1] is not valid base64"),
    ("v0.2", f"{PROOF}.hashes", ["AAAA", 7], MALFORMED,
     f"{ENTRY} inclusionProof.hashes[1] is not a base64 string"),
    ("v0.2", f"{PROOF}.checkpoint.envelope", 7, MALFORMED,
     f"{ENTRY} checkpoint: 'envelope' is not a string"),
    ("v0.2", f"{PROOF}.checkpoint.envelope", "c" * (64 * 1024 + 1), "CHECKPOINT",
     f"{ENTRY}: checkpoint is too large"),
    ("v0.2", f"{PROOF}.logIndex", _DELETE, MALFORMED,
     f"{ENTRY} inclusionProof: missing 'logIndex'"),
    ("v0.2", f"{PROOF}.treeSize", "x", MALFORMED,
     f"{ENTRY} inclusionProof: 'treeSize' is not an integer"),
    ("v0.2", f"{PROOF}.rootHash", "!", MALFORMED,
     f"{ENTRY} inclusionProof.rootHash is not valid base64"),
    ("v0.2", PROOF, _DELETE, "INCLUSION_PROOF",
     f"{ENTRY}: bundle v0.2 requires an inclusion proof with a checkpoint"),
    ("v0.3", f"{PROOF}.checkpoint", _DELETE, "INCLUSION_PROOF",
     f"{ENTRY}: bundle v0.3 requires an inclusion proof with a checkpoint"),
    ("v0.2", "verificationMaterial.timestampVerificationData", 7, MALFORMED,
     "b: 'timestampVerificationData' is not an object"),
    ("v0.2", TSA, [7], MALFORMED, "b: rfc3161Timestamps[0] is not an object"),
    ("v0.2", TSA, [{}] * 9, MALFORMED, "b: 'rfc3161Timestamps' has 9 items (max 8)"),
    ("v0.2", TSA, [{"signedTimestamp": "!"}], MALFORMED,
     "b: rfc3161Timestamps[0] is not valid base64"),
    # At each list's limit the list itself is read; its items decide.
    ("v0.2", "dsseEnvelope.signatures", [{}] * 16, MALFORMED,
     "b: DSSE envelope has 16 signatures, expected 1"),
    ("v0.2", "verificationMaterial.tlogEntries", [{}] * 32, MALFORMED,
     "b: 32 tlog entries, expected exactly 1"),
    ("v0.2", "verificationMaterial.x509CertificateChain.certificates", [{}] * 8, MALFORMED,
     "b: certificate chain leaf is not a base64 string"),
    ("v0.2", TSA, [{}] * 8, MALFORMED, "b: rfc3161Timestamps[0] is not a base64 string"),
]  # fmt: skip


ACCEPTED: list[tuple[str, Any, Any]] = [
    # (path, value, what the parsed bundle holds for it)
    (f"{TLOG}.logIndex", "0", 0),
    (f"{TLOG}.logIndex", 0, 0),
    (f"{TLOG}.logIndex", str(2**63 - 1), 2**63 - 1),
    (f"{TLOG}.logIndex", 2**63 - 1, 2**63 - 1),
    (f"{TLOG}.logIndex", "007", 7),
    (f"{PROOF}.hashes", ["AAAA"] * 64, (b"\0\0\0",) * 64),
    (f"{PROOF}.hashes", ["AA", "_-8="], (b"\0", b"\xff\xef")),  # unpadded, URL alphabet
    (f"{PROOF}.hashes", ["AAA==", "AAX"], (b"\0\0", b"\0\x05")),  # over-padded, unpadded
    (f"{PROOF}.checkpoint.envelope", "c" * (64 * 1024), "c" * (64 * 1024)),
    (f"{TLOG}.inclusionPromise", None, None),
    ("verificationMaterial.timestampVerificationData", None, ()),
]


def _held(bundle: Any, path: str) -> Any:
    parsed = parse_bundle(bundle, "b")
    return {
        "logIndex": parsed.tlog.log_index,
        "hashes": parsed.tlog.proof.hashes if parsed.tlog.proof else None,
        "envelope": parsed.tlog.proof.checkpoint if parsed.tlog.proof else None,
        "inclusionPromise": parsed.tlog.set_signature,
        "timestampVerificationData": parsed.timestamps,
    }[path.rsplit(".", 1)[-1]]


@pytest.mark.parametrize(
    ("path", "value", "held"), ACCEPTED, ids=[str(c[1])[:12] for c in ACCEPTED]
)
def test_accepted_edges(path: str, value: Any, held: Any) -> None:
    """The edges of what the parser takes: int64 bounds as strings or numbers, leading
    zeros, a list at its limit, both base64 alphabets, a checkpoint at its size limit,
    protobuf-JSON null for an optional member."""
    bundle = _edit(copy.deepcopy(_bundles()["v0.2"]), path, value)
    assert _held(bundle, path) == held


@pytest.mark.parametrize(
    ("base", "path", "value", "reason", "message"),
    CASES,
    ids=[f"{c[0]}:{c[1] or 'bundle'}={str(c[2])[:12]}" for c in CASES],
)
def test_refused_bundle_names_its_problem(
    base: str, path: str, value: Any, reason: str, message: str
) -> None:
    bundle = _edit(copy.deepcopy(_bundles()[base]), path, value)
    with pytest.raises(Reject) as info:
        parse_bundle(bundle, "b")
    assert (info.value.code, info.value.message, str(info.value)) == (reason, message, message)
