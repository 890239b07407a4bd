"""Malformed and hostile responses: a per-package INVALID with a reason, never an exception."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auditor.models import MAX_ATTESTATIONS_BYTES, Status
from auditor.registry.client import NetworkSettings
from auditor.verify import REASON_CODES, TrustMaterial, verify_attestations
from tests.support.jsonpaths import json_paths, replaced
from tests.verify.fixtures import case

GUNDAM = case("gundam-visor@1.0.1")
PLAYWRIGHT = case("@playwright/cli@0.1.1")


def _check(body: bytes, trust: TrustMaterial, c: Any = GUNDAM) -> Any:
    r = verify_attestations(c.name, c.version, c.integrity(), body, trust)
    assert r.status in (Status.INVALID, Status.VERIFIED, Status.PUBLISH_ONLY)
    if r.status is Status.INVALID:
        assert r.reason in REASON_CODES
        assert r.message and "\n" not in r.message
    return r


UNSIGNED_OPTIONAL = {
    "signedAccessSignatureUrl",
    "timestampVerificationData",
    "rfc3161Timestamps",
    "keyid",
}
REPLACEMENTS: list[Any] = [None, 0, -1, 2**70, 1.5, True, "", "x", [], {}, [1], {"a": 1}]


@pytest.mark.parametrize("c", [GUNDAM, PLAYWRIGHT], ids=lambda c: c.spec)
def test_wrong_json_types_everywhere(c: Any, trust: TrustMaterial) -> None:
    doc = c.document()
    seen = 0
    for path in json_paths(doc):
        for value in REPLACEMENTS:
            mutated = replaced(doc, path, value)
            r = _check(json.dumps(mutated).encode(), trust, c)
            # A replaced value never verifies, except in unsigned optional fields:
            # unknown response fields, an empty/absent timestamp list, DSSE keyid.
            if mutated != doc and r.status is not Status.INVALID:
                assert path and path[-1] in UNSIGNED_OPTIONAL, path
            seen += 1
    assert seen > 1000


def test_truncated_json(trust: TrustMaterial) -> None:
    body = GUNDAM.response()
    for cut in range(0, len(body), 97):
        r = _check(body[:cut], trust)
        assert (r.status, r.reason) == (Status.INVALID, "RESPONSE_MALFORMED")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b'"attestations"',
        b"{}",
        b'{"attestations": null}',
        b'{"attestations": {}}',
        b'{"attestations": [1]}',
        b'{"attestations": [{"predicateType": 5}]}',
        b"\xff\xfe",
        b'{"attestations": [{"predicateType": "https://slsa.dev/provenance/v1"}]}',
        b'{"attestations": [{"predicateType": "https://example.com/x", "bundle": {}}]}',
        b"NaN",
        b'{"attestations": [], "x": 1e999999}',
    ],
)
def test_malformed_documents(body: bytes, trust: TrustMaterial) -> None:
    assert _check(body, trust).status is Status.INVALID


def test_empty_list(trust: TrustMaterial) -> None:
    assert _check(b'{"attestations": []}', trust).reason == "NO_ATTESTATIONS"


def test_huge_attestation_array(trust: TrustMaterial) -> None:
    entry = {"predicateType": "https://slsa.dev/provenance/v1", "bundle": {}}
    body = json.dumps({"attestations": [entry] * 100_000}).encode()
    r = _check(body, trust)
    assert r.reason == "RESPONSE_MALFORMED"


def test_huge_inner_arrays(trust: TrustMaterial) -> None:
    doc = GUNDAM.document()
    for att in doc["attestations"]:
        entry = att["bundle"]["verificationMaterial"]["tlogEntries"][0]
        entry["inclusionProof"]["hashes"] = entry["inclusionProof"]["hashes"] * 1_000
    assert _check(json.dumps(doc).encode(), trust).reason == "BUNDLE_MALFORMED"
    doc = GUNDAM.document()
    for att in doc["attestations"]:
        entries = att["bundle"]["verificationMaterial"]["tlogEntries"]
        entries *= 100
    assert _check(json.dumps(doc).encode(), trust).reason == "BUNDLE_MALFORMED"


def test_one_size_limit_too_large_is_an_error_never_invalid(trust: TrustMaterial) -> None:
    """Between the old 8 MiB verifier cap and the 10 MiB client cap a response was called
    tampering.  Now one limit: a genuine response padded to just under it verifies, one
    byte more is `error` FETCH_TOO_LARGE (what the fetch layer says too)."""
    genuine = GUNDAM.response()
    assert genuine.endswith(b"}")
    padded = genuine[:-1] + b" " * (MAX_ATTESTATIONS_BYTES - len(genuine)) + b"}"
    assert len(padded) == MAX_ATTESTATIONS_BYTES
    r = verify_attestations(GUNDAM.name, GUNDAM.version, GUNDAM.integrity(), padded, trust)
    assert r.status is Status.VERIFIED
    for body in (padded[:-1] + b" }", b'{"attestations": [], "pad": "' + b"a" * 11 * 2**20):
        r = verify_attestations(GUNDAM.name, GUNDAM.version, GUNDAM.integrity(), body, trust)
        assert (r.status, r.reason) == (Status.ERROR, "FETCH_TOO_LARGE")
    assert NetworkSettings().max_attestation_bytes == MAX_ATTESTATIONS_BYTES


def test_deep_nesting(trust: TrustMaterial) -> None:
    body = b'{"attestations": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    assert _check(body, trust).status is Status.INVALID
    # Deep nesting inside an otherwise valid bundle (an unknown field).
    body = GUNDAM.response()
    marker = b'"bundle":{' if b'"bundle":{' in body else b'"bundle": {'
    assert marker in body
    deep = b'"extra": ' + b"[" * 100_000 + b"]" * 100_000 + b", "
    body = body.replace(marker, marker + deep, 1)
    assert _check(body, trust).status is Status.INVALID
