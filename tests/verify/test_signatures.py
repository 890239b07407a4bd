"""Registry signatures (dist.signatures): real ones with the pinned keys, and every attack
on each trust decision with the kit's key set (which mirrors the real one)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.models import RegistrySignature, SignatureStatus, VersionInfo
from auditor.reasons import SIGNATURE_REASONS
from auditor.verify import TrustMaterial, load_trust, verify_registry_signature
from auditor.verify._errors import OUT_OF_DATE_HINT
from auditor.verify.signatures import key_needs_time
from tests.support.kit import SigstoreKit

REPO = Path(__file__).resolve().parents[2]
REAL = json.loads((REPO / "fixtures" / "real" / "signatures.json").read_text())["versions"]
KEY_2023_END = datetime(2025, 1, 29, tzinfo=UTC)
INTEGRITY = "sha512-" + base64.b64encode(bytes(range(64))).decode()
NAME, VERSION = "@acme/widget", "1.2.3"
AFTER_2023_KEY = datetime(2025, 6, 1, tzinfo=UTC)
BEFORE_2023_KEY = datetime(2024, 6, 1, tzinfo=UTC)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _info(signatures: Any, integrity: str | None = INTEGRITY) -> VersionInfo:
    return VersionInfo(VERSION, integrity=integrity, signatures=signatures)


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="sig")


@pytest.fixture(scope="module")
def trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> TrustMaterial:
    root, keys = kit.write_trust(tmp_path_factory.mktemp("trust"))
    return load_trust(root, keys)


def _check(
    trust: TrustMaterial,
    signatures: Any,
    *,
    lockfile: str | None = INTEGRITY,
    signed: str | None = INTEGRITY,
    published: datetime | None = None,
    name: str = NAME,
    version: str = VERSION,
) -> RegistrySignature:
    info = VersionInfo(version, integrity=signed, signatures=signatures)
    return verify_registry_signature(name, version, lockfile, info, trust, published)


def _sig(kit: SigstoreKit, message: str, key: str = "current") -> tuple[str, str]:
    entry = kit.sign_registry(message, key=key)  # type: ignore[arg-type]
    return (entry["keyid"], entry["sig"])


MESSAGE = f"{NAME}@{VERSION}:{INTEGRITY}"


# --------------------------------------------------------------------------- real data


@pytest.mark.parametrize("row", REAL, ids=lambda r: f"{r['name']}@{r['version']}")
def test_real_registry_signatures_verify_with_the_pinned_keys(row: dict[str, Any]) -> None:
    trust = load_trust()
    sigs = tuple((s["keyid"], s["sig"]) for s in row["signatures"])
    info = VersionInfo(row["version"], integrity=row["integrity"], signatures=sigs)
    got = verify_registry_signature(
        row["name"], row["version"], row["integrity"], info, trust, _time(row["published"])
    )
    assert got == RegistrySignature(SignatureStatus.VERIFIED, sigs[0][0])
    # The 2023 key has an end: judging it needs the publish time.
    assert key_needs_time(info, trust)
    # The same signature on a version published after the key's end is not accepted ...
    late = verify_registry_signature(
        row["name"], row["version"], row["integrity"], info, trust, KEY_2023_END
    )
    assert (late.status, late.reason) == (SignatureStatus.INVALID, "SIGNATURE_KEY_EXPIRED")
    # ... and without a publish time npm assumes 2015-01-01 (pacote's cutoff).
    untimed = verify_registry_signature(
        row["name"], row["version"], row["integrity"], info, trust, None
    )
    assert untimed.status is SignatureStatus.VERIFIED


def test_real_signature_does_not_transfer_to_another_version() -> None:
    trust = load_trust()
    a, b = REAL[0], REAL[1]
    sigs = tuple((s["keyid"], s["sig"]) for s in a["signatures"])
    for name, version, integrity in (
        (b["name"], a["version"], a["integrity"]),
        (a["name"], b["version"], a["integrity"]),
        (a["name"], a["version"], b["integrity"]),
    ):
        info = VersionInfo(version, integrity=integrity, signatures=sigs)
        got = verify_registry_signature(name, version, integrity, info, trust, None)
        assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_INVALID")


# --------------------------------------------------------------------------- kit: happy paths


def test_current_key_verifies_without_a_publish_time(
    kit: SigstoreKit, trust: TrustMaterial
) -> None:
    sigs = (_sig(kit, MESSAGE),)
    assert not key_needs_time(_info(sigs), trust)  # open window: no time needed
    got = _check(trust, sigs)
    assert got == RegistrySignature(SignatureStatus.VERIFIED, kit.npm_key_id)


def test_2023_style_key_verifies_before_its_end(kit: SigstoreKit, trust: TrustMaterial) -> None:
    sigs = (_sig(kit, MESSAGE, "2023"),)
    got = _check(trust, sigs, published=BEFORE_2023_KEY)
    assert got == RegistrySignature(SignatureStatus.VERIFIED, kit.npm_key_2023_id)


# --------------------------------------------------------------------------- attacks


def test_forged_signature_is_invalid(kit: SigstoreKit, trust: TrustMaterial) -> None:
    keyid, sig = _sig(kit, MESSAGE)
    raw = bytearray(base64.b64decode(sig))
    raw[-1] ^= 1
    forged = base64.b64encode(bytes(raw)).decode()
    for bad in (forged, base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode(), "!!"):
        got = _check(trust, ((keyid, bad),))
        assert (got.status, got.reason, got.keyid) == (
            SignatureStatus.INVALID,
            "SIGNATURE_INVALID",
            keyid,
        )


def test_rogue_key_claiming_a_trusted_keyid_is_invalid(
    kit: SigstoreKit, trust: TrustMaterial
) -> None:
    _, sig = _sig(kit, MESSAGE, "rogue")
    got = _check(trust, ((kit.npm_key_id, sig),))
    assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_INVALID")


def test_keyid_not_in_the_trusted_set_is_invalid(kit: SigstoreKit, trust: TrustMaterial) -> None:
    got = _check(trust, (_sig(kit, MESSAGE, "rogue"),))
    assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_KEY_UNKNOWN")


def test_attestation_only_key_cannot_sign_packages(kit: SigstoreKit, tmp_path: Path) -> None:
    root, keys = kit.write_trust(tmp_path)
    doc = json.loads(keys.read_text())
    doc["keys"] = [k for k in doc["keys"] if k["keyUsage"] != "npm:signatures"]
    keys.write_text(json.dumps(doc))
    got = _check(load_trust(root, keys), (_sig(kit, MESSAGE),))
    assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_KEY_UNKNOWN")


def test_expired_key_for_a_version_published_after_its_end(
    kit: SigstoreKit, trust: TrustMaterial
) -> None:
    sigs = (_sig(kit, MESSAGE, "2023"),)
    assert key_needs_time(_info(sigs), trust)
    for when in (KEY_2023_END, AFTER_2023_KEY):  # the end is exclusive, as npm's `<`
        got = _check(trust, sigs, published=when)
        assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_KEY_EXPIRED")
    got = _check(trust, sigs, published=KEY_2023_END - timedelta(milliseconds=1))
    assert got.status is SignatureStatus.VERIFIED


@pytest.mark.parametrize(
    "message",
    [
        f"@acme/other@{VERSION}:{INTEGRITY}",
        f"{NAME}@1.2.4:{INTEGRITY}",
        f"{NAME}@{VERSION}:sha512-" + base64.b64encode(bytes(64)).decode(),
        f"{NAME}@{VERSION}{INTEGRITY}",
        f"{NAME}:{VERSION}:{INTEGRITY}",
    ],
)
def test_signature_over_another_name_version_or_integrity(
    kit: SigstoreKit, trust: TrustMaterial, message: str
) -> None:
    got = _check(trust, (_sig(kit, message),))
    assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_INVALID")


def test_missing_signatures(trust: TrustMaterial) -> None:
    for sigs in (None, ()):
        got = _check(trust, sigs)
        assert (got.status, got.reason) == (SignatureStatus.MISSING, "SIGNATURE_MISSING")
    got = verify_registry_signature(NAME, VERSION, INTEGRITY, None, trust, None)
    assert (got.status, got.reason) == (SignatureStatus.MISSING, "VERSION_NOT_IN_PACKUMENT")


def test_signed_integrity_differs_from_the_lockfile(kit: SigstoreKit, trust: TrustMaterial) -> None:
    """The registry's signature is genuine, but over other bytes than the lockfile pins."""
    other = "sha512-" + base64.b64encode(bytes(64)).decode()
    got = _check(trust, (_sig(kit, MESSAGE),), lockfile=other)
    assert (got.status, got.reason) == (SignatureStatus.INVALID, "INTEGRITY_MISMATCH")
    # The packument's integrity swapped for the lockfile's: the signature no longer holds.
    got = _check(trust, (_sig(kit, MESSAGE),), lockfile=other, signed=other)
    assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_INVALID")


def test_every_signature_must_verify(kit: SigstoreKit, trust: TrustMaterial) -> None:
    good = _sig(kit, MESSAGE)
    for extra in (_sig(kit, MESSAGE, "rogue"), ("", ""), (kit.npm_key_id, "AAAA")):
        got = _check(trust, (good, extra))
        assert got.status is SignatureStatus.INVALID


def test_malformed_entries(kit: SigstoreKit, trust: TrustMaterial) -> None:
    assert _check(trust, (("", ""),)).reason == "SIGNATURE_MALFORMED"
    got = _check(trust, (_sig(kit, MESSAGE),), signed=None)
    assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_MALFORMED")


def test_reason_codes_are_catalogued(kit: SigstoreKit, trust: TrustMaterial) -> None:
    seen = {
        _check(trust, None).reason,
        _check(trust, (("", ""),)).reason,
        _check(trust, (_sig(kit, MESSAGE, "rogue"),)).reason,
        _check(trust, (_sig(kit, MESSAGE, "2023"),), published=AFTER_2023_KEY).reason,
        _check(trust, (_sig(kit, "x"),)).reason,
        _check(trust, (_sig(kit, MESSAGE),), lockfile="sha1-x").reason,
        verify_registry_signature(NAME, VERSION, None, None, trust, None).reason,
    }
    assert seen == set(SIGNATURE_REASONS)


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(min_size=1, max_size=20),
    version=st.text(min_size=1, max_size=12),
    integrity=st.text(min_size=1, max_size=40),
)
def test_a_signature_binds_exactly_its_message(
    kit: SigstoreKit, trust: TrustMaterial, name: str, version: str, integrity: str
) -> None:
    """Property: a signature verifies for its own (name, version, integrity) and for no
    other triple whose message differs."""
    sigs = (_sig(kit, MESSAGE),)
    info = VersionInfo(version, integrity=integrity, signatures=sigs)
    got = verify_registry_signature(name, version, None, info, trust, None)
    if f"{name}@{version}:{integrity}" == MESSAGE:
        assert got.status is SignatureStatus.VERIFIED
    else:
        assert got.status is SignatureStatus.INVALID


SHA512_A = "sha512-" + base64.b64encode(bytes([1]) * 64).decode()
SHA512_B = "sha512-" + base64.b64encode(bytes([2]) * 64).decode()
SHA1_A = "sha1-" + base64.b64encode(bytes([1]) * 20).decode()


@pytest.mark.parametrize(
    ("lockfile", "signed", "accepted"),
    [
        (SHA512_A, SHA512_A, True),
        (f"{SHA512_A} {SHA1_A}", SHA512_A, True),  # npm checks the sha512 only
        (f"{SHA512_A}?foo", SHA512_A, True),  # options are not part of the digest
        (SHA512_A, f"{SHA1_A}\t{SHA512_A}", True),
        (SHA1_A, f"{SHA512_A} {SHA1_A}", True),  # weak, but the bytes npm checks were signed
        (SHA512_B, SHA512_A, False),
        (f"{SHA512_B} {SHA1_A}", f"{SHA512_A} {SHA1_A}", False),  # same sha1, other sha512
        (f"{SHA512_A} {SHA512_B}", SHA512_A, False),  # npm accepts either: B was not signed
        ("SHA512-" + SHA512_A[7:], SHA512_A, False),  # upper case: npm checks nothing
        ("sha512-not*base64", "sha512-not*base64", False),
        (f"{SHA512_A} sha512-AAAA", SHA512_A, False),  # INTEGRITY_MALFORMED
        # weak: npm also accepts a malformed sha1, which the signature does not cover
        (f"{SHA1_A} sha1-AAAA", f"{SHA512_A} {SHA1_A}", False),
        (f"{SHA1_A} {SHA1_A}", f"{SHA512_A} {SHA1_A}", True),  # the same digest twice
        (SHA1_A, SHA512_A, False),
    ],
)
def test_integrity_npm_accepts_for_the_signed_value(
    lockfile: str, signed: str, accepted: bool
) -> None:
    from auditor.verify import integrity_accepted

    assert integrity_accepted(lockfile, signed) is accepted


# --------------------------------------------------------------------------- exact outcomes


def _exact_cases(kit: SigstoreKit) -> list[tuple[str, dict[str, Any], RegistrySignature]]:
    good = _sig(kit, MESSAGE)
    rogue = _sig(kit, MESSAGE, "rogue")
    old = _sig(kit, MESSAGE, "2023")
    over_empty = _sig(kit, f"{NAME}@{VERSION}:")
    other = "sha512-" + base64.b64encode(bytes(64)).decode()
    long_keyid = "SHA256:" + "k" * 100
    # Integrity values over 100 characters (the messages show the first 100 of each).
    signed_long, lockfile_long = f"{INTEGRITY} {SHA1_A}", f"{other} {SHA1_A}"
    over_long = _sig(kit, f"{NAME}@{VERSION}:{signed_long}")
    invalid = SignatureStatus.INVALID
    return [
        (
            "not in the packument",
            {"info": None},
            RegistrySignature(
                SignatureStatus.MISSING,
                None,
                "VERSION_NOT_IN_PACKUMENT",
                "the registry's packument does not list this version",
            ),
        ),
        (
            "no signatures",
            {"signatures": None},
            RegistrySignature(
                SignatureStatus.MISSING, None, "SIGNATURE_MISSING", "no dist.signatures"
            ),
        ),
        (
            # A genuine signature over "<name>@<version>:" must not verify an empty integrity.
            "empty signed integrity",
            {"signatures": (over_empty,), "signed": "", "lockfile": None},
            RegistrySignature(
                invalid, None, "SIGNATURE_MALFORMED", "signatures present but no dist.integrity"
            ),
        ),
        (
            "entry without a keyid",
            {"signatures": (("", good[1]),)},
            RegistrySignature(
                invalid, None, "SIGNATURE_MALFORMED", "a dist.signatures entry lacks keyid/sig"
            ),
        ),
        (
            "unknown key",
            {"signatures": (rogue,)},
            RegistrySignature(
                invalid,
                rogue[0],
                "SIGNATURE_KEY_UNKNOWN",
                f"no trusted npm:signatures key {rogue[0]!r}{OUT_OF_DATE_HINT}",
            ),
        ),
        (
            "long unknown keyid",
            {"signatures": ((long_keyid, good[1]),)},
            RegistrySignature(
                invalid,
                long_keyid,
                "SIGNATURE_KEY_UNKNOWN",
                f"no trusted npm:signatures key {long_keyid[:80]!r}{OUT_OF_DATE_HINT}",
            ),
        ),
        (
            "expired key",
            {"signatures": (old,), "published": AFTER_2023_KEY},
            RegistrySignature(
                invalid,
                old[0],
                "SIGNATURE_KEY_EXPIRED",
                f"key {old[0]} expired 2025-01-29T00:00:00+00:00, "
                "version published 2025-06-01T00:00:00+00:00",
            ),
        ),
        (
            "bad signature",
            {"signatures": ((good[0], rogue[1]),)},
            RegistrySignature(
                invalid,
                good[0],
                "SIGNATURE_INVALID",
                f"signature by {good[0]} does not verify over {MESSAGE.encode()!r}",
            ),
        ),
        (
            "other integrity",
            {"signatures": (good,), "lockfile": other},
            RegistrySignature(
                invalid,
                good[0],
                "INTEGRITY_MISMATCH",
                f"the registry signed integrity {INTEGRITY!r}, the lockfile has {other!r}",
            ),
        ),
        (
            "other long integrity",
            {"signatures": (over_long,), "signed": signed_long, "lockfile": lockfile_long},
            RegistrySignature(
                invalid,
                good[0],
                "INTEGRITY_MISMATCH",
                f"the registry signed integrity {signed_long[:100]!r}, "
                f"the lockfile has {lockfile_long[:100]!r}",
            ),
        ),
        (
            "entry without a signature",
            {"signatures": ((good[0], ""),)},
            RegistrySignature(
                invalid, None, "SIGNATURE_MALFORMED", "a dist.signatures entry lacks keyid/sig"
            ),
        ),
        ("verified", {"signatures": (good,)}, RegistrySignature(SignatureStatus.VERIFIED, good[0])),
    ]


def test_every_outcome_has_its_exact_reason_and_message(
    kit: SigstoreKit, trust: TrustMaterial
) -> None:
    for label, args, expected in _exact_cases(kit):
        if "info" in args:
            got = verify_registry_signature(NAME, VERSION, INTEGRITY, None, trust, None)
        else:
            got = _check(trust, **args)
        assert got == expected, label


def test_publish_time_in_any_zone_is_read_as_its_instant(
    kit: SigstoreKit, trust: TrustMaterial
) -> None:
    """The end of a key's window is compared with the instant of publication: a naive time
    is UTC, an aware one is converted (not relabelled)."""
    sigs = (_sig(kit, MESSAGE, "2023"),)
    east = timezone(timedelta(hours=5))
    verified = [
        KEY_2023_END.replace(tzinfo=None) - timedelta(seconds=1),
        datetime(2025, 1, 29, 4, 59, tzinfo=east),  # 2025-01-28T23:59Z
    ]
    expired = [KEY_2023_END.replace(tzinfo=None), datetime(2025, 1, 29, 5, 0, tzinfo=east)]
    for when in verified:
        assert _check(trust, sigs, published=when).status is SignatureStatus.VERIFIED, when
    for when in expired:
        assert _check(trust, sigs, published=when).reason == "SIGNATURE_KEY_EXPIRED", when


@pytest.mark.parametrize("curve", [ec.SECP384R1(), ec.SECP256K1()], ids=lambda c: c.name)
def test_a_signatures_key_on_another_curve_verifies_nothing(
    kit: SigstoreKit, tmp_path: Path, curve: ec.EllipticCurve
) -> None:
    """npm's registry signatures are ECDSA P-256: a trusted key of another type under the
    same id verifies no signature, not even one it made itself."""
    other = ec.generate_private_key(curve)
    spki = other.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    root, keys = kit.write_trust(tmp_path)
    doc = json.loads(keys.read_text())
    for entry in doc["keys"]:
        if entry["keyId"] == kit.npm_key_id and entry["keyUsage"] == "npm:signatures":
            entry["publicKey"]["rawBytes"] = base64.b64encode(spki).decode()
    keys.write_text(json.dumps(doc))
    own = base64.b64encode(other.sign(MESSAGE.encode(), ec.ECDSA(hashes.SHA256()))).decode()
    for sig in (_sig(kit, MESSAGE)[1], own):
        got = _check(load_trust(root, keys), ((kit.npm_key_id, sig),))
        assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_INVALID")


def test_signature_base64_is_strict(kit: SigstoreKit, trust: TrustMaterial) -> None:
    """A genuine signature with a character base64 does not allow is malformed, not read
    past (as a lenient decoder would)."""
    keyid, sig = _sig(kit, MESSAGE)
    assert _check(trust, ((keyid, sig),)).status is SignatureStatus.VERIFIED
    for bad in (sig[:10] + "!" + sig[10:], sig[:10] + "\n" + sig[10:], sig + "*"):
        got = _check(trust, ((keyid, bad),))
        assert (got.status, got.reason) == (SignatureStatus.INVALID, "SIGNATURE_INVALID")
