"""The DER slicing used on the hot path equals cryptography's own encodings."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from auditor.verify import load_trust
from auditor.verify._util import der_element, tbs_slices
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
