"""The lockfile `integrity` read exactly as npm's ssri reads it (docs/lockfile.md).

Examples state ssri's behaviour, properties try to flip the binding as an attacker would,
and a differential test asks the ssri that ships with the npm on PATH (skipped without it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.models import INTEGRITY_REASONS, Package, SourceKind, check_integrity
from auditor.verify import REASON_CODES
from tests.support.npm_modules import npm_bundled_module


def sri(data: bytes, alg: str = "sha512") -> str:
    return f"{alg}-" + base64.b64encode(hashlib.new(alg, data).digest()).decode()


GOOD, EVIL = sri(b"good"), sri(b"evil")
GOOD_DIGEST = hashlib.sha512(b"good").digest()


@pytest.mark.parametrize(
    ("value", "reason", "algorithm"),
    [
        (GOOD, None, "sha512"),
        (f"{GOOD} {GOOD}", None, "sha512"),  # the same hash twice pins one tarball
        (f"{GOOD}?x-opt", None, "sha512"),  # options are not part of the digest
        (f"  {GOOD}\n", None, "sha512"),
        (f"{sri(b'evil', 'sha1')} {GOOD}", None, "sha512"),  # strongest algorithm wins
        (f"{GOOD} {sri(b'evil', 'sha384')}", None, "sha512"),
        (f"{GOOD} {EVIL.replace('sha512', 'SHA512')}", None, "sha512"),  # ignored token
        (f"{GOOD} md4-whatever sha3-512-x", None, "sha512"),
        (f"{GOOD} {EVIL}", "INTEGRITY_AMBIGUOUS", "sha512"),  # npm accepts either
        (f"{GOOD}\u00a0{EVIL}", "INTEGRITY_AMBIGUOUS", "sha512"),  # JS \s splits on NBSP
        (f"{GOOD}\ufeff{EVIL}", "INTEGRITY_AMBIGUOUS", "sha512"),
        (f"{GOOD}\x1c{EVIL}", "INTEGRITY_MALFORMED", "sha512"),  # JS \s does not split on FS
        (EVIL.replace("sha512", "SHA512"), "INTEGRITY_UNCHECKED", None),
        (EVIL.replace("sha512", "Sha512"), "INTEGRITY_UNCHECKED", None),
        ("sha3-512-" + GOOD[7:], "INTEGRITY_UNCHECKED", None),
        ("not an integrity", "INTEGRITY_UNCHECKED", None),
        ("sha512", "INTEGRITY_UNCHECKED", None),
        ("sha512-", "INTEGRITY_UNCHECKED", None),
        ("sha512-?x", "INTEGRITY_UNCHECKED", None),
        ("", "MISSING_INTEGRITY", None),
        (" \t ", "MISSING_INTEGRITY", None),
        (None, "MISSING_INTEGRITY", None),
        (42, "INTEGRITY_MALFORMED", None),
        (["sha512-x"], "INTEGRITY_MALFORMED", None),
        ("sha512-!!!notbase64!!!", "INTEGRITY_MALFORMED", "sha512"),
        (GOOD.rstrip("="), "INTEGRITY_MALFORMED", "sha512"),  # npm compares text
        (GOOD[:-3] + "B==", "INTEGRITY_MALFORMED", "sha512"),  # same bytes in Python, not npm
        ("sha512-eHh4eHh4eHh4eA==", "INTEGRITY_MALFORMED", "sha512"),
        (sri(b"good", "sha1"), "WEAK_INTEGRITY", "sha1"),
        (sri(b"good", "sha384"), "WEAK_INTEGRITY", "sha384"),
        (sri(b"good", "md5"), "WEAK_INTEGRITY", "md5"),
        (f"{sri(b'x', 'blake2b512')} {sri(b'x', 'sha1')}", "WEAK_INTEGRITY", "sha1"),
        (sri(b"x", "blake2b512"), "WEAK_INTEGRITY", "blake2b512"),
    ],
)
def test_read_as_ssri(value: object, reason: str | None, algorithm: str | None) -> None:
    check = check_integrity(value)
    assert (check.reason, check.algorithm) == (reason, algorithm)
    assert (check.sha512 == GOOD_DIGEST) is (reason is None)
    if reason is not None:
        assert check.problem


def test_reasons_are_verify_reason_codes() -> None:
    assert set(INTEGRITY_REASONS) <= REASON_CODES


# --------------------------------------------------------------------------- properties

_ALGS = ("sha512", "sha384", "sha256", "sha1", "md5", "SHA512", "Sha512", "sha3", "blake2b512")
_SEPARATORS = (" ", "  ", "\t", "\n", "\u00a0", "\u2028", "\ufeff", "\x1c", "\x85", "")


@st.composite
def tokens(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(("hash", "junk")))
    if kind == "junk":
        return draw(st.text(min_size=0, max_size=20))
    alg = draw(st.sampled_from(_ALGS))
    data = draw(st.binary(max_size=4))
    name = alg.lower() if alg.lower() in hashlib.algorithms_available else "sha512"
    digest = base64.b64encode(hashlib.new(name, data).digest()).decode()
    mangle = draw(st.sampled_from(("", "strip", "opt", "cut")))
    if mangle == "strip":
        digest = digest.rstrip("=")
    elif mangle == "opt":
        digest += "?" + draw(st.text(max_size=5))
    elif mangle == "cut":
        digest = digest[: draw(st.integers(0, len(digest)))]
    return f"{alg}-{digest}"


@st.composite
def integrity_values(draw: st.DrawFn) -> str:
    parts = draw(st.lists(tokens(), max_size=4))
    out = ""
    for part in parts:
        out += part + draw(st.sampled_from(_SEPARATORS))
    return out


@given(integrity_values())
@settings(max_examples=300, deadline=None)
def test_never_raises_and_reasons_are_known(value: str) -> None:
    check = check_integrity(value)
    assert check.reason is None or check.reason in INTEGRITY_REASONS
    assert (check.reason is None) == (check.sha512 is not None)
    if check.reason is None:
        assert check.algorithm == "sha512" and len(check.accepted) == 1


@given(integrity_values(), st.binary(max_size=8))
@settings(max_examples=300, deadline=None)
def test_adding_another_sha512_never_keeps_a_binding(value: str, other: bytes) -> None:
    """Attacker: append a second sha512 (npm then accepts either tarball)."""
    check = check_integrity(value)
    if check.sha512 is None or hashlib.sha512(other).digest() == check.sha512:
        return
    for joined in (f"{value} {sri(other)}", f"{sri(other)} {value}"):
        assert check_integrity(joined).sha512 is None


@given(integrity_values(), st.sampled_from(("sha384", "sha256", "sha1", "md5")))
@settings(max_examples=200, deadline=None)
def test_weaker_tokens_do_not_change_the_binding(value: str, alg: str) -> None:
    """ssri checks only the strongest algorithm: weaker hashes of any tarball are ignored."""
    check = check_integrity(value)
    if check.algorithm != "sha512":
        return
    joined = check_integrity(f"{value} {sri(b'evil', alg)}")
    assert (joined.reason, joined.sha512) == (check.reason, check.sha512)


@given(st.binary(max_size=16), st.sampled_from(("SHA512", "Sha512", "sHa512", "SHA-512")))
def test_case_changed_algorithm_is_never_bound(data: bytes, spelled: str) -> None:
    """Attacker: spell the algorithm so npm does not recognise it (npm then checks nothing)."""
    value = sri(data).replace("sha512", spelled, 1)
    assert check_integrity(value).reason == "INTEGRITY_UNCHECKED"


@given(integrity_values())
@settings(max_examples=200, deadline=None)
def test_package_binding_follows_the_check(value: str) -> None:
    check = check_integrity(value)
    package = Package(
        name="a",
        version="1.0.0",
        source=SourceKind.REGISTRY,
        integrity=value,
        hashes=check.hashes,
        integrity_reason=check.reason,
    )
    assert package.sha512 == check.sha512


# --------------------------------------------------------------------------- differential


_PROBE = """
const ssri = require(process.argv[1])
const values = JSON.parse(require('fs').readFileSync(0, 'utf8'))
const out = values.map(v => {
  const p = ssri.parse(v)
  if (!p) return null
  const alg = p.pickAlgorithm()
  return [alg, p[alg].map(h => h.digest)]
})
process.stdout.write(JSON.stringify(out))
"""


def _corpus(n: int) -> list[str]:
    rng = random.Random(12)
    pool = [
        GOOD,
        EVIL,
        GOOD + "?opt",
        GOOD.rstrip("="),
        GOOD.upper(),
        EVIL.replace("sha512", "SHA512"),
        sri(b"good", "sha384"),
        sri(b"evil", "sha256"),
        sri(b"evil", "sha1"),
        sri(b"evil", "md5"),
        sri(b"evil", "blake2b512"),
        sri(b"evil", "sha224"),
        "sha3-512-" + GOOD[7:],
        "sha512-",
        "sha512-!!",
        "-" + GOOD,
        "foo",
        "sha512--x",
        "sha512-a?b?c",
    ]
    out = []
    for _ in range(n):
        count = rng.randint(0, 4)
        value = rng.choice(["", " ", "\ufeff"])
        for _ in range(count):
            value += rng.choice(pool) + rng.choice(_SEPARATORS)
        out.append(value)
    return out


def test_same_reading_as_npms_ssri() -> None:
    ssri = npm_bundled_module("ssri")
    if ssri is None:
        pytest.skip("npm (with its bundled ssri) is not on PATH")
    values = _corpus(600)
    proc = subprocess.run(
        ["node", "-e", _PROBE, str(ssri)],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    for value, npm in zip(values, json.loads(proc.stdout), strict=True):
        check = check_integrity(value)
        if npm is None:
            assert check.algorithm is None, value
            continue
        alg, digests = npm
        assert check.algorithm == alg, value
        assert check.accepted == tuple(dict.fromkeys(digests)), value
        # The binding: one sha512 that ssri would compare equal to that tarball's digest.
        if check.sha512 is not None:
            assert {base64.b64encode(check.sha512).decode()} == set(digests), value
