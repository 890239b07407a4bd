"""A test RFC 3161 timestamp authority: just enough DER to mint TimeStampResp tokens.

The token is a CMS SignedData (RFC 5652) over a TSTInfo (RFC 3161) with the signed
attributes a verifier expects: contentType, messageDigest and ESS signingCertificateV2
(RFC 5035).  Shaped like timestamp.sigstore.dev's: P-384 key, ecdsa-with-SHA256, the TSA
certificate embedded, policy 1.3.6.1.4.1.57264.2.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TimestampAuthority"]

SHA256 = "2.16.840.1.101.3.4.2.1"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
SIGNED_DATA = "1.2.840.113549.1.7.2"
TST_INFO = "1.2.840.113549.1.9.16.1.4"
CONTENT_TYPE = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
SIGSTORE_TSA_POLICY = "1.3.6.1.4.1.57264.2"


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(0x31, b"".join(sorted(items)))  # DER: SET OF sorted by encoding


def integer(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True)
    return tlv(0x02, raw)


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.insert(0, 0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(chunk)
    return tlv(0x06, bytes(body))


def octets(data: bytes) -> bytes:
    return tlv(0x04, data)


def explicit(n: int, body: bytes) -> bytes:
    return tlv(0xA0 + n, body)


def generalized_time(when: datetime) -> bytes:
    return tlv(0x18, when.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode())


class TimestampAuthority:
    """A self-signed TSA root and a timestamping leaf (EKU timeStamping, critical)."""

    def __init__(self, root_key: ec.EllipticCurvePrivateKey, leaf_key: ec.EllipticCurvePrivateKey):
        self.root_key = root_key
        self.leaf_key = leaf_key
        start = datetime(2019, 1, 1, tzinfo=UTC)
        end = datetime(2045, 1, 1, tzinfo=UTC)
        org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.test")
        root_name = x509.Name(
            [org, x509.NameAttribute(NameOID.COMMON_NAME, "sigstore-tsa-selfsigned")]
        )
        leaf_name = x509.Name([org, x509.NameAttribute(NameOID.COMMON_NAME, "sigstore-tsa")])
        root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        self.root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(0x7E57_0001)
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(root_ski, False)
            .sign(root_key, hashes.SHA384(), ecdsa_deterministic=True)
        )
        self.leaf = (
            x509.CertificateBuilder()
            .subject_name(leaf_name)
            .issuer_name(root_name)
            .public_key(leaf_key.public_key())
            .serial_number(0x7E57_0002)
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True)
            .sign(root_key, hashes.SHA384(), ecdsa_deterministic=True)
        )
        self._serial = 0x1000

    def timestamp(self, message: bytes, when: datetime) -> bytes:
        """A DER TimeStampResp (status granted) for SHA-256(`message`) at `when`."""
        self._serial += 1
        sha256_alg = seq(oid(SHA256))
        tst_info = seq(
            integer(1),
            oid(SIGSTORE_TSA_POLICY),
            seq(seq(oid(SHA256), b"\x05\x00"), octets(hashlib.sha256(message).digest())),
            integer(self._serial),
            generalized_time(when),
            seq(integer(1)),  # accuracy: 1 second
        )
        leaf_der = self.leaf.public_bytes(serialization.Encoding.DER)
        issuer_der = self.leaf.issuer.public_bytes()
        issuer_serial = seq(seq(explicit(4, issuer_der)), integer(self.leaf.serial_number))
        ess_cert_id = seq(octets(hashlib.sha256(leaf_der).digest()), issuer_serial)
        attributes = [
            seq(oid(CONTENT_TYPE), set_of(oid(TST_INFO))),
            seq(oid(MESSAGE_DIGEST), set_of(octets(hashlib.sha256(tst_info).digest()))),
            seq(oid(SIGNING_CERTIFICATE_V2), set_of(seq(seq(ess_cert_id)))),
        ]
        signed_attrs = set_of(*attributes)  # signed as a SET (tag 0x31) ...
        signature = self.leaf_key.sign(signed_attrs, ec.ECDSA(hashes.SHA256()))
        signer_info = seq(
            integer(1),
            seq(issuer_der, integer(self.leaf.serial_number)),
            sha256_alg,
            b"\xa0" + signed_attrs[1:],  # ... and stored as [0] IMPLICIT
            seq(oid(ECDSA_SHA256)),
            octets(signature),
        )
        signed_data = seq(
            integer(3),
            set_of(sha256_alg),
            seq(oid(TST_INFO), explicit(0, octets(tst_info))),
            explicit(0, leaf_der),  # certificates [0] IMPLICIT SET OF Certificate
            set_of(signer_info),
        )
        token = seq(oid(SIGNED_DATA), explicit(0, signed_data))
        return seq(seq(integer(0)), token)
