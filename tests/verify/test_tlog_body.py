"""The transparency-log entry body must describe the bundle's own signature, payload and
key: every field of every body kind the kit mints is replaced in turn (as a hostile log or
mirror could serve it), and each replacement is TLOG_BODY_MISMATCH, never another reason
and never `verified`, except the fields the verifier does not bind (listed, with why)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.models import Status
from auditor.verify import TrustMaterial, load_trust, verify_attestations
from tests.support.kit import SigstoreKit

NAME, VERSION = "@acme/widget", "1.2.3"
SHA512 = hashlib.sha512(b"the tarball").digest()
INTEGRITY = "sha512-" + base64.b64encode(SHA512).decode()
# (format, tlog kind): every body kind the kit mints.
KINDS = [
    ("v0.2", "intoto"),
    ("v0.2", "dsse"),
    ("rekor2-dsse", None),
    ("rekor2-hashedrekord", None),
]
# Body fields the verifier does not bind, and why:
UNBOUND = {
    # a digest of the whole envelope, which Rekor v1 keeps and the bundle cannot rebuild
    # byte for byte (the signatures' order and keyid); the payload and signature are bound
    "hash",
    "envelopeHash",
    # the signature's keyid: not signed, and the key itself is bound
    "keyid",
    # Rekor v2's description of the key (algorithm), implied by the bound key bytes
    "keyDetails",
}
# ... and a PEM certificate whose body is not base64 (it names no key at all).
BAD_PEM = base64.b64encode(b"-----BEGIN CERTIFICATE-----\n*\n-----END CERTIFICATE-----").decode()
REPLACEMENTS: list[Any] = [None, 0, "", "x", "AAAA", "sha512", "SHA2_384", [], {}, [{}], BAD_PEM]


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="tlog-body", cache_leaf=True)


@pytest.fixture(scope="module")
def kit_trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> TrustMaterial:
    return load_trust(*kit.write_trust(tmp_path_factory.mktemp("trust")))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(doc))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def _mint(kit: SigstoreKit, fmt: str, kind: str | None, edit: Any = None) -> bytes:
    def hook(role: str, bundle: dict[str, Any]) -> dict[str, Any]:
        if role == "provenance" and edit is not None:
            entry = bundle["verificationMaterial"]["tlogEntries"][0]
            body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
            raw = edit(body)
            entry["canonicalizedBody"] = base64.b64encode(raw).decode()
        return bundle

    return kit.attestations(NAME, VERSION, SHA512, fmt=fmt, kind=kind, bundle_hook=hook)


@pytest.mark.parametrize(("fmt", "kind"), KINDS, ids=lambda v: str(v))
def test_every_body_field_is_bound(
    fmt: str, kind: str | None, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    genuine = verify_attestations(NAME, VERSION, INTEGRITY, _mint(kit, fmt, kind), kit_trust)
    assert genuine.status is Status.VERIFIED, genuine.message
    seen: dict[str, Any] = {}

    def capture(body: Any) -> bytes:
        seen["body"] = body
        return json.dumps(body).encode()

    _mint(kit, fmt, kind, capture)
    body = seen["body"]
    checked = 0
    for path in _paths(body):
        for value in REPLACEMENTS:
            if _replaced(body, path, value) == body:
                continue
            # Each mint signs afresh (ECDSA): edit the body minted with this signature.
            response = _mint(
                kit, fmt, kind, lambda b, p=path, v=value: json.dumps(_replaced(b, p, v)).encode()
            )
            r = verify_attestations(NAME, VERSION, INTEGRITY, response, kit_trust)
            assert r.status is Status.INVALID, (path, value)
            if path and set(map(str, path)) & UNBOUND:
                # Not compared with the bundle, so the log check refuses the edited entry:
                # the SET (Rekor v1) signs the body, the inclusion proof hashes it.
                assert r.reason in ("SET_INVALID", "INCLUSION_PROOF", "TLOG_BODY_MISMATCH")
            else:
                assert r.reason == "TLOG_BODY_MISMATCH", (path, value, r.reason, r.message)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b"null", b"[" * 100_000])
def test_a_body_that_is_not_a_json_object(
    raw: bytes, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    response = _mint(kit, "v0.2", None, lambda _b: raw)
    r = verify_attestations(NAME, VERSION, INTEGRITY, response, kit_trust)
    assert r.reason == "TLOG_BODY_MISMATCH", r.message
