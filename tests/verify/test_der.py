"""The DER slicing used on the hot path equals cryptography's own encodings."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from auditor.verify import load_trust
from auditor.verify._util import der_element, tbs_slices
from auditor.verify.certs import _der_utf8
from tests.verify.fixtures import REAL_CASES


def _certs() -> Iterator[bytes]:
    for c in REAL_CASES:
        for att in c.document()["attestations"]:
            vm = att["bundle"]["verificationMaterial"]
            if "certificate" in vm:
                yield base64.b64decode(vm["certificate"]["rawBytes"])
            for cert in (vm.get("x509CertificateChain") or {}).get("certificates", []):
                yield base64.b64decode(cert["rawBytes"])
    trust = load_trust()
    for ca in (*trust.fulcio, *trust.tsas):
        for cert in ca.chain:
            yield cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("der", list(_certs()))
def test_tbs_slices_match_cryptography(der: bytes) -> None:
    cert = x509.load_der_x509_certificate(der)
    tbs, issuer, subject = tbs_slices(der)
    assert tbs == cert.tbs_certificate_bytes
    assert issuer == cert.issuer.public_bytes()
    assert subject == cert.subject.public_bytes()


@pytest.mark.parametrize(
    "data", [b"", b"\x30", b"\x30\x85\x01\x02\x03\x04\x05", b"\x30\x82\x01", b"\x30\x05ab"]
)
def test_der_element_rejects_garbage(data: bytes) -> None:
    with pytest.raises(ValueError):
        der_element(data, 0)


# Fulcio writes extensions .8 onwards as a DER UTF8String (tag 0x0C): each edge of the
# decoder (mutation testing found the tag, the empty value and the length forms unguarded).
@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"\x0c\x00", ""),
        (b"\x0c\x03abc", "abc"),
        (b"\x0c\x81\x80" + b"a" * 128, "a" * 128),
        (b"\x0c\x82\x01\x00" + b"b" * 256, "b" * 256),
        (b"\x0c\x83\x01\x00\x00" + b"c" * 65536, "c" * 65536),
        (b"\x0c\x04\xc3\xa9t\xc3", None),  # not UTF-8
        (b"\x13\x03abc", None),  # PrintableString, not UTF8String
        (b"\x04\x03abc", None),  # OCTET STRING
        (b"\x0c", None),
        (b"", None),
        (b"\x0c\x80abc", None),  # indefinite length (BER, never DER)
        (b"\x0c\x84\x00\x00\x00\x03abc", None),  # four length bytes: beyond any extension
        (b"\x0c\x82\x00", None),  # truncated length
        (b"\x0c\x04abc", None),  # shorter than its length
        (b"\x0c\x02abc", None),  # trailing bytes
    ],
)
def test_der_utf8_string(raw: bytes, text: str | None) -> None:
    assert _der_utf8(raw) == text
