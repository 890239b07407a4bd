"""The signature primitive every log, SET, checkpoint and DSSE check goes through
(_util.verify_sig): a key it has no scheme for verifies nothing (mutation testing, issue 13)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from auditor.verify._util import verify_sig

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
