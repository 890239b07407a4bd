"""A strict, tolerant-where-needed parser for Sigstore bundles as npm serves them.

Accepts bundle v0.1 (`"inclusionProof": null`, 3-certificate chains, `publicKey` hints),
v0.2 and v0.3 (both media type spellings).  Only the fields the verifier interprets are
read; unknown fields are ignored (forward compatibility) but never trusted.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any

from auditor.verify._errors import Reject
from auditor.verify._util import b64decode, get_int64, get_list, get_obj, get_str

MEDIA_TYPES: dict[str, int] = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": 1,
    "application/vnd.dev.sigstore.bundle+json;version=0.2": 2,
    "application/vnd.dev.sigstore.bundle+json;version=0.3": 3,
    "application/vnd.dev.sigstore.bundle.v0.3+json": 3,
}

TLOG_KINDS = frozenset({"intoto/0.0.2", "dsse/0.0.1", "hashedrekord/0.0.2", "dsse/0.0.2"})

_MAX_PROOF_HASHES = 64  # a 2^64-leaf tree needs at most 64
_MAX_TIMESTAMPS = 8
_MAX_CHAIN = 8


@dataclass(frozen=True, slots=True)
class InclusionProof:
    log_index: int  # index inside the shard's tree
    root_hash: bytes
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str | None


@dataclass(frozen=True, slots=True)
class TlogEntry:
    log_index: int  # global index (what the SET signs)
    log_id: bytes
    kind: str  # "intoto/0.0.2"
    integrated_time: int | None
    set_signature: bytes | None
    proof: InclusionProof | None
    body: bytes


@dataclass(frozen=True, slots=True)
class Bundle:
    media_type: str
    version: int  # minor bundle version: 1, 2, 3
    leaf_der: bytes | None  # Fulcio leaf (x509CertificateChain[0] or certificate)
    key_hint: str | None  # publicKey.hint
    payload: bytes
    payload_type: str
    signature: bytes
    sig_keyid: str
    tlog: TlogEntry
    timestamps: tuple[bytes, ...]


def parse_bundle(obj: Any, label: str) -> Bundle:
    """Parse one bundle (already JSON-decoded).  Raises `Reject` with a precise message."""
    if not isinstance(obj, dict):
        raise Reject("BUNDLE_MALFORMED", f"{label}: bundle is not an object")
    media_type = obj.get("mediaType")
    if not isinstance(media_type, str) or media_type not in MEDIA_TYPES:
        shown = media_type[:100] if isinstance(media_type, str) else type(media_type).__name__
        raise Reject("UNSUPPORTED_FORMAT", f"{label}: unsupported bundle mediaType {shown!r}")
    version = MEDIA_TYPES[media_type]
    vm = get_obj(obj, "verificationMaterial", label)

    leaf_der, key_hint = key_material(vm, version, label)
    if obj.get("messageSignature") is not None:
        raise Reject(
            "UNSUPPORTED_FORMAT", f"{label}: messageSignature bundles are not npm attestations"
        )
    env = get_obj(obj, "dsseEnvelope", label)
    payload = b64decode(env.get("payload"), f"{label}: dsseEnvelope.payload")
    payload_type = get_str(env, "payloadType", f"{label}: dsseEnvelope")
    sigs = get_list(env, "signatures", f"{label}: dsseEnvelope", 16)
    if len(sigs) != 1:
        raise Reject(
            "BUNDLE_MALFORMED", f"{label}: DSSE envelope has {len(sigs)} signatures, expected 1"
        )
    if not isinstance(sigs[0], dict):
        raise Reject("BUNDLE_MALFORMED", f"{label}: DSSE signature is not an object")
    signature = b64decode(sigs[0].get("sig"), f"{label}: DSSE signature")
    sig_keyid = get_str(sigs[0], "keyid", f"{label}: DSSE signature", required=False) or ""

    entries = get_list(vm, "tlogEntries", f"{label}: verificationMaterial", 32)
    if len(entries) != 1:
        raise Reject(
            "BUNDLE_MALFORMED", f"{label}: {len(entries)} tlog entries, expected exactly 1"
        )
    tlog = tlog_entry(entries[0], version, label)

    timestamps = parse_timestamps(vm, label)
    return Bundle(
        media_type=media_type,
        version=version,
        leaf_der=leaf_der,
        key_hint=key_hint,
        payload=payload,
        payload_type=payload_type,
        signature=signature,
        sig_keyid=sig_keyid,
        tlog=tlog,
        timestamps=timestamps,
    )


def parse_timestamps(vm: dict[str, Any], label: str) -> tuple[bytes, ...]:
    """The RFC 3161 tokens of `verificationMaterial.timestampVerificationData`."""
    timestamps: list[bytes] = []
    tvd = get_obj(vm, "timestampVerificationData", label, required=False)
    if tvd is not None:
        for i, ts in enumerate(get_list(tvd, "rfc3161Timestamps", label, _MAX_TIMESTAMPS)):
            if not isinstance(ts, dict):
                raise Reject(
                    "BUNDLE_MALFORMED", f"{label}: rfc3161Timestamps[{i}] is not an object"
                )
            timestamps.append(
                b64decode(ts.get("signedTimestamp"), f"{label}: rfc3161Timestamps[{i}]")
            )
    return tuple(timestamps)


def key_material(vm: dict[str, Any], version: int, label: str) -> tuple[bytes | None, str | None]:
    present = [
        k for k in ("publicKey", "x509CertificateChain", "certificate") if vm.get(k) is not None
    ]
    if len(present) != 1:
        raise Reject(
            "BUNDLE_MALFORMED",
            f"{label}: expected exactly one of publicKey/x509CertificateChain/certificate, "
            f"got {present}",
        )
    kind = present[0]
    if kind == "publicKey":
        pk = get_obj(vm, "publicKey", label)
        hint = get_str(pk, "hint", f"{label}: publicKey")
        if not hint:
            raise Reject("BUNDLE_MALFORMED", f"{label}: publicKey.hint is empty")
        return None, hint
    if kind == "certificate":
        if version < 3:
            raise Reject("BUNDLE_MALFORMED", f"{label}: 'certificate' needs bundle v0.3")
        cert = get_obj(vm, "certificate", label)
        return b64decode(cert.get("rawBytes"), f"{label}: certificate.rawBytes"), None
    if version >= 3:
        raise Reject("BUNDLE_MALFORMED", f"{label}: bundle v0.3 must not use x509CertificateChain")
    chain = get_obj(vm, "x509CertificateChain", label)
    certs = get_list(chain, "certificates", f"{label}: x509CertificateChain", _MAX_CHAIN)
    if not certs or not isinstance(certs[0], dict):
        raise Reject("BUNDLE_MALFORMED", f"{label}: empty x509CertificateChain")
    # Only the leaf is used: bundle-supplied CA certificates never become anchors.
    return b64decode(certs[0].get("rawBytes"), f"{label}: certificate chain leaf"), None


def _decode_all(values: list[Any], what: str) -> tuple[bytes, ...]:
    try:  # fast path: canonical base64 strings (the hot loop of every bundle)
        return tuple(binascii.a2b_base64(v, strict_mode=True) for v in values)
    except (binascii.Error, ValueError, TypeError):
        return tuple(b64decode(v, f"{what}[{i}]") for i, v in enumerate(values))


def tlog_entry(entry: Any, version: int, label: str) -> TlogEntry:
    what = f"{label}: tlog entry"
    if not isinstance(entry, dict):
        raise Reject("BUNDLE_MALFORMED", f"{what} is not an object")
    log_index = get_int64(entry, "logIndex", what)
    log_id = b64decode(get_obj(entry, "logId", what).get("keyId"), f"{what} logId.keyId")
    kv = get_obj(entry, "kindVersion", what)
    kind = f"{get_str(kv, 'kind', what)}/{get_str(kv, 'version', what)}"
    if kind not in TLOG_KINDS:
        raise Reject("UNSUPPORTED_FORMAT", f"{what}: unsupported tlog kind {kind[:60]!r}")
    integrated = get_int64(entry, "integratedTime", what, required=False)
    promise = get_obj(entry, "inclusionPromise", what, required=False)
    set_sig = None
    if promise is not None:
        set_sig = b64decode(promise.get("signedEntryTimestamp"), f"{what} signedEntryTimestamp")
    body = b64decode(entry.get("canonicalizedBody"), f"{what} canonicalizedBody")
    proof = None
    p = get_obj(entry, "inclusionProof", what, required=False)
    if p is not None:
        raw_hashes = get_list(p, "hashes", f"{what} inclusionProof", _MAX_PROOF_HASHES)
        hashes = _decode_all(raw_hashes, f"{what} inclusionProof.hashes")
        cp = get_obj(p, "checkpoint", what, required=False)
        checkpoint = get_str(cp, "envelope", f"{what} checkpoint") if cp is not None else None
        if checkpoint is not None and len(checkpoint) > 64 * 1024:
            raise Reject("CHECKPOINT", f"{what}: checkpoint is too large")
        proof = InclusionProof(
            log_index=get_int64(p, "logIndex", f"{what} inclusionProof") or 0,
            root_hash=b64decode(p.get("rootHash"), f"{what} inclusionProof.rootHash"),
            tree_size=get_int64(p, "treeSize", f"{what} inclusionProof") or 0,
            hashes=hashes,
            checkpoint=checkpoint,
        )
    if version >= 2 and (proof is None or proof.checkpoint is None):
        raise Reject(
            "INCLUSION_PROOF",
            f"{what}: bundle v0.{version} requires an inclusion proof with a checkpoint",
        )
    assert log_index is not None
    return TlogEntry(
        log_index=log_index,
        log_id=log_id,
        kind=kind,
        integrated_time=integrated,
        set_signature=set_sig,
        proof=proof,
        body=body,
    )
