"""Fulcio leaf checks attacked directly.  A leaf naming a trusted CA as its issuer chains
only when that CA's key signed it, for every key type a trusted root may hold (ECDSA;
Ed25519 and RSA for private instances; any other type never chains), whatever algorithm
the forger signed with.  Of several embedded SCTs one valid one suffices (each failure is
named), verified with the hash it names; the out-of-date-trust hint only when every SCT came
from a log the trust does not know."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from auditor.verify import TrustMaterial, load_trust
from auditor.verify._errors import OUT_OF_DATE_HINT, Reject
from auditor.verify.certs import Leaf, load_leaf, verify_chain, verify_sct
from tests.support.kit import GITHUB, SCT_LIST_OID, SigstoreKit, b64, der_octets, spki_der

SignerKey = (
    ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | rsa.RSAPrivateKey
)
WHEN = datetime(2030, 1, 1, tzinfo=UTC)
KEYS: dict[str, SignerKey] = {
    "ecdsa": ec.generate_private_key(ec.SECP384R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate(),
    "rsa": rsa.generate_private_key(65537, 2048),
    "ed448": ed448.Ed448PrivateKey.generate(),
    # the forger's own keys of each type
    "other-ecdsa": ec.generate_private_key(ec.SECP384R1()),
    "other-ed25519": ed25519.Ed25519PrivateKey.generate(),
    "other-rsa": rsa.generate_private_key(65537, 2048),
}
LEAF_KEY = ec.generate_private_key(ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _sign(builder: x509.CertificateBuilder, key: SignerKey) -> x509.Certificate:
    edwards = isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey)
    return builder.sign(key, None if edwards else hashes.SHA256())


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: Any, not_after: int = 2040
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(not_after, 1, 1, tzinfo=UTC))
    )


def _ca_name(kind: str) -> x509.Name:
    return _name(f"test {kind} CA")


def _leaf_builder(issuer: x509.Name) -> x509.CertificateBuilder:
    """A well-formed code-signing leaf naming `issuer` (no SCT)."""
    return (
        _builder(x509.Name([]), issuer, LEAF_KEY.public_key())
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
    )


def _leaf_der(issuer: x509.Name, signer: SignerKey) -> bytes:
    return _sign(_leaf_builder(issuer), signer).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="certs", cache_leaf=True)


def _trust(kit: SigstoreKit, directory: Path, **replace: Any) -> TrustMaterial:
    root_path, keys_path = kit.write_trust(directory)
    root = json.loads(root_path.read_text())
    root.update(replace)
    root_path.write_text(json.dumps(root))
    return load_trust(root_path, keys_path)


def _ca_entry(
    kind: str, key: SignerKey, valid_for: dict[str, str] | None = None, not_after: int = 2040
) -> dict[str, Any]:
    """A trusted-root CA entry: a CA certificate named after `kind`, self-signed by `key`."""
    builder = _builder(_ca_name(kind), _ca_name(kind), key.public_key(), not_after)
    ca = _sign(builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True), key)
    return {
        "subject": {"organization": "test", "commonName": f"test {kind} CA"},
        "certChain": {
            "certificates": [{"rawBytes": b64(ca.public_bytes(serialization.Encoding.DER))}]
        },
        "validFor": valid_for or {"start": "2020-01-01T00:00:00Z"},
    }


@pytest.fixture(scope="module")
def one_ca(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> dict[str, TrustMaterial]:
    """For each CA key type, a trust whose only Fulcio CA is self-signed with that key."""
    return {
        kind: _trust(
            kit, tmp_path_factory.mktemp(kind), certificateAuthorities=[_ca_entry(kind, KEYS[kind])]
        )
        for kind in ("ecdsa", "ed25519", "rsa", "ed448")
    }


# (CA key type, who signed the leaf that names that CA, does it chain)
CHAINS = [
    ("ecdsa", "ecdsa", True),
    ("ecdsa", "other-ecdsa", False),
    ("ecdsa", "ed25519", False),
    ("ecdsa", "rsa", False),
    ("ed25519", "ed25519", True),
    ("ed25519", "other-ed25519", False),
    ("ed25519", "ecdsa", False),
    ("rsa", "rsa", True),
    ("rsa", "other-rsa", False),
    ("rsa", "ecdsa", False),
    ("ed448", "ed448", False),  # a key type the verifier does not check: never trusted
]


@pytest.mark.parametrize(("ca", "signer", "chains"), CHAINS)
def test_a_leaf_chains_only_to_the_ca_that_signed_it(
    ca: str, signer: str, chains: bool, one_ca: dict[str, TrustMaterial]
) -> None:
    trust = one_ca[ca]
    leaf = load_leaf(_leaf_der(_ca_name(ca), KEYS[signer]), "t")
    if chains:
        assert verify_chain(leaf, [WHEN], trust, "t") is trust.fulcio[0]
        return
    with pytest.raises(Reject) as info:
        verify_chain(leaf, [WHEN], trust, "t")
    assert info.value.code == "CERT_CHAIN"
    assert f": certificate issued by 'CN=test {ca} CA' does not chain" in info.value.message
    assert info.value.message.endswith(OUT_OF_DATE_HINT)  # a newer root may know the CA


def test_the_issuer_is_found_among_other_and_retired_cas(kit: SigstoreKit, tmp_path: Path) -> None:
    """Another CA's subject, then the same subject retired (validFor ended) and expired
    (its certificate's notAfter passed) with other keys, then the issuer: it chains."""
    retired = {"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}
    cas = [
        _ca_entry("ed25519", KEYS["ed25519"]),
        _ca_entry("ecdsa", KEYS["other-ecdsa"], valid_for=retired),
        _ca_entry("ecdsa", KEYS["other-ecdsa"], not_after=2025),
        _ca_entry("ecdsa", KEYS["ecdsa"]),
    ]
    trust = _trust(kit, tmp_path, certificateAuthorities=cas)
    leaf = load_leaf(_leaf_der(_ca_name("ecdsa"), KEYS["ecdsa"]), "t")
    assert verify_chain(leaf, [WHEN], trust, "t") is trust.fulcio[3]


@pytest.mark.parametrize(
    ("when", "valid"),
    [
        (datetime(2020, 1, 1, tzinfo=UTC), True),
        (datetime(2040, 1, 1, tzinfo=UTC), True),
        (datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC), False),
        (datetime(2040, 1, 1, 0, 0, 1, tzinfo=UTC), False),
    ],
)
def test_the_leaf_is_valid_from_not_before_to_not_after_inclusive(
    when: datetime, valid: bool, one_ca: dict[str, TrustMaterial]
) -> None:
    trust = one_ca["ecdsa"]
    leaf = load_leaf(_leaf_der(_ca_name("ecdsa"), KEYS["ecdsa"]), "t")
    if valid:
        assert verify_chain(leaf, [WHEN, when], trust, "t") is trust.fulcio[0]
        return
    with pytest.raises(Reject) as info:
        verify_chain(leaf, [WHEN, when], trust, "t")
    assert f"not at verified time {when.isoformat()}" in info.value.message


def test_a_long_issuer_name_is_cut(one_ca: dict[str, TrustMaterial]) -> None:
    oids = (NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME)
    long_name = x509.Name(
        [x509.NameAttribute(oid, c * 60) for oid, c in zip(oids, "abc", strict=True)]
    )
    leaf = load_leaf(_leaf_der(long_name, KEYS["ecdsa"]), "t")
    with pytest.raises(Reject) as info:
        verify_chain(leaf, [WHEN], one_ca["ecdsa"], "t")
    assert f"issued by {long_name.rfc4514_string()[:120]!r} does not chain" in info.value.message


def test_a_leaf_that_is_not_a_certificate() -> None:
    with pytest.raises(Reject) as info:
        load_leaf(b"\x30\x03\x02\x01\x01", "t")
    assert info.value.code == "CERT_CHAIN"
    assert info.value.message.startswith("t: signing certificate is not valid: ")


# The DER of two OIDs, each ten bytes long: Fulcio's .8 and .9, and an EC key of an
# unknown algorithm (id-ecPublicKey's last arc changed).
OID_8, OID_9 = bytes.fromhex("060a2b0601040183bf300108"), bytes.fromhex("060a2b0601040183bf300109")
EC_KEY_OID, UNKNOWN_KEY_OID = (
    bytes.fromhex("06072a8648ce3d0201"),
    bytes.fromhex("06072a8648ce3d0209"),
)


@pytest.mark.parametrize(
    ("old", "new", "reason", "message"),
    [
        (OID_9, OID_8, "CERT_CHAIN", "t: signing certificate is not valid: Duplicate "),
        (EC_KEY_OID, UNKNOWN_KEY_OID, "UNSUPPORTED_FORMAT", "t: unsupported certificate key type"),
    ],
    ids=["duplicate-extension", "unknown-key-algorithm"],
)
def test_a_leaf_cryptography_refuses_to_read(
    old: bytes, new: bytes, reason: str, message: str
) -> None:
    """Refused with the check's own reason, not as an unexpected exception."""
    builder = _leaf_builder(_ca_name("ecdsa"))
    for n in (8, 9):
        oid = x509.ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{n}")
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, b"\x0c\x01a"), False)
    der = _sign(builder, KEYS["ecdsa"]).public_bytes(serialization.Encoding.DER)
    assert der.count(old) == 1
    with pytest.raises(Reject) as info:
        load_leaf(der.replace(old, new), "t")
    assert info.value.code == reason
    assert info.value.message.startswith(message)


def test_a_leaf_with_an_rsa_key() -> None:
    builder = _builder(x509.Name([]), _ca_name("ecdsa"), KEYS["other-rsa"].public_key())
    der = _sign(builder, KEYS["ecdsa"]).public_bytes(serialization.Encoding.DER)
    with pytest.raises(Reject) as info:
        load_leaf(der, "t")
    assert (info.value.code, info.value.message) == (
        "UNSUPPORTED_FORMAT",
        "t: unsupported certificate key type",
    )


@pytest.mark.parametrize(
    ("names", "san"),
    [
        ([x509.DNSName("example.test")], None),  # neither a URI nor an email: no identity
        ([x509.RFC822Name("a@example.test")], "a@example.test"),
        (
            [x509.RFC822Name("a@example.test"), x509.UniformResourceIdentifier("https://x")],
            "https://x",
        ),
    ],
)
def test_the_san_is_the_first_uri_else_the_first_email(
    names: list[x509.GeneralName], san: str | None
) -> None:
    builder = _builder(x509.Name([]), _ca_name("ecdsa"), LEAF_KEY.public_key())
    builder = builder.add_extension(x509.SubjectAlternativeName(names), True)
    der = _sign(builder, KEYS["ecdsa"]).public_bytes(serialization.Encoding.DER)
    assert load_leaf(der, "t").san == san


# --- the SCT ------------------------------------------------------------------------------


def _sct_failure(kit: SigstoreKit, trust: TrustMaterial, sct: Any) -> str:
    _, cert = kit.issue_leaf(GITHUB, WHEN, sct=sct)
    leaf = load_leaf(cert.public_bytes(serialization.Encoding.DER), "t")
    ca = verify_chain(leaf, [WHEN], trust, "t")
    with pytest.raises(Reject) as info:
        verify_sct(leaf, ca, trust, "t")
    assert info.value.code == "SCT"
    return info.value.message


def test_a_bad_sct_signature_is_named_without_blaming_the_trust(
    kit: SigstoreKit, tmp_path: Path
) -> None:
    message = _sct_failure(kit, _trust(kit, tmp_path), "bad")
    assert message == "t: no valid SCT (SCT signature invalid)"


def test_an_sct_from_an_unknown_log_blames_the_trust(kit: SigstoreKit, tmp_path: Path) -> None:
    message = _sct_failure(kit, _trust(kit, tmp_path, ctlogs=[]), "good")
    assert (
        message == f"t: no valid SCT (unknown CT log {kit.ct_log_id.hex()[:16]}){OUT_OF_DATE_HINT}"
    )


def test_no_sct(kit: SigstoreKit, tmp_path: Path) -> None:
    message = _sct_failure(kit, _trust(kit, tmp_path), "none")
    assert message == "t: certificate has no embedded SCT"


# An SCT list built by hand (the kit embeds one SCT): RFC 6962 SignedCertificateTimestamp
# entries over the leaf's precertificate TBS, each from a given log key, time, extensions and
# hash algorithm.
SCT_TIME = datetime(2025, 1, 1, tzinfo=UTC)
HASH_CODES = {"sha256": 4, "sha384": 5}


@dataclasses.dataclass(frozen=True)
class Sct:
    key: ec.EllipticCurvePrivateKey | None = None  # None: the kit's CT log
    when: datetime = SCT_TIME
    extensions: bytes = b""
    hash: str = "sha256"
    corrupt: bool = False


def _leaf_with_scts(kit: SigstoreKit, scts: list[Sct]) -> Leaf:
    builder = _leaf_builder(kit.ca.inter.subject)
    # The precertificate TBS: this TBS without the SCT list (appended last below), under
    # the same signature algorithm (any P-384 key signing with SHA-384 gives these bytes).
    tbs = builder.sign(KEYS["ecdsa"], hashes.SHA384()).tbs_certificate_bytes
    issuer_key_hash = hashlib.sha256(spki_der(kit.ca.inter_key.public_key())).digest()
    entries = []
    for sct in scts:
        key = sct.key or kit.ct_key
        log_id = hashlib.sha256(spki_der(key.public_key())).digest()
        millis = struct.pack(">Q", int(sct.when.timestamp() * 1000))
        ext = struct.pack(">H", len(sct.extensions)) + sct.extensions
        signed = b"\0\0" + millis + b"\0\1" + issuer_key_hash
        signed += len(tbs).to_bytes(3, "big") + tbs + ext
        algorithm = hashes.SHA384() if sct.hash == "sha384" else hashes.SHA256()
        sig = key.sign(signed + (b"!" if sct.corrupt else b""), ec.ECDSA(algorithm))
        body = b"\0" + log_id + millis + ext + bytes([HASH_CODES[sct.hash], 3])
        entries.append(body + struct.pack(">H", len(sig)) + sig)
    sct_list = b"".join(struct.pack(">H", len(e)) + e for e in entries)
    sct_list = struct.pack(">H", len(sct_list)) + sct_list
    cert = builder.add_extension(
        x509.UnrecognizedExtension(SCT_LIST_OID, der_octets(sct_list)), False
    ).sign(kit.ca.inter_key, hashes.SHA384())
    return load_leaf(cert.public_bytes(serialization.Encoding.DER), "t")


@pytest.fixture(scope="module")
def kit_trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> TrustMaterial:
    return _trust(kit, tmp_path_factory.mktemp("kit"))


def _sct_check(kit: SigstoreKit, trust: TrustMaterial, scts: list[Sct]) -> str | None:
    leaf = _leaf_with_scts(kit, scts)
    try:
        verify_sct(leaf, verify_chain(leaf, [SCT_TIME], trust, "t"), trust, "t")
    except Reject as exc:
        assert exc.code == "SCT"
        return exc.message
    return None


UNKNOWN_LOG = ec.generate_private_key(ec.SECP256R1())
BEFORE_THE_LOG = datetime(2019, 6, 1, tzinfo=UTC)  # the kit's CT log key is valid from 2020


def test_a_valid_sct_after_failing_ones(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    failing = [Sct(key=UNKNOWN_LOG), Sct(when=BEFORE_THE_LOG), Sct(corrupt=True)]
    assert _sct_check(kit, kit_trust, [*failing, Sct()]) is None
    message = _sct_check(kit, kit_trust, failing)
    unknown = hashlib.sha256(spki_der(UNKNOWN_LOG.public_key())).hexdigest()[:16]
    assert message == (
        f"t: no valid SCT (unknown CT log {unknown}; "
        f"CT log key not valid at {BEFORE_THE_LOG.isoformat()}; SCT signature invalid)"
    )


@pytest.mark.parametrize(
    "sct",
    [
        Sct(hash="sha384"),  # the hash the SCT names, not the P-256 key's usual SHA-256
        Sct(extensions=b"\x01" * 40_000),  # its extensions' length is an unsigned 16-bit
    ],
    ids=["sha384", "long-extensions"],
)
def test_an_sct_verifies_as_it_is_encoded(
    sct: Sct, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    assert _sct_check(kit, kit_trust, [sct]) is None
    assert _sct_check(kit, kit_trust, [dataclasses.replace(sct, corrupt=True)]) is not None
