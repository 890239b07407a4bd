"""Small strict decoders and signature helpers shared by the verifier modules."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from auditor.verify._errors import Reject

# RSA appears only as a CT log key (older Sigstore instances); bundles never use it.
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey

# Protobuf-JSON bytes: std or URL alphabet, padding optional.  Anything else is rejected
# (Python's lenient decoder would silently drop stray characters).
_B64_RE = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}")


def b64decode(value: object, what: str, code: str = "BUNDLE_MALFORMED") -> bytes:
    if not isinstance(value, str):
        raise Reject(code, f"{what} is not a base64 string")
    try:
        # Fast path: canonical padded standard base64 (what npm serves).
        return binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        pass
    if not _B64_RE.fullmatch(value):
        raise Reject(code, f"{what} is not valid base64")
    text = value.rstrip("=").replace("-", "+").replace("_", "/")
    if len(text) % 4 == 1:
        raise Reject(code, f"{what} is not valid base64 (bad length)")
    try:
        return binascii.a2b_base64(text + "=" * (-len(text) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        raise Reject(code, f"{what} is not valid base64") from None


def der_element(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, value start, value end) of the DER element at `pos`.  Raises ValueError."""
    if pos + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return tag, pos, pos + length


def tbs_slices(cert_der: bytes) -> tuple[bytes, bytes, bytes]:
    """(TBSCertificate, issuer Name, subject Name) as the original DER bytes.

    Signatures are over the original TBS bytes, so slicing is exact (and cheaper than
    re-encoding).  Only called on certificates cryptography has already parsed.
    """
    _, start, _ = der_element(cert_der, 0)
    _, tbs_start, tbs_end = der_element(cert_der, start)
    fields: list[tuple[int, int, int]] = []
    pos = tbs_start
    while pos < tbs_end and len(fields) < 7:
        tag, _, end = der_element(cert_der, pos)
        fields.append((tag, pos, end))
        pos = end
    if fields and fields[0][0] == 0xA0:  # explicit [0] version
        fields = fields[1:]
    # serial, signature algorithm, issuer, validity, subject
    if len(fields) < 5:
        raise ValueError("short TBSCertificate")
    issuer, subject = fields[2], fields[4]
    return (
        cert_der[start:tbs_end],
        cert_der[issuer[1] : issuer[2]],
        cert_der[subject[1] : subject[2]],
    )


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def get_obj(parent: dict[str, Any], key: str, what: str, *, required: bool = True) -> Any:
    """A JSON object member; protobuf-JSON `null` counts as absent."""
    value = parent.get(key)
    if value is None:
        if required:
            raise Reject("BUNDLE_MALFORMED", f"{what}: missing {key!r}")
        return None
    if not isinstance(value, dict):
        raise Reject("BUNDLE_MALFORMED", f"{what}: {key!r} is not an object")
    return value


def get_str(parent: dict[str, Any], key: str, what: str, *, required: bool = True) -> Any:
    value = parent.get(key)
    if value is None:
        if required:
            raise Reject("BUNDLE_MALFORMED", f"{what}: missing {key!r}")
        return None
    if not isinstance(value, str):
        raise Reject("BUNDLE_MALFORMED", f"{what}: {key!r} is not a string")
    return value


def get_list(parent: dict[str, Any], key: str, what: str, limit: int) -> list[Any]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Reject("BUNDLE_MALFORMED", f"{what}: {key!r} is not an array")
    if len(value) > limit:
        raise Reject("BUNDLE_MALFORMED", f"{what}: {key!r} has {len(value)} items (max {limit})")
    return value


def get_int64(parent: dict[str, Any], key: str, what: str, *, required: bool = True) -> int | None:
    """An int64 field: protobuf-JSON writes them as decimal strings (numbers also accepted)."""
    value = parent.get(key)
    if value is None:
        if required:
            raise Reject("BUNDLE_MALFORMED", f"{what}: missing {key!r}")
        return None
    if isinstance(value, bool):
        raise Reject("BUNDLE_MALFORMED", f"{what}: {key!r} is not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        raise Reject("BUNDLE_MALFORMED", f"{what}: {key!r} is not an integer")
    if not 0 <= number < 2**63:
        raise Reject("BUNDLE_MALFORMED", f"{what}: {key!r} is out of range")
    return number


def parse_time(value: object, what: str) -> datetime:
    """RFC 3339 timestamp of the trust files (`2021-01-12T11:53:27Z`, fractions allowed)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a timestamp string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{what} has no time zone")
    return parsed.astimezone(UTC)


def from_unix(seconds: int) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise Reject("BUNDLE_MALFORMED", f"time {seconds} is out of range") from None


_ECDSA_BY_SIZE: dict[int, ec.ECDSA] = {
    256: ec.ECDSA(hashes.SHA256()),
    384: ec.ECDSA(hashes.SHA384()),
    521: ec.ECDSA(hashes.SHA512()),
}


def verify_sig(
    key: PublicKey, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm | None = None
) -> bool:
    """True when `signature` over `data` verifies; never raises on garbage signatures.

    Without `algorithm`, ECDSA uses the curve's natural digest (P-256/SHA-256, P-384/SHA-384).
    """
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm or hashes.SHA256())
        elif algorithm is not None:
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            scheme = _ECDSA_BY_SIZE.get(key.curve.key_size)
            if scheme is None:
                return False
            key.verify(signature, data, scheme)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
