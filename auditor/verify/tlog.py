"""Transparency-log checks: SET, Merkle inclusion, checkpoint, and body-to-bundle binding."""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from typing import Any

from auditor.verify._errors import Reject
from auditor.verify._util import PublicKey, b64decode, b64encode, verify_sig
from auditor.verify.bundle import Bundle, InclusionProof, TlogEntry
from auditor.verify.trust import TransparencyLog


def verify_set(entry: TlogEntry, log: TransparencyLog, label: str) -> None:
    """Check the inclusion promise: the log's signature over the canonical entry summary."""
    if entry.set_signature is None or entry.integrated_time is None:
        raise Reject("SET_INVALID", f"{label}: no signed entry timestamp")
    # RFC 8785 for this fixed shape: keys in sorted order, no spaces, integer numbers,
    # and only base64/hex strings (nothing to escape).
    canonical = (
        f'{{"body":"{b64encode(entry.body)}","integratedTime":{entry.integrated_time},'
        f'"logID":"{entry.log_id.hex()}","logIndex":{entry.log_index}}}'
    ).encode()
    if not verify_sig(log.key, entry.set_signature, canonical):
        raise Reject(
            "SET_INVALID",
            f"{label}: signed entry timestamp does not verify with log {log.base_url} "
            f"(logIndex {entry.log_index}, integratedTime {entry.integrated_time})",
        )


def verify_inclusion(entry: TlogEntry, proof: InclusionProof, label: str) -> None:
    """RFC 6962/9162 inclusion of the entry's leaf at `proof.log_index` in `proof.tree_size`."""
    index, size = proof.log_index, proof.tree_size
    if not 0 <= index < size:
        raise Reject("INCLUSION_PROOF", f"{label}: proof index {index} outside tree size {size}")
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    if len(proof.hashes) != inner + border:
        raise Reject(
            "INCLUSION_PROOF",
            f"{label}: proof has {len(proof.hashes)} hashes, expected {inner + border}",
        )
    if any(len(h) != 32 for h in proof.hashes) or len(proof.root_hash) != 32:
        raise Reject("INCLUSION_PROOF", f"{label}: proof hashes must be 32 bytes")
    sha256 = hashlib.sha256
    node = sha256(b"\x00" + entry.body).digest()
    for i, sibling in enumerate(proof.hashes[:inner]):
        if (index >> i) & 1:
            node = sha256(b"\x01" + sibling + node).digest()
        else:
            node = sha256(b"\x01" + node + sibling).digest()
    for sibling in proof.hashes[inner:]:
        node = sha256(b"\x01" + sibling + node).digest()
    if node != proof.root_hash:
        raise Reject(
            "INCLUSION_PROOF",
            f"{label}: inclusion proof leads to root {node.hex()[:16]}…, "
            f"expected {proof.root_hash.hex()[:16]}…",
        )


_MAX_CANDIDATES = 4
_SIG_LINE = re.compile(r"\u2014 (\S+) ([A-Za-z0-9+/=]+)")


def verify_checkpoint(proof: InclusionProof, log: TransparencyLog, label: str) -> None:
    """Check the signed note: origin, size and root match the proof; signed by the log."""
    text = proof.checkpoint or ""  # callers pass proofs with a checkpoint
    split = text.find("\n\n")
    if split < 0:
        raise Reject("CHECKPOINT", f"{label}: checkpoint has no signature block")
    signed, block = text[: split + 1], text[split + 2 :]
    lines = signed.split("\n")[:-1]
    if len(lines) < 3 or not block.endswith("\n"):
        raise Reject("CHECKPOINT", f"{label}: checkpoint is malformed")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    names = {log.host}
    if ":" in log.host:
        names.add(log.host.rsplit(":", 1)[0])
    if log.rekor_v1:
        name, sep, tree_id = origin.partition(" - ")
        origin_ok = bool(sep) and name in names and tree_id.isdigit()
    else:
        origin_ok = origin in names
    if not origin_ok:
        raise Reject(
            "CHECKPOINT", f"{label}: checkpoint origin {origin[:80]!r} is not log {log.host!r}"
        )
    if not re.fullmatch(r"[0-9]{1,20}", size_text) or int(size_text) != proof.tree_size:
        raise Reject(
            "CHECKPOINT",
            f"{label}: checkpoint size {size_text[:24]!r} != proof treeSize {proof.tree_size}",
        )
    root = b64decode(root_text, f"{label}: checkpoint root hash", "CHECKPOINT")
    if root != proof.root_hash:
        raise Reject("CHECKPOINT", f"{label}: checkpoint root hash differs from the proof's")
    # Every signature line must be well formed (the whole note is parsed before any is
    # trusted); then at most _MAX_CANDIDATES lines by this log, with its key hint, are tried.
    candidates: list[bytes] = []
    for line in block[:-1].split("\n"):
        match = _SIG_LINE.fullmatch(line)
        if match is None:
            raise Reject("CHECKPOINT", f"{label}: malformed checkpoint signature line")
        if match.group(1) not in names:
            continue  # witness cosignatures and other logs' lines
        raw = b64decode(match.group(2), f"{label}: checkpoint signature", "CHECKPOINT")
        if len(raw) >= 5 and raw[:4] == log.note_key_id[:4]:
            candidates.append(raw[4:])
    data = signed.encode()
    for sig in candidates[:_MAX_CANDIDATES]:  # bound the work a hostile note can demand
        if verify_sig(log.key, sig, data):
            return
    raise Reject(
        "CHECKPOINT",
        f"{label}: no valid checkpoint signature by {log.host} ({len(candidates)} candidate lines)",
    )


# --- body <-> bundle consistency --------------------------------------------------------


def _b64_pem_matches(value: object, expected_der: bytes, is_cert: bool, label: str) -> bool:
    """base64(PEM) in a v1 log body names the same certificate / SPKI as the bundle."""
    pem = b64decode(value, f"{label}: tlog body public key", "TLOG_BODY_MISMATCH")
    kind = b"CERTIFICATE" if is_cert else b"PUBLIC KEY"
    begin, end = b"-----BEGIN " + kind + b"-----", b"-----END " + kind + b"-----"
    text = pem.strip()
    if not (text.startswith(begin) and text.endswith(end)):
        return False
    inner = b"".join(text[len(begin) : -len(end)].split())
    try:
        return binascii.a2b_base64(inner, strict_mode=True) == expected_der
    except (binascii.Error, ValueError):
        return False


def _mismatch(label: str, what: str) -> Reject:
    return Reject(
        "TLOG_BODY_MISMATCH", f"{label}: tlog entry body {what} does not match the bundle"
    )


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def check_body(
    bundle: Bundle, signer_der: bytes, is_cert: bool, key: PublicKey, pae: bytes, label: str
) -> None:
    """The log entry must describe this envelope's signature, payload and signing key.

    `signer_der` is the leaf certificate DER (is_cert) or the npm key's SPKI DER.
    """
    try:
        body = json.loads(bundle.tlog.body)
    except (ValueError, RecursionError):
        raise Reject("TLOG_BODY_MISMATCH", f"{label}: tlog entry body is not JSON") from None
    if not isinstance(body, dict):
        raise Reject("TLOG_BODY_MISMATCH", f"{label}: tlog entry body is not an object")
    kind = f"{body.get('kind')}/{body.get('apiVersion')}"
    if kind != bundle.tlog.kind:
        raise Reject(
            "TLOG_BODY_MISMATCH",
            f"{label}: tlog body kind {kind[:60]!r} != kindVersion {bundle.tlog.kind!r}",
        )
    spec = body.get("spec")
    if kind == "intoto/0.0.2":
        _check_intoto(spec, bundle, signer_der, is_cert, label)
    elif kind == "dsse/0.0.1":
        _check_dsse_v001(spec, bundle, signer_der, is_cert, label)
    elif kind == "dsse/0.0.2":
        _check_dsse_v002(spec, bundle, signer_der, is_cert, label)
    else:
        _check_hashedrekord_v002(spec, bundle, signer_der, is_cert, key, pae, label)


def _check_intoto(spec: Any, bundle: Bundle, der: bytes, is_cert: bool, label: str) -> None:
    content = _dig(spec, "content")
    envelope = _dig(content, "envelope")
    sigs = _dig(envelope, "signatures")
    if not isinstance(sigs, list) or len(sigs) != 1 or not isinstance(sigs[0], dict):
        raise _mismatch(label, "signature count")
    # Double base64: base64(base64(DER signature)).
    inner = b64decode(sigs[0].get("sig"), f"{label}: tlog body sig", "TLOG_BODY_MISMATCH")
    try:
        sig = b64decode(inner.decode("ascii"), f"{label}: tlog body sig", "TLOG_BODY_MISMATCH")
    except UnicodeDecodeError:
        raise _mismatch(label, "signature") from None
    if sig != bundle.signature:
        raise _mismatch(label, "signature")
    ph = _dig(content, "payloadHash")
    if (
        not isinstance(ph, dict)
        or ph.get("algorithm") != "sha256"
        or ph.get("value") != hashlib.sha256(bundle.payload).hexdigest()
    ):
        raise _mismatch(label, "payloadHash")
    if _dig(envelope, "payloadType") != bundle.payload_type:
        raise _mismatch(label, "payloadType")
    if not _b64_pem_matches(sigs[0].get("publicKey"), der, is_cert, label):
        raise _mismatch(label, "signing key")
    stored = _dig(envelope, "payload")
    if stored is not None:
        # Like `sig`: Rekor base64-encodes the envelope's (base64) payload string again.
        what = f"{label}: tlog body payload"
        inner = b64decode(stored, what, "TLOG_BODY_MISMATCH")
        try:
            payload = b64decode(inner.decode("ascii"), what, "TLOG_BODY_MISMATCH")
        except UnicodeDecodeError:
            raise _mismatch(label, "payload") from None
        if payload != bundle.payload:
            raise _mismatch(label, "payload")


def _check_dsse_v001(spec: Any, bundle: Bundle, der: bytes, is_cert: bool, label: str) -> None:
    ph = _dig(spec, "payloadHash")
    if (
        not isinstance(ph, dict)
        or ph.get("algorithm") != "sha256"
        or ph.get("value") != hashlib.sha256(bundle.payload).hexdigest()
    ):
        raise _mismatch(label, "payloadHash")
    entry = _the_signature(_dig(spec, "signatures"), "signature", bundle, label)
    if not _b64_pem_matches(entry.get("verifier"), der, is_cert, label):
        raise _mismatch(label, "signing key")


def _the_signature(sigs: Any, field: str, bundle: Bundle, label: str) -> dict[str, Any]:
    """The body's only signature entry, whose `field` must be the bundle's signature."""
    if not isinstance(sigs, list) or len(sigs) != 1 or not isinstance(sigs[0], dict):
        raise _mismatch(label, "signature count")
    sig = b64decode(sigs[0].get(field), f"{label}: tlog body signature", "TLOG_BODY_MISMATCH")
    if sig != bundle.signature:
        raise _mismatch(label, "signature")
    return sigs[0]


def _verifier_matches(verifier: Any, der: bytes, is_cert: bool, label: str) -> bool:
    if not isinstance(verifier, dict):
        return False
    field = "x509Certificate" if is_cert else "publicKey"
    raw = _dig(verifier, field, "rawBytes")
    return b64decode(raw, f"{label}: tlog body verifier", "TLOG_BODY_MISMATCH") == der


_HASHES = {"SHA2_256": hashlib.sha256, "SHA2_384": hashlib.sha384, "SHA2_512": hashlib.sha512}


def _check_dsse_v002(spec: Any, bundle: Bundle, der: bytes, is_cert: bool, label: str) -> None:
    v2 = _dig(spec, "dsseV002")
    ph = _dig(v2, "payloadHash")
    if not isinstance(ph, dict) or ph.get("algorithm") != "SHA2_256":
        raise _mismatch(label, "payloadHash algorithm")
    digest = b64decode(ph.get("digest"), f"{label}: tlog body payloadHash", "TLOG_BODY_MISMATCH")
    if digest != hashlib.sha256(bundle.payload).digest():
        raise _mismatch(label, "payloadHash")
    entry = _the_signature(_dig(v2, "signatures"), "content", bundle, label)
    if not _verifier_matches(entry.get("verifier"), der, is_cert, label):
        raise _mismatch(label, "signing key")


def _check_hashedrekord_v002(
    spec: Any, bundle: Bundle, der: bytes, is_cert: bool, key: PublicKey, pae: bytes, label: str
) -> None:
    v2 = _dig(spec, "hashedRekordV002")
    data = _dig(v2, "data")
    algorithm = _dig(data, "algorithm")
    if not isinstance(algorithm, str) or algorithm not in _HASHES:  # a list is unhashable
        raise _mismatch(label, "digest algorithm")
    digest = b64decode(data.get("digest"), f"{label}: tlog body digest", "TLOG_BODY_MISMATCH")
    if digest != _HASHES[algorithm](pae).digest():
        raise _mismatch(label, "digest of the DSSE PAE")
    sig = _dig(v2, "signature")
    if not isinstance(sig, dict):
        raise _mismatch(label, "signature")
    content = b64decode(sig.get("content"), f"{label}: tlog body signature", "TLOG_BODY_MISMATCH")
    if content != bundle.signature:
        raise _mismatch(label, "signature")
    if not _verifier_matches(sig.get("verifier"), der, is_cert, label):
        raise _mismatch(label, "signing key")
