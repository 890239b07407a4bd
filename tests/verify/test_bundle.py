"""`auditor.verify.bundle`: the Sigstore bundle parser, field by field.

Genuine bundles of every shape npm has served (v0.1 with a 3-certificate chain and no proof,
v0.2 with a chain or a `publicKey` hint, v0.3 with `certificate`, Rekor v2 without a SET but with
an RFC 3161 token) must read back exactly what an independent reading of their JSON gives; each
malformed or hostile field, one at a time, must be refused with its exact reason and message
(the field named, the label kept).  `parse_bundle` is called directly: no signature is checked
here, so the tables stay fast under mutation testing; test_tamper.py checks the same bundles end
to end.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from auditor.verify._errors import Reject
from auditor.verify.bundle import Bundle, parse_bundle
from tests.verify.fixtures import ROOT, case

Doc = dict[str, Any]
LABEL = "provenance bundle"
MALFORMED = "BUNDLE_MALFORMED"
V02 = "application/vnd.dev.sigstore.bundle+json;version=0.2"


def _bundles(spec: str) -> list[Doc]:
    return [a["bundle"] for a in case(spec).document()["attestations"]]


def _with(vm_key: str, bundles: list[Doc]) -> Doc:
    return next(b for b in bundles if b["verificationMaterial"].get(vm_key) is not None)


def _genuine() -> dict[str, Doc]:
    gundam = _bundles("gundam-visor@1.0.1")
    playwright = _bundles("@playwright/cli@0.1.1")
    rekor_v2 = json.loads(
        (ROOT / "rekor-v2" / "a.dsse.staging-rekor-v2.txt.sigstore.json").read_text()
    )
    v03_spelled = copy.deepcopy(_with("certificate", playwright))
    v03_spelled["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.3"
    return {
        "v0.1-chain-no-proof": _bundles("sigstore@1.0.0")[0],
        "v0.2-chain": _with("x509CertificateChain", gundam),
        "v0.2-public-key": _with("publicKey", gundam),
        "v0.3-certificate": _with("certificate", playwright),
        "v0.2-public-key-dsse": _with("publicKey", playwright),
        "v0.3-other-spelling": v03_spelled,
        "v0.3-rekor-v2-timestamp": rekor_v2,
    }


GENUINE = _genuine()
VERSIONS = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": 1,
    V02: 2,
    "application/vnd.dev.sigstore.bundle+json;version=0.3": 3,
    "application/vnd.dev.sigstore.bundle.v0.3+json": 3,
}


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _expected(doc: Doc) -> dict[str, Any]:
    """What the bundle says, read independently of the parser (field name -> value)."""
    vm, env = doc["verificationMaterial"], doc["dsseEnvelope"]
    entry = vm["tlogEntries"][0]
    leaf = None
    if vm.get("certificate"):
        leaf = _b64(vm["certificate"]["rawBytes"])
    elif vm.get("x509CertificateChain"):
        leaf = _b64(vm["x509CertificateChain"]["certificates"][0]["rawBytes"])
    proof = entry.get("inclusionProof")
    promise = entry.get("inclusionPromise")
    tvd = vm.get("timestampVerificationData") or {}
    return {
        "media_type": doc["mediaType"],
        "version": VERSIONS[doc["mediaType"]],
        "leaf_der": leaf,
        "key_hint": (vm.get("publicKey") or {}).get("hint"),
        "payload": _b64(env["payload"]),
        "payload_type": env["payloadType"],
        "signature": _b64(env["signatures"][0]["sig"]),
        "sig_keyid": env["signatures"][0].get("keyid") or "",
        "timestamps": tuple(_b64(t["signedTimestamp"]) for t in tvd.get("rfc3161Timestamps", [])),
        "tlog.log_index": int(entry["logIndex"]),
        "tlog.log_id": _b64(entry["logId"]["keyId"]),
        "tlog.kind": f"{entry['kindVersion']['kind']}/{entry['kindVersion']['version']}",
        "tlog.integrated_time": _int(entry.get("integratedTime")),
        "tlog.set_signature": _b64(promise["signedEntryTimestamp"]) if promise else None,
        "tlog.body": _b64(entry["canonicalizedBody"]),
        "tlog.proof": None
        if proof is None
        else (
            int(proof["logIndex"]),
            _b64(proof["rootHash"]),
            int(proof["treeSize"]),
            tuple(_b64(h) for h in proof["hashes"]),
            proof["checkpoint"]["envelope"],
        ),
    }


def _read(b: Bundle) -> dict[str, Any]:
    t, p = b.tlog, b.tlog.proof
    return {
        "media_type": b.media_type,
        "version": b.version,
        "leaf_der": b.leaf_der,
        "key_hint": b.key_hint,
        "payload": b.payload,
        "payload_type": b.payload_type,
        "signature": b.signature,
        "sig_keyid": b.sig_keyid,
        "timestamps": b.timestamps,
        "tlog.log_index": t.log_index,
        "tlog.log_id": t.log_id,
        "tlog.kind": t.kind,
        "tlog.integrated_time": t.integrated_time,
        "tlog.set_signature": t.set_signature,
        "tlog.body": t.body,
        "tlog.proof": None
        if p is None
        else (p.log_index, p.root_hash, p.tree_size, p.hashes, p.checkpoint),
    }


def test_the_genuine_bundles_cover_every_shape() -> None:
    shapes = {(_expected(d)["version"], d["mediaType"]) for d in GENUINE.values()}
    assert {v for v, _ in shapes} == {1, 2, 3} and len(shapes) == 4
    assert any(_expected(d)["timestamps"] for d in GENUINE.values())
    assert any(_expected(d)["tlog.set_signature"] is None for d in GENUINE.values())
    assert any(_expected(d)["tlog.proof"] is None for d in GENUINE.values())


@pytest.mark.parametrize("name", sorted(GENUINE))
def test_genuine_bundle_reads_back_every_field(name: str) -> None:
    doc = GENUINE[name]
    assert _read(parse_bundle(copy.deepcopy(doc), LABEL)) == _expected(doc)


def _vm(b: Doc) -> Doc:
    vm: Doc = b["verificationMaterial"]
    return vm


def _env(b: Doc) -> Doc:
    env: Doc = b["dsseEnvelope"]
    return env


def _entry(b: Doc) -> Doc:
    entry: Doc = _vm(b)["tlogEntries"][0]
    return entry


def _proof(b: Doc) -> Doc:
    proof: Doc = _entry(b)["inclusionProof"]
    return proof


def _set(get: Callable[[Doc], Any], key: str, value: Any) -> Callable[[Doc], None]:
    def edit(b: Doc) -> None:
        get(b)[key] = value

    return edit


def _pop(get: Callable[[Doc], Any], key: str) -> Callable[[Doc], None]:
    def edit(b: Doc) -> None:
        get(b).pop(key)

    return edit


def _chain(b: Doc) -> Doc:
    chain: Doc = _vm(b)["x509CertificateChain"]
    return chain


def _both(*edits: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def edit(b: Doc) -> None:
        for e in edits:
            e(b)

    return edit


def _root(b: Doc) -> Doc:
    return b


def _tvd(b: Doc) -> Doc:
    tvd: Doc = _vm(b)["timestampVerificationData"]
    return tvd


def _dsse_sig(b: Doc) -> Doc:
    sig: Doc = _env(b)["signatures"][0]
    return sig


def _cp(b: Doc) -> Doc:
    cp: Doc = _proof(b)["checkpoint"]
    return cp


GOOD_HASH = base64.b64encode(b"\x11" * 32).decode()
TS = {"signedTimestamp": base64.b64encode(b"token").decode()}
W = f"{LABEL}: tlog entry"  # the tlog entry's messages start with this

# (genuine bundle, edit, reason, the exact message)
REFUSALS: dict[str, tuple[str, Callable[[Doc], None], str, str]] = {
    # the bundle and its media type
    "media type missing": (
        "v0.2-chain",
        _pop(_root, "mediaType"),
        "UNSUPPORTED_FORMAT",
        f"{LABEL}: unsupported bundle mediaType 'NoneType'",
    ),
    "media type a number": (
        "v0.2-chain",
        _set(_root, "mediaType", 2),
        "UNSUPPORTED_FORMAT",
        f"{LABEL}: unsupported bundle mediaType 'int'",
    ),
    "media type unknown, long": (
        "v0.2-chain",
        _set(_root, "mediaType", V02 + "x" * 100),
        "UNSUPPORTED_FORMAT",
        f"{LABEL}: unsupported bundle mediaType {(V02 + 'x' * 100)[:100]!r}",
    ),
    "media type v0.4": (
        "v0.2-chain",
        _set(_root, "mediaType", V02.replace("0.2", "0.4")),
        "UNSUPPORTED_FORMAT",
        f"{LABEL}: unsupported bundle mediaType {V02.replace('0.2', '0.4')!r}",
    ),
    "verificationMaterial missing": (
        "v0.2-chain",
        _pop(_root, "verificationMaterial"),
        MALFORMED,
        f"{LABEL}: missing 'verificationMaterial'",
    ),
    "verificationMaterial a list": (
        "v0.2-chain",
        _set(_root, "verificationMaterial", []),
        MALFORMED,
        f"{LABEL}: 'verificationMaterial' is not an object",
    ),
    "messageSignature": (
        "v0.2-chain",
        _set(_root, "messageSignature", {"signature": GOOD_HASH}),
        "UNSUPPORTED_FORMAT",
        f"{LABEL}: messageSignature bundles are not npm attestations",
    ),
    # key material
    "no key material": (
        "v0.2-chain",
        _pop(_vm, "x509CertificateChain"),
        MALFORMED,
        f"{LABEL}: expected exactly one of publicKey/x509CertificateChain/certificate, got []",
    ),
    "chain and certificate": (
        "v0.2-chain",
        _set(_vm, "certificate", {"rawBytes": GOOD_HASH}),
        MALFORMED,
        f"{LABEL}: expected exactly one of publicKey/x509CertificateChain/certificate, "
        "got ['x509CertificateChain', 'certificate']",
    ),
    "public key and chain": (
        "v0.2-public-key",
        _set(_vm, "x509CertificateChain", {"certificates": []}),
        MALFORMED,
        f"{LABEL}: expected exactly one of publicKey/x509CertificateChain/certificate, "
        "got ['publicKey', 'x509CertificateChain']",
    ),
    "public key and certificate": (
        "v0.3-certificate",
        _set(_vm, "publicKey", {"hint": "abc"}),
        MALFORMED,
        f"{LABEL}: expected exactly one of publicKey/x509CertificateChain/certificate, "
        "got ['publicKey', 'certificate']",
    ),
    "public key a string": (
        "v0.2-public-key",
        _set(_vm, "publicKey", "abc"),
        MALFORMED,
        f"{LABEL}: 'publicKey' is not an object",
    ),
    "hint missing": (
        "v0.2-public-key",
        _set(_vm, "publicKey", {}),
        MALFORMED,
        f"{LABEL}: publicKey: missing 'hint'",
    ),
    "hint a number": (
        "v0.2-public-key",
        _set(_vm, "publicKey", {"hint": 7}),
        MALFORMED,
        f"{LABEL}: publicKey: 'hint' is not a string",
    ),
    "hint empty": (
        "v0.2-public-key",
        _set(_vm, "publicKey", {"hint": ""}),
        MALFORMED,
        f"{LABEL}: publicKey.hint is empty",
    ),
    "certificate in v0.2": (
        "v0.3-certificate",
        _set(_root, "mediaType", V02),
        MALFORMED,
        f"{LABEL}: 'certificate' needs bundle v0.3",
    ),
    "certificate a string": (
        "v0.3-certificate",
        _set(_vm, "certificate", "abc"),
        MALFORMED,
        f"{LABEL}: 'certificate' is not an object",
    ),
    "certificate rawBytes missing": (
        "v0.3-certificate",
        _set(_vm, "certificate", {}),
        MALFORMED,
        f"{LABEL}: certificate.rawBytes is not a base64 string",
    ),
    "certificate rawBytes not base64": (
        "v0.3-certificate",
        _set(_vm, "certificate", {"rawBytes": "MII!"}),
        MALFORMED,
        f"{LABEL}: certificate.rawBytes is not valid base64",
    ),
    "chain in v0.3": (
        "v0.2-chain",
        _set(_root, "mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json"),
        MALFORMED,
        f"{LABEL}: bundle v0.3 must not use x509CertificateChain",
    ),
    "chain a list": (
        "v0.2-chain",
        _set(_vm, "x509CertificateChain", []),
        MALFORMED,
        f"{LABEL}: 'x509CertificateChain' is not an object",
    ),
    "chain certificates an object": (
        "v0.2-chain",
        _set(_chain, "certificates", {}),
        MALFORMED,
        f"{LABEL}: x509CertificateChain: 'certificates' is not an array",
    ),
    "chain of 9": (
        "v0.2-chain",
        _set(_chain, "certificates", [{"rawBytes": GOOD_HASH}] * 9),
        MALFORMED,
        f"{LABEL}: x509CertificateChain: 'certificates' has 9 items (max 8)",
    ),
    "chain empty": (
        "v0.2-chain",
        _set(_chain, "certificates", []),
        MALFORMED,
        f"{LABEL}: empty x509CertificateChain",
    ),
    "chain without certificates": (
        "v0.2-chain",
        _pop(_chain, "certificates"),
        MALFORMED,
        f"{LABEL}: empty x509CertificateChain",
    ),
    "chain leaf a string": (
        "v0.2-chain",
        _set(_chain, "certificates", [GOOD_HASH]),
        MALFORMED,
        f"{LABEL}: empty x509CertificateChain",
    ),
    "chain leaf rawBytes missing": (
        "v0.2-chain",
        _set(_chain, "certificates", [{}, {"rawBytes": GOOD_HASH}]),
        MALFORMED,
        f"{LABEL}: certificate chain leaf is not a base64 string",
    ),
    "chain leaf not base64": (
        "v0.2-chain",
        _set(_chain, "certificates", [{"rawBytes": "MII!"}, {"rawBytes": GOOD_HASH}]),
        MALFORMED,
        f"{LABEL}: certificate chain leaf is not valid base64",
    ),
    # the DSSE envelope
    "envelope missing": (
        "v0.2-chain",
        _pop(_root, "dsseEnvelope"),
        MALFORMED,
        f"{LABEL}: missing 'dsseEnvelope'",
    ),
    "envelope a string": (
        "v0.2-chain",
        _set(_root, "dsseEnvelope", "x"),
        MALFORMED,
        f"{LABEL}: 'dsseEnvelope' is not an object",
    ),
    "payload missing": (
        "v0.2-chain",
        _pop(_env, "payload"),
        MALFORMED,
        f"{LABEL}: dsseEnvelope.payload is not a base64 string",
    ),
    "payload not base64": (
        "v0.2-chain",
        _set(_env, "payload", "e30!"),
        MALFORMED,
        f"{LABEL}: dsseEnvelope.payload is not valid base64",
    ),
    "payloadType missing": (
        "v0.2-chain",
        _pop(_env, "payloadType"),
        MALFORMED,
        f"{LABEL}: dsseEnvelope: missing 'payloadType'",
    ),
    "payloadType a number": (
        "v0.2-chain",
        _set(_env, "payloadType", 1),
        MALFORMED,
        f"{LABEL}: dsseEnvelope: 'payloadType' is not a string",
    ),
    "signatures an object": (
        "v0.2-chain",
        _set(_env, "signatures", {}),
        MALFORMED,
        f"{LABEL}: dsseEnvelope: 'signatures' is not an array",
    ),
    "17 signatures": (
        "v0.2-chain",
        lambda b: _env(b).__setitem__("signatures", _env(b)["signatures"] * 17),
        MALFORMED,
        f"{LABEL}: dsseEnvelope: 'signatures' has 17 items (max 16)",
    ),
    "16 signatures": (
        "v0.2-chain",
        lambda b: _env(b).__setitem__("signatures", _env(b)["signatures"] * 16),
        MALFORMED,
        f"{LABEL}: DSSE envelope has 16 signatures, expected 1",
    ),
    "2 signatures": (
        "v0.2-chain",
        lambda b: _env(b).__setitem__("signatures", _env(b)["signatures"] * 2),
        MALFORMED,
        f"{LABEL}: DSSE envelope has 2 signatures, expected 1",
    ),
    "no signatures": (
        "v0.2-chain",
        _pop(_env, "signatures"),
        MALFORMED,
        f"{LABEL}: DSSE envelope has 0 signatures, expected 1",
    ),
    "signature a string": (
        "v0.2-chain",
        _set(_env, "signatures", [GOOD_HASH]),
        MALFORMED,
        f"{LABEL}: DSSE signature is not an object",
    ),
    "sig missing": (
        "v0.2-chain",
        _pop(_dsse_sig, "sig"),
        MALFORMED,
        f"{LABEL}: DSSE signature is not a base64 string",
    ),
    "sig lenient base64": (
        "v0.2-chain",
        lambda b: _dsse_sig(b).__setitem__("sig", "!*" + _dsse_sig(b)["sig"]),
        MALFORMED,
        f"{LABEL}: DSSE signature is not valid base64",
    ),
    "keyid a number": (
        "v0.2-chain",
        _set(_dsse_sig, "keyid", 0),
        MALFORMED,
        f"{LABEL}: DSSE signature: 'keyid' is not a string",
    ),
    # tlog entries
    "tlogEntries an object": (
        "v0.2-chain",
        _set(_vm, "tlogEntries", {}),
        MALFORMED,
        f"{LABEL}: verificationMaterial: 'tlogEntries' is not an array",
    ),
    "33 tlog entries": (
        "v0.2-chain",
        lambda b: _vm(b).__setitem__("tlogEntries", _vm(b)["tlogEntries"] * 33),
        MALFORMED,
        f"{LABEL}: verificationMaterial: 'tlogEntries' has 33 items (max 32)",
    ),
    "32 tlog entries": (
        "v0.2-chain",
        lambda b: _vm(b).__setitem__("tlogEntries", _vm(b)["tlogEntries"] * 32),
        MALFORMED,
        f"{LABEL}: 32 tlog entries, expected exactly 1",
    ),
    "no tlog entries": (
        "v0.2-chain",
        _pop(_vm, "tlogEntries"),
        MALFORMED,
        f"{LABEL}: 0 tlog entries, expected exactly 1",
    ),
    "tlog entry a list": (
        "v0.2-chain",
        _set(_vm, "tlogEntries", [[]]),
        MALFORMED,
        f"{W} is not an object",
    ),
    "logIndex missing": (
        "v0.2-chain",
        _pop(_entry, "logIndex"),
        MALFORMED,
        f"{W}: missing 'logIndex'",
    ),
    "logIndex not a number": (
        "v0.2-chain",
        _set(_entry, "logIndex", "12a"),
        MALFORMED,
        f"{W}: 'logIndex' is not an integer",
    ),
    "logId missing": (
        "v0.2-chain",
        _pop(_entry, "logId"),
        MALFORMED,
        f"{W}: missing 'logId'",
    ),
    "logId keyId missing": (
        "v0.2-chain",
        _set(_entry, "logId", {}),
        MALFORMED,
        f"{W} logId.keyId is not a base64 string",
    ),
    "logId keyId not base64": (
        "v0.2-chain",
        _set(_entry, "logId", {"keyId": "wNI9!"}),
        MALFORMED,
        f"{W} logId.keyId is not valid base64",
    ),
    "kindVersion missing": (
        "v0.2-chain",
        _pop(_entry, "kindVersion"),
        MALFORMED,
        f"{W}: missing 'kindVersion'",
    ),
    "kind missing": (
        "v0.2-chain",
        _set(_entry, "kindVersion", {"version": "0.0.2"}),
        MALFORMED,
        f"{W}: missing 'kind'",
    ),
    "kind version a number": (
        "v0.2-chain",
        _set(_entry, "kindVersion", {"kind": "intoto", "version": 2}),
        MALFORMED,
        f"{W}: 'version' is not a string",
    ),
    "kind hashedrekord 0.0.1": (
        "v0.2-chain",
        _set(_entry, "kindVersion", {"kind": "hashedrekord", "version": "0.0.1"}),
        "UNSUPPORTED_FORMAT",
        f"{W}: unsupported tlog kind 'hashedrekord/0.0.1'",
    ),
    "kind long": (
        "v0.2-chain",
        _set(_entry, "kindVersion", {"kind": "k" * 70, "version": "0.0.2"}),
        "UNSUPPORTED_FORMAT",
        f"{W}: unsupported tlog kind {'k' * 60!r}",
    ),
    "integratedTime not a number": (
        "v0.2-chain",
        _set(_entry, "integratedTime", "soon"),
        MALFORMED,
        f"{W}: 'integratedTime' is not an integer",
    ),
    "inclusionPromise a string": (
        "v0.2-chain",
        _set(_entry, "inclusionPromise", "x"),
        MALFORMED,
        f"{W}: 'inclusionPromise' is not an object",
    ),
    "SET missing": (
        "v0.2-chain",
        _set(_entry, "inclusionPromise", {}),
        MALFORMED,
        f"{W} signedEntryTimestamp is not a base64 string",
    ),
    "SET not base64": (
        "v0.2-chain",
        _set(_entry, "inclusionPromise", {"signedEntryTimestamp": "ME!"}),
        MALFORMED,
        f"{W} signedEntryTimestamp is not valid base64",
    ),
    "body missing": (
        "v0.2-chain",
        _pop(_entry, "canonicalizedBody"),
        MALFORMED,
        f"{W} canonicalizedBody is not a base64 string",
    ),
    "body not base64": (
        "v0.2-chain",
        _set(_entry, "canonicalizedBody", "ey!"),
        MALFORMED,
        f"{W} canonicalizedBody is not valid base64",
    ),
    # the inclusion proof and its checkpoint
    "proof a list": (
        "v0.2-chain",
        _set(_entry, "inclusionProof", []),
        MALFORMED,
        f"{W}: 'inclusionProof' is not an object",
    ),
    "proof hashes an object": (
        "v0.2-chain",
        _set(_proof, "hashes", {}),
        MALFORMED,
        f"{W} inclusionProof: 'hashes' is not an array",
    ),
    "65 proof hashes": (
        "v0.2-chain",
        _set(_proof, "hashes", [GOOD_HASH] * 65),
        MALFORMED,
        f"{W} inclusionProof: 'hashes' has 65 items (max 64)",
    ),
    "proof hash with stray characters": (
        "v0.2-chain",
        _set(_proof, "hashes", [GOOD_HASH, "!" + GOOD_HASH]),
        MALFORMED,
        f"{W} inclusionProof.hashes[1] is not valid base64",
    ),
    "proof hash a number": (
        "v0.2-chain",
        _set(_proof, "hashes", [GOOD_HASH, GOOD_HASH, 7]),
        MALFORMED,
        f"{W} inclusionProof.hashes[2] is not a base64 string",
    ),
    "proof logIndex missing": (
        "v0.2-chain",
        _pop(_proof, "logIndex"),
        MALFORMED,
        f"{W} inclusionProof: missing 'logIndex'",
    ),
    "proof treeSize negative": (
        "v0.2-chain",
        _set(_proof, "treeSize", -1),
        MALFORMED,
        f"{W} inclusionProof: 'treeSize' is out of range",
    ),
    "proof rootHash missing": (
        "v0.2-chain",
        _pop(_proof, "rootHash"),
        MALFORMED,
        f"{W} inclusionProof.rootHash is not a base64 string",
    ),
    "checkpoint a string": (
        "v0.2-chain",
        _set(_proof, "checkpoint", "x"),
        MALFORMED,
        f"{W}: 'checkpoint' is not an object",
    ),
    "checkpoint envelope missing": (
        "v0.2-chain",
        _set(_proof, "checkpoint", {}),
        MALFORMED,
        f"{W} checkpoint: missing 'envelope'",
    ),
    "checkpoint over 64 KiB": (
        "v0.2-chain",
        _set(_cp, "envelope", "x" * (64 * 1024 + 1)),
        "CHECKPOINT",
        f"{W}: checkpoint is too large",
    ),
    "v0.2 without proof": (
        "v0.2-chain",
        _pop(_entry, "inclusionProof"),
        "INCLUSION_PROOF",
        f"{W}: bundle v0.2 requires an inclusion proof with a checkpoint",
    ),
    "v0.2 without checkpoint": (
        "v0.2-public-key",
        _pop(_proof, "checkpoint"),
        "INCLUSION_PROOF",
        f"{W}: bundle v0.2 requires an inclusion proof with a checkpoint",
    ),
    "v0.3 without proof": (
        "v0.3-certificate",
        _set(_entry, "inclusionProof", None),
        "INCLUSION_PROOF",
        f"{W}: bundle v0.3 requires an inclusion proof with a checkpoint",
    ),
    "v0.3 with a null checkpoint": (
        "v0.3-rekor-v2-timestamp",
        _set(_proof, "checkpoint", None),
        "INCLUSION_PROOF",
        f"{W}: bundle v0.3 requires an inclusion proof with a checkpoint",
    ),
    # RFC 3161 timestamps
    "timestampVerificationData a list": (
        "v0.2-chain",
        _set(_vm, "timestampVerificationData", []),
        MALFORMED,
        f"{LABEL}: 'timestampVerificationData' is not an object",
    ),
    "rfc3161Timestamps an object": (
        "v0.2-chain",
        _set(_tvd, "rfc3161Timestamps", {}),
        MALFORMED,
        f"{LABEL}: 'rfc3161Timestamps' is not an array",
    ),
    "9 timestamps": (
        "v0.2-chain",
        _set(_tvd, "rfc3161Timestamps", [TS] * 9),
        MALFORMED,
        f"{LABEL}: 'rfc3161Timestamps' has 9 items (max 8)",
    ),
    "timestamp a string": (
        "v0.2-chain",
        _set(_tvd, "rfc3161Timestamps", [TS, "token"]),
        MALFORMED,
        f"{LABEL}: rfc3161Timestamps[1] is not an object",
    ),
    "signedTimestamp missing": (
        "v0.2-chain",
        _set(_tvd, "rfc3161Timestamps", [TS, {}]),
        MALFORMED,
        f"{LABEL}: rfc3161Timestamps[1] is not a base64 string",
    ),
    "signedTimestamp not base64": (
        "v0.2-chain",
        _set(_tvd, "rfc3161Timestamps", [TS, TS, {"signedTimestamp": "MI!"}]),
        MALFORMED,
        f"{LABEL}: rfc3161Timestamps[2] is not valid base64",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_malformed_bundle_is_refused_with_its_reason(name: str) -> None:
    base, edit, reason, message = REFUSALS[name]
    doc = copy.deepcopy(GENUINE[base])
    edit(doc)
    with pytest.raises(Reject) as info:
        parse_bundle(doc, LABEL)
    assert (info.value.code, info.value.message) == (reason, message)


def test_bundle_that_is_not_an_object() -> None:
    values: tuple[Any, ...] = ([], "bundle", None, 1)
    for value in values:
        with pytest.raises(Reject) as info:
            parse_bundle(value, LABEL)
        assert (info.value.code, info.value.message) == (
            MALFORMED,
            f"{LABEL}: bundle is not an object",
        )


def _urlsafe_unpadded(value: str) -> str:
    return value.replace("+", "-").replace("/", "_").rstrip("=")


# Accepted variations: (genuine bundle, edit, field -> the value the parser must read)
ACCEPTED: dict[str, tuple[str, Callable[[Doc], None], dict[str, Any]]] = {
    "null key materials are absent": (
        "v0.2-chain",
        _both(_set(_vm, "publicKey", None), _set(_vm, "certificate", None)),
        {},
    ),
    "null messageSignature is absent": ("v0.2-chain", _set(_root, "messageSignature", None), {}),
    "chain of 8, leaf first": (
        "v0.2-chain",
        lambda b: _chain(b).__setitem__(
            "certificates", _chain(b)["certificates"][:1] + [{"rawBytes": GOOD_HASH}] * 7
        ),
        {},
    ),
    "keyid absent": ("v0.2-chain", _pop(_dsse_sig, "keyid"), {"sig_keyid": ""}),
    "keyid null": ("v0.2-chain", _set(_dsse_sig, "keyid", None), {"sig_keyid": ""}),
    "keyid set": ("v0.2-public-key", _set(_dsse_sig, "keyid", "kid"), {"sig_keyid": "kid"}),
    "no timestamp data": ("v0.2-chain", _pop(_vm, "timestampVerificationData"), {}),
    "timestamp data without tokens": ("v0.2-chain", _set(_vm, "timestampVerificationData", {}), {}),
    "8 timestamps": (
        "v0.2-chain",
        _set(_tvd, "rfc3161Timestamps", [TS] * 8),
        {"timestamps": (b"token",) * 8},
    ),
    "v0.2 without a SET": (
        "v0.2-chain",
        _both(_pop(_entry, "inclusionPromise"), _pop(_entry, "integratedTime")),
        {"tlog.set_signature": None, "tlog.integrated_time": None},
    ),
    "numbers for int64 fields": (
        "v0.2-chain",
        _both(_set(_entry, "logIndex", 5), _set(_entry, "integratedTime", 0)),
        {"tlog.log_index": 5, "tlog.integrated_time": 0},
    ),
    "proof index 0": (
        "v0.2-chain",
        _set(_proof, "logIndex", "0"),
        {"tlog.proof": ("index", 0)},
    ),
    "proof tree size 0": (
        "v0.2-chain",
        _set(_proof, "treeSize", 0),
        {"tlog.proof": ("size", 0)},
    ),
    "64 proof hashes, URL-safe and unpadded": (
        "v0.2-chain",
        _set(
            _proof, "hashes", [_urlsafe_unpadded(base64.b64encode(b"\xfb\xff" * 16).decode())] * 64
        ),
        {"tlog.proof": ("hashes", (b"\xfb\xff" * 16,) * 64)},
    ),
    "checkpoint of 64 KiB": (
        "v0.2-chain",
        _set(_cp, "envelope", "x" * (64 * 1024)),
        {"tlog.proof": ("checkpoint", "x" * (64 * 1024))},
    ),
    "v0.1 with a proof without checkpoint": (
        "v0.1-chain-no-proof",
        _set(
            _entry,
            "inclusionProof",
            {"logIndex": "3", "rootHash": GOOD_HASH, "treeSize": "4", "hashes": [GOOD_HASH]},
        ),
        {"tlog.proof": ("checkpoint", None)},
    ),
}

_PROOF_FIELDS = {"index": 0, "root": 1, "size": 2, "hashes": 3, "checkpoint": 4}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_variation_reads_back(name: str) -> None:
    base, edit, changed = ACCEPTED[name]
    doc = copy.deepcopy(GENUINE[base])
    want = _expected(GENUINE[base])
    edit(doc)
    got = _read(parse_bundle(doc, LABEL))
    for field, value in changed.items():
        if field == "tlog.proof":
            where, value = value
            assert got[field][_PROOF_FIELDS[where]] == value
            got[field] = want[field]
        else:
            assert got[field] == value
            got[field] = want[field]
    assert got == want
