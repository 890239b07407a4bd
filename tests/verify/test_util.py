"""Shared primitives of the verifier (mutation testing, issue 13): the signature check every
log, SET, checkpoint and DSSE check goes through (a key it has no scheme for verifies
nothing), and the TBS slicing the CA lookup compares issuers with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from auditor.verify._util import der_element, tbs_slices, verify_sig

DATA = b"signed bytes"


@pytest.mark.parametrize(
    ("curve", "scheme"),
    [
        (ec.SECP256R1(), hashes.SHA256()),
        (ec.SECP384R1(), hashes.SHA384()),
        (ec.SECP521R1(), hashes.SHA512()),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_ecdsa_uses_the_curve_digest(curve: ec.EllipticCurve, scheme: hashes.HashAlgorithm) -> None:
    key = ec.generate_private_key(curve)
    signature = key.sign(DATA, ec.ECDSA(scheme))
    assert verify_sig(key.public_key(), signature, DATA)
    assert not verify_sig(key.public_key(), signature, DATA + b"!")
    assert not verify_sig(key.public_key(), b"garbage", DATA)


def test_a_curve_without_a_scheme_verifies_nothing() -> None:
    """P-224 has no natural digest here: not even its own valid signature verifies."""
    key = ec.generate_private_key(ec.SECP224R1())
    for digest in (hashes.SHA224(), hashes.SHA256()):
        assert not verify_sig(key.public_key(), key.sign(DATA, ec.ECDSA(digest)), DATA)
    assert not verify_sig(key.public_key(), b"garbage", DATA)


def test_ed25519_and_an_explicit_digest() -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    assert verify_sig(ed.public_key(), ed.sign(DATA), DATA)
    assert not verify_sig(ed.public_key(), ed.sign(DATA + b"!"), DATA)
    p256 = ec.generate_private_key(ec.SECP256R1())
    signature = p256.sign(DATA, ec.ECDSA(hashes.SHA384()))
    assert verify_sig(p256.public_key(), signature, DATA, hashes.SHA384())
    assert not verify_sig(p256.public_key(), signature, DATA)


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + body


def _certificates() -> tuple[x509.Certificate, x509.Certificate]:
    """A version-3 certificate without extensions, and the same TBS without its explicit
    version (a version-1 certificate: its signature no longer holds, which slicing ignores)."""
    key = ec.generate_private_key(ec.SECP256R1())
    when = datetime(2024, 1, 1, tzinfo=UTC)
    v3 = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "the subject")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "the issuer")]))
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(when)
        .not_valid_after(when + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = v3.public_bytes(serialization.Encoding.DER)
    _, start, end = der_element(der, 0)
    _, tbs_start, tbs_end = der_element(der, start)
    _, _, version_end = der_element(der, tbs_start)
    assert der[tbs_start] == 0xA0
    tbs = _der(0x30, der[version_end:tbs_end])
    v1 = x509.load_der_x509_certificate(_der(0x30, tbs + der[tbs_end:end]))
    assert v1.version is x509.Version.v1
    return v3, v1


def test_tbs_slices_with_and_without_a_version() -> None:
    """The issuer and subject are the 3rd and 5th fields after the optional [0] version."""
    for cert in _certificates():
        tbs, issuer, subject = tbs_slices(cert.public_bytes(serialization.Encoding.DER))
        assert tbs == cert.tbs_certificate_bytes
        assert issuer == cert.issuer.public_bytes()
        assert subject == cert.subject.public_bytes()


@pytest.mark.parametrize(
    ("data", "pos", "expected"),
    [
        (b"\x05\x00", 0, (0x05, 2, 2)),  # the smallest element, ending the data
        (b"\x30\x03\x02\x01\x07", 0, (0x30, 2, 5)),
        (b"\x30\x03\x02\x01\x07", 2, (0x02, 4, 5)),
        (b"\x04\x81\x80" + b"x" * 128, 0, (0x04, 3, 131)),  # long form, one length byte
        (b"\x04\x81\x00", 0, (0x04, 3, 3)),  # long form, empty value ending the data
        (b"\x04\x82\x01\x00" + b"x" * 256, 0, (0x04, 4, 260)),
        (b"\x04\x84\x00\x00\x00\x01x", 0, (0x04, 6, 7)),  # four length bytes
    ],
)
def test_der_element_reads(data: bytes, pos: int, expected: tuple[int, int, int]) -> None:
    assert der_element(data, pos) == expected


@pytest.mark.parametrize(
    ("data", "pos", "message"),
    [
        (b"", 0, "truncated DER"),
        (b"\x30", 0, "truncated DER"),
        (b"\x05\x00", 1, "truncated DER"),
        (b"\x30\x03\x02\x01", 0, "truncated DER"),
        (b"\x30\x80\x00\x00", 0, "bad DER length"),  # indefinite length
        (b"\x04\x85\x00\x00\x00\x00\x01x", 0, "bad DER length"),  # five length bytes
        (b"\x04\x82\x01", 0, "bad DER length"),  # its length bytes cut
        (b"\x04\x81\x80xx", 0, "truncated DER"),
    ],
)
def test_der_element_refuses(data: bytes, pos: int, message: str) -> None:
    with pytest.raises(ValueError) as info:
        der_element(data, pos)
    assert str(info.value) == message
