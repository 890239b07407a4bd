"""Fulcio leaf certificates: chain at the verified time, embedded SCT, signer identity."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, SignatureAlgorithmOID

from auditor.models import GITHUB_ISSUER, Identity
from auditor.verify._errors import Reject
from auditor.verify._util import PublicKey, tbs_slices, verify_sig
from auditor.verify.trust import CertificateAuthority, TrustMaterial

_FULCIO = "1.3.6.1.4.1.57264.1."
_MAX_SCTS = 8
# Fulcio extension OID -> its number in the arc (.1 .. .63); later numbers are not read.
_FULCIO_OIDS = {x509.ObjectIdentifier(f"{_FULCIO}{n}"): n for n in range(1, 64)}

# Extensions a Fulcio leaf may mark critical; any other critical extension fails closed.
_KNOWN_CRITICAL = {
    ExtensionOID.KEY_USAGE,
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.EXTENDED_KEY_USAGE,
}


@dataclass(frozen=True, slots=True)
class Leaf:
    """A Fulcio leaf, with its extensions read in a single pass."""

    cert: x509.Certificate
    key: PublicKey
    tbs: bytes  # the signed TBSCertificate bytes
    issuer_der: bytes
    fulcio: dict[int, bytes]  # Fulcio OID arc .N -> raw extnValue
    san: str | None
    key_usage_ok: bool  # digitalSignature + codeSigning
    is_ca: bool
    unknown_critical: str | None
    scts: tuple[x509.certificate_transparency.SignedCertificateTimestamp, ...]


_RSA_SIG_OIDS = {
    SignatureAlgorithmOID.RSA_WITH_SHA256,
    SignatureAlgorithmOID.RSA_WITH_SHA384,
    SignatureAlgorithmOID.RSA_WITH_SHA512,
}
_ECDSA_SIG_OIDS = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA256,
    SignatureAlgorithmOID.ECDSA_WITH_SHA384,
    SignatureAlgorithmOID.ECDSA_WITH_SHA512,
}


def load_leaf(der: bytes, label: str) -> Leaf:
    try:
        cert = x509.load_der_x509_certificate(der)
        extensions = list(cert.extensions)  # malformed extensions raise here, not later
        raw_key = cert.public_key()
        tbs, issuer_der, _ = tbs_slices(der)
    except UnsupportedAlgorithm:  # a key algorithm cryptography does not know
        raise Reject("UNSUPPORTED_FORMAT", f"{label}: unsupported certificate key type") from None
    except (ValueError, TypeError, x509.DuplicateExtension) as exc:
        raise Reject("CERT_CHAIN", f"{label}: signing certificate is not valid: {exc}") from None
    if not isinstance(raw_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise Reject("UNSUPPORTED_FORMAT", f"{label}: unsupported certificate key type")
    fulcio: dict[int, bytes] = {}
    san = None
    digital = code_signing = is_ca = False
    unknown_critical = None
    scts: tuple[x509.certificate_transparency.SignedCertificateTimestamp, ...] = ()
    for ext in extensions:
        value = ext.value
        kind = type(value)  # exact classes: cryptography never subclasses these
        if kind is x509.UnrecognizedExtension:
            n = _FULCIO_OIDS.get(ext.oid)
            if n is not None:
                fulcio[n] = value.value
        elif kind is x509.KeyUsage:
            digital = value.digital_signature
        elif kind is x509.ExtendedKeyUsage:
            code_signing = ExtendedKeyUsageOID.CODE_SIGNING in value
        elif kind is x509.BasicConstraints:
            is_ca = value.ca
        elif kind is x509.SubjectAlternativeName:
            names = value.get_values_for_type(x509.UniformResourceIdentifier)
            names = names or value.get_values_for_type(x509.RFC822Name)
            san = names[0] if names else None
        elif kind is x509.PrecertificateSignedCertificateTimestamps:
            scts = tuple(value)
        if ext.critical and unknown_critical is None and ext.oid not in _KNOWN_CRITICAL:
            unknown_critical = ext.oid.dotted_string
    return Leaf(
        cert,
        raw_key,
        tbs,
        issuer_der,
        fulcio,
        san,
        digital and code_signing,
        is_ca,
        unknown_critical,
        scts,
    )


def _issued_by(leaf: Leaf, ca: CertificateAuthority) -> bool:
    key, cert = ca.key, leaf.cert
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(cert.signature, leaf.tbs)
            return True
        if isinstance(key, ec.EllipticCurvePublicKey):
            algorithm = cert.signature_hash_algorithm
            if cert.signature_algorithm_oid not in _ECDSA_SIG_OIDS or algorithm is None:
                return False
            key.verify(cert.signature, leaf.tbs, ec.ECDSA(algorithm))
            return True
        if isinstance(key, rsa.RSAPublicKey):  # private Sigstore instances (conformance)
            algorithm = cert.signature_hash_algorithm
            if cert.signature_algorithm_oid not in _RSA_SIG_OIDS or algorithm is None:
                return False
            key.verify(cert.signature, leaf.tbs, padding.PKCS1v15(), algorithm)
            return True
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return False


def _valid_at(cert: x509.Certificate, when: datetime) -> bool:
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


def verify_chain(
    leaf: Leaf, times: list[datetime], trust: TrustMaterial, label: str
) -> CertificateAuthority:
    """Path-validate the leaf at every verified time; returns the issuing CA.

    The CA chains come from the trusted root (checked at load); bundle-supplied CA
    certificates are never used.
    """
    cert = leaf.cert
    if leaf.is_ca:
        raise Reject("CERT_CHAIN", f"{label}: signing certificate is a CA")
    if not leaf.key_usage_ok:
        raise Reject("CERT_CHAIN", f"{label}: leaf is not a code-signing certificate")
    if leaf.unknown_critical:
        raise Reject("CERT_CHAIN", f"{label}: unknown critical extension {leaf.unknown_critical}")
    for when in times:
        if not _valid_at(cert, when):
            raise Reject(
                "CERT_CHAIN",
                f"{label}: certificate valid {cert.not_valid_before_utc.isoformat()} .. "
                f"{cert.not_valid_after_utc.isoformat()}, not at verified time {when.isoformat()}",
            )
    for ca in trust.fulcio:
        if ca.subject_der != leaf.issuer_der:
            continue
        if not all(ca.window.contains(t) for t in times):
            continue
        if not all(_valid_at(c, t) for c in ca.chain for t in times):
            continue
        if _issued_by(leaf, ca):
            return ca
    raise Reject(
        "CERT_CHAIN",
        f"{label}: certificate issued by {cert.issuer.rfc4514_string()[:120]!r} does not "
        f"chain to a trusted Fulcio CA valid at {times[0].isoformat()}",
        unknown_trust=True,
    )


def verify_sct(leaf: Leaf, ca: CertificateAuthority, trust: TrustMaterial, label: str) -> None:
    """At least one embedded precertificate SCT verifies with a CT log valid at its time."""
    cert, scts = leaf.cert, leaf.scts
    if not scts:
        raise Reject("SCT", f"{label}: certificate has no embedded SCT")
    issuer_key_hash = ca.key_hash
    try:
        tbs = cert.tbs_precertificate_bytes
    except ValueError:
        raise Reject("SCT", f"{label}: cannot rebuild the precertificate") from None
    problems = []
    for sct in scts[:_MAX_SCTS]:  # bound the work a hostile certificate can demand
        log = trust.ctlog(sct.log_id)
        if log is None:
            problems.append(f"unknown CT log {sct.log_id.hex()[:16]}")
            continue
        when = sct.timestamp.replace(tzinfo=UTC)
        if not log.window.contains(when):
            problems.append(f"CT log key not valid at {when.isoformat()}")
            continue
        millis = round(when.timestamp() * 1000)
        ext = sct.extension_bytes
        signed = (
            b"\x00\x00"
            + struct.pack(">Q", millis)
            + b"\x00\x01"
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack(">H", len(ext))
            + ext
        )
        if verify_sig(log.key, sct.signature, signed, sct.signature_hash_algorithm):
            return
        problems.append("SCT signature invalid")
    unknown = bool(problems) and all(p.startswith("unknown CT log") for p in problems)
    raise Reject(
        "SCT", f"{label}: no valid SCT ({'; '.join(problems) or 'none'})", unknown_trust=unknown
    )


# --- identity -----------------------------------------------------------------------------


def _der_utf8(raw: bytes) -> str | None:
    """Decode a DER UTF8String (tag 0x0C) as Fulcio writes extensions .8 onwards."""
    if len(raw) < 2 or raw[0] != 0x0C:
        return None
    length, offset = raw[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 3:
            return None
        # A truncated length field fails the end check below (offset > len(raw)).
        length, offset = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    if offset + length != len(raw):
        return None
    try:
        return raw[offset:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_identity(leaf: Leaf, label: str) -> Identity:
    ext = leaf.fulcio

    def raw(n: int) -> str | None:
        if n not in ext:
            return None
        try:
            return ext[n].decode("utf-8")
        except UnicodeDecodeError:
            raise Reject("CERT_IDENTITY", f"{label}: Fulcio extension .{n} is not UTF-8") from None

    def der(n: int) -> str | None:
        if n not in ext:
            return None
        value = _der_utf8(ext[n])
        if value is None:
            raise Reject("CERT_IDENTITY", f"{label}: Fulcio extension .{n} is not a DER UTF8String")
        return value

    def both(new: str | None, old: str | None, name: str) -> str | None:
        if new is not None and old is not None and new != old:
            raise Reject(
                "CERT_IDENTITY", f"{label}: certificate {name} {new!r} != deprecated value {old!r}"
            )
        return new if new is not None else old

    issuer = both(der(8), raw(1), "issuer")
    old_repo = raw(5)
    old_repo_uri = None
    if old_repo is not None and issuer == GITHUB_ISSUER:
        old_repo_uri = "https://github.com/" + old_repo
    return Identity(
        issuer=issuer,
        source_repository=both(der(12), old_repo_uri, "source repository"),
        repository_id=der(15),
        owner_id=der(17),
        owner_uri=der(16),
        ref=both(der(14), raw(6), "ref"),
        commit=both(der(13), raw(3), "commit"),
        workflow=der(18),
        build_signer=der(9),
        runner_environment=der(11),
        trigger=both(der(20), raw(2), "trigger"),
        invocation=der(21),
        visibility=der(22),
        san=leaf.san,
    )


def extension_text(leaf: Leaf, n: int) -> str | None:
    """A DER-encoded Fulcio extension value (.8 onwards) not kept on `Identity` (.10, .19)."""
    raw = leaf.fulcio.get(n)
    return _der_utf8(raw) if raw is not None else None
