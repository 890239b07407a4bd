"""Orchestration: one bundle (`verify_bundle`) and one package's attestation set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from auditor.models import (
    MAX_ATTESTATIONS_BYTES,
    AttestationInfo,
    Identity,
    Status,
    VerificationResult,
    check_integrity,
)
from auditor.verify import certs, statement, tlog
from auditor.verify._errors import Reject
from auditor.verify._util import PublicKey, from_unix, verify_sig
from auditor.verify.bundle import Bundle, parse_bundle
from auditor.verify.trust import NpmKey, TransparencyLog, TrustMaterial

MAX_ATTESTATIONS = 16
NPM_KEY_USAGE = "npm:attestations"

# Never swallowed; every other exception raised while reading hostile input becomes INVALID
# (pyo3 panics from Rust parsers derive from BaseException, not Exception).
_FATAL = (KeyboardInterrupt, SystemExit, GeneratorExit)

PROVENANCE = "provenance"
PUBLISH = "publish"


@dataclass(frozen=True, slots=True)
class BundleOutcome:
    """A cryptographically verified bundle (role binding, signature, log, key, time).

    The payload is authenticated but not yet interpreted: statement checks and binding to
    the package happen per attestation set.
    """

    bundle: Bundle
    times: tuple[datetime, ...]  # every verified signing time (SET, RFC 3161)
    identity: Identity | None  # from the certificate (provenance only), before 3.11 checks
    config_digest: str | None  # Fulcio .19, for GITHUB_WORKFLOW_SHA
    key_id: str | None  # the npm key (publish only)

    def info(self, predicate_type: str) -> AttestationInfo:
        return AttestationInfo(
            predicate_type=predicate_type,
            bundle_media_type=self.bundle.media_type,
            tlog_kind=self.bundle.tlog.kind,
            log_index=self.bundle.tlog.log_index,
            signed_at=min(self.times),
            key_id=self.key_id,
            latest_at=max(self.times),
        )


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def verify_bundle(obj: Any, role: str, trust: TrustMaterial, label: str) -> BundleOutcome:
    """Verify one bundle in its role ("provenance" needs Fulcio, "publish" the npm key).

    Raises `Reject(code, message)` for bad data, `ValueError` for an unknown role.
    """
    if role not in (PROVENANCE, PUBLISH):
        raise ValueError(f"unknown attestation role {role!r}")
    b = parse_bundle(obj, label)
    signer = bundle_signer(b, role, trust, label)
    signed = pae(b.payload_type, b.payload)
    if not verify_sig(signer.key, b.signature, signed):
        raise Reject("DSSE_SIGNATURE", f"{label}: DSSE signature does not verify with {signer}")
    if b.payload_type != statement.PAYLOAD_TYPE:
        raise Reject(
            "PAYLOAD_TYPE",
            f"{label}: payloadType {b.payload_type[:80]!r}, expected {statement.PAYLOAD_TYPE!r}",
        )
    log = find_log(b, trust, label)
    tlog.check_body(b, signer.der, signer.cert is not None, signer.key, signed, label)
    times = verified_times(b, log, trust, label)
    identity, config_digest = check_signer_at(signer, times, trust, label)
    key_id = signer.npm_key.key_id if signer.npm_key else None
    return BundleOutcome(b, tuple(times), identity, config_digest, key_id)


@dataclass(frozen=True, slots=True)
class Signer:
    """The key a bundle's role requires: a Fulcio leaf (provenance) or an npm key (publish)."""

    key: PublicKey
    der: bytes  # the leaf certificate DER, or the npm key's SPKI DER
    cert: certs.Leaf | None
    npm_key: NpmKey | None
    hint: str | None

    def __str__(self) -> str:
        if self.cert is not None:
            return f"the key of the certificate for {str(self.cert.san)[:160]!r}"
        return f"npm key {self.hint}"


def bundle_signer(b: Bundle, role: str, trust: TrustMaterial, label: str) -> Signer:
    """Role binding: provenance needs a certificate, publish the npm attestation key."""
    if role == PROVENANCE:
        if b.leaf_der is None:
            raise Reject(
                "ROLE_MISMATCH",
                f"{label}: provenance must be signed by a Fulcio certificate, "
                f"got the key hint {str(b.key_hint)[:80]!r}",
            )
        cert = certs.load_leaf(b.leaf_der, label)
        return Signer(cert.key, b.leaf_der, cert, None, None)
    if b.key_hint is None:
        raise Reject(
            "ROLE_MISMATCH",
            f"{label}: publish attestation must be signed by the registry's "
            f"{NPM_KEY_USAGE} key, got a certificate",
        )
    npm_key = trust.npm_key(b.key_hint, NPM_KEY_USAGE)
    if npm_key is None:
        raise Reject(
            "KEY_UNKNOWN",
            f"{label}: no {NPM_KEY_USAGE} key with keyId {b.key_hint[:80]!r}",
            unknown_trust=True,
        )
    if b.sig_keyid and b.sig_keyid != b.key_hint:
        raise Reject(
            "KEY_UNKNOWN",
            f"{label}: DSSE keyid {b.sig_keyid[:80]!r} differs from the key hint "
            f"{b.key_hint[:80]!r}",
        )
    return Signer(npm_key.key, npm_key.spki, None, npm_key, b.key_hint)


def find_log(b: Bundle, trust: TrustMaterial, label: str) -> TransparencyLog:
    log = trust.tlog(b.tlog.log_id)
    if log is None:
        raise Reject(
            "LOG_UNKNOWN",
            f"{label}: transparency log {b.tlog.log_id.hex()[:16]}… is not in the trusted root",
            unknown_trust=True,
        )
    return log


def verified_times(
    b: Bundle, log: TransparencyLog, trust: TrustMaterial, label: str
) -> list[datetime]:
    """SET (Rekor v1), inclusion proof and checkpoint, RFC 3161 timestamps: every verified
    signing time, each inside the log key's validity window."""
    entry = b.tlog
    times: list[datetime] = []
    if log.rekor_v1 and entry.set_signature is not None:
        tlog.verify_set(entry, log, label)
        assert entry.integrated_time is not None
        times.append(from_unix(entry.integrated_time))
    elif b.version == 1:
        raise Reject("SET_INVALID", f"{label}: bundle v0.1 needs a signed entry timestamp")
    if entry.proof is not None and entry.proof.checkpoint is not None:
        tlog.verify_inclusion(entry, entry.proof, label)
        tlog.verify_checkpoint(entry.proof, log, label)
    for i, token in enumerate(b.timestamps):
        times.append(_verify_timestamp(token, b.signature, trust, f"{label}: timestamp {i}"))
    if not times:
        raise Reject(
            "NO_VERIFIED_TIME",
            f"{label}: no verified signing time (no SET from a v1 log, no RFC 3161 timestamp)",
        )
    for when in times:
        if not log.window.contains(when):
            raise Reject(
                "LOG_UNKNOWN",
                f"{label}: log {log.base_url} key valid {log.window}, not at {when.isoformat()}",
            )
    return times


def check_signer_at(
    signer: Signer, times: list[datetime], trust: TrustMaterial, label: str
) -> tuple[Identity | None, str | None]:
    """The signing key was trusted at every verified time: the Fulcio chain and SCT, or
    the npm key's window.  Returns the certificate identity and its .19 digest."""
    if signer.cert is not None:
        ca = certs.verify_chain(signer.cert, times, trust, label)
        certs.verify_sct(signer.cert, ca, trust, label)
        return certs.read_identity(signer.cert, label), certs.extension_text(signer.cert, 19)
    npm_key = signer.npm_key
    assert npm_key is not None
    for when in times:
        if not npm_key.window.contains(when):
            raise Reject(
                "KEY_NOT_VALID_AT_TIME",
                f"{label}: npm key {npm_key.key_id} valid {npm_key.window}, "
                f"signed at {when.isoformat()}",
            )
    return None, None


def _verify_timestamp(token: bytes, signature: bytes, trust: TrustMaterial, label: str) -> datetime:
    """An RFC 3161 token over the signature bytes, from a trusted TSA valid at genTime."""
    from rfc3161_client import VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(token)
        gen_time = response.tst_info.gen_time
    except _FATAL:
        raise
    except BaseException:  # the Rust decoder raises assorted types (even panics) on garbage
        raise Reject("TIMESTAMP_INVALID", f"{label}: not a timestamp response") from None
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=UTC)
    for tsa in trust.tsas:
        if len(tsa.chain) < 2 or not tsa.window.contains(gen_time):
            continue
        builder = (
            VerifierBuilder().tsa_certificate(tsa.chain[0]).add_root_certificate(tsa.chain[-1])
        )
        for middle in tsa.chain[1:-1]:
            builder = builder.add_intermediate_certificate(middle)
        try:
            builder.build().verify_message(response, signature)
        except _FATAL:
            raise
        except BaseException:  # VerificationError, ValueError, or a Rust panic: not verified
            continue
        return gen_time.astimezone(UTC)
    raise Reject(
        "TIMESTAMP_INVALID",
        f"{label}: no trusted timestamp authority verifies it at {gen_time.isoformat()}",
    )


# --- the attestation set --------------------------------------------------------------------


def _classify(response: bytes) -> list[tuple[str, str, Any]]:
    """[(role, outer predicateType, bundle)] from the raw response."""
    try:
        doc = json.loads(response)
    except (ValueError, RecursionError):
        raise Reject("RESPONSE_MALFORMED", "attestations response is not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("attestations"), list):
        raise Reject("RESPONSE_MALFORMED", "attestations response has no 'attestations' array")
    items = doc["attestations"]
    if not items:
        raise Reject("NO_ATTESTATIONS", "attestations response lists no attestation")
    if len(items) > MAX_ATTESTATIONS:
        raise Reject(
            "RESPONSE_MALFORMED",
            f"response lists {len(items)} attestations (max {MAX_ATTESTATIONS})",
        )
    out: list[tuple[str, str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise Reject("RESPONSE_MALFORMED", f"attestations[{i}] is not an object")
        ptype = item.get("predicateType")
        if not isinstance(ptype, str):
            raise Reject("RESPONSE_MALFORMED", f"attestations[{i}] has no predicateType string")
        if ptype == statement.PUBLISH_TYPE:
            role = PUBLISH
        elif ptype in statement.PROVENANCE_TYPES:
            role = PROVENANCE
        else:
            raise Reject(
                "PREDICATE_TYPE", f"attestations[{i}]: unknown predicateType {ptype[:100]!r}"
            )
        if role in seen:
            raise Reject("DUPLICATE_ATTESTATION", f"more than one {role} attestation")
        seen.add(role)
        out.append((role, ptype, item.get("bundle")))
    # Provenance first: its identity is the interesting part of a failure message.
    out.sort(key=lambda t: t[0] != PROVENANCE)
    return out


def _expected_sha512(integrity: str | None) -> str:
    """The one sha512 (hex) npm would accept for the entry, read as npm's ssri reads it.

    An integrity npm would not check, or would check with an algorithm that cannot be bound,
    or that accepts more than one sha512, is refused: binding it would vouch for bytes npm
    may install without matching the attestation.
    """
    check = check_integrity(integrity)
    if check.reason is not None:
        raise Reject(check.reason, f"the lockfile integrity cannot be bound: {check.problem}")
    sha512 = check.sha512
    assert sha512 is not None
    return sha512.hex()


def _verify_set(
    name: str,
    version: str,
    integrity: str | None,
    response: bytes,
    trust: TrustMaterial,
    infos: list[AttestationInfo],
) -> VerificationResult:
    entries = _classify(response)
    expected_purl = statement.purl(name, version)
    identity: Identity | None = None
    outcomes: list[tuple[str, BundleOutcome, statement.Statement]] = []
    for role, outer_type, bundle in entries:
        label = f"{role} bundle"
        outcome = verify_bundle(bundle, role, trust, label)
        st = statement.parse_statement(outcome.bundle.payload, label)
        infos.append(outcome.info(st.predicate_type))
        if st.predicate_type != outer_type:
            raise Reject(
                "PREDICATE_TYPE",
                f"{label}: statement predicateType {st.predicate_type[:100]!r} != "
                f"response predicateType {outer_type[:100]!r}",
            )
        if st.subject_name != expected_purl:
            raise Reject(
                "SUBJECT_NAME",
                f"{label}: subject {st.subject_name[:160]!r}, expected {expected_purl!r}",
            )
        outcomes.append((role, outcome, st))
    sha512 = _expected_sha512(integrity)
    for role, outcome, st in outcomes:
        label = f"{role} bundle"
        if st.sha512 != sha512:
            raise Reject(
                "SUBJECT_DIGEST",
                f"{label}: subject sha512 {st.sha512[:16]}… != lockfile sha512 {sha512[:16]}…",
            )
        if role == PUBLISH:
            statement.check_publish_predicate(st, name, version, label)
        else:
            assert outcome.identity is not None
            identity = statement.check_provenance(
                st, outcome.identity, outcome.config_digest, label
            )
    # Provenance-only sets (no publish attestation recorded) verify: the publish
    # attestation is required "when present" (issue 3); the policy sees the missing key id.
    status = Status.VERIFIED if identity is not None else Status.PUBLISH_ONLY
    return VerificationResult(status=status, identity=identity, attestations=tuple(infos))


def verify_attestations(
    name: str, version: str, integrity: str | None, response: bytes, trust: TrustMaterial
) -> VerificationResult:
    """Verify one package's attestations response and bind it to the lockfile entry.

    Never raises for bad data: every failure is `Status.INVALID` with a reason code, except
    a response over the one size limit, which is `Status.ERROR` FETCH_TOO_LARGE like the
    fetch layer's (too large to judge is undecided, not tampering).
    """
    if len(response) > MAX_ATTESTATIONS_BYTES:
        return VerificationResult(
            Status.ERROR,
            "FETCH_TOO_LARGE",
            f"attestations response of {len(response)} bytes exceeds {MAX_ATTESTATIONS_BYTES}",
        )
    infos: list[AttestationInfo] = []
    try:
        return _verify_set(name, version, integrity, response, trust, infos)
    except Reject as rej:
        return VerificationResult(Status.INVALID, rej.code, rej.message, attestations=tuple(infos))
    except (RecursionError, MemoryError):
        return VerificationResult(
            Status.INVALID,
            "RESPONSE_MALFORMED",
            "response is too deeply nested or too large",
            attestations=tuple(infos),
        )
    except _FATAL:
        raise
    except BaseException as exc:  # hostile input must never escape as a traceback
        return VerificationResult(
            Status.INVALID,
            "BUNDLE_MALFORMED",
            f"unexpected {type(exc).__name__} while verifying: {' '.join(str(exc).split())[:200]}",
            attestations=tuple(infos),
        )
