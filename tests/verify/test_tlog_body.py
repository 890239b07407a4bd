"""The transparency-log entry body must describe the bundle's own signature, payload and
key: every field of every body kind the kit mints is replaced in turn (as a hostile log or
mirror could serve it), and each replacement is TLOG_BODY_MISMATCH, never another reason
and never `verified`, except the fields the verifier does not bind (listed, with why)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from auditor.models import Status
from auditor.verify import TrustMaterial, load_trust, verify_attestations
from tests.support.jsonpaths import json_paths, replaced
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
    for path in json_paths(body):
        for value in REPLACEMENTS:
            if replaced(body, path, value) == body:
                continue
            # Each mint signs afresh (ECDSA): edit the body minted with this signature.
            response = _mint(
                kit, fmt, kind, lambda b, p=path, v=value: json.dumps(replaced(b, p, v)).encode()
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


# Where each body kind keeps its fields: (format, tlog kind, path of the spec's root).
ROOTS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "intoto": ("v0.2", "intoto", ("spec", "content")),
    "dsse": ("v0.2", "dsse", ("spec",)),
    "rekor2-dsse": ("rekor2-dsse", None, ("spec", "dsseV002")),
    "hashedrekord": ("rekor2-hashedrekord", None, ("spec", "hashedRekordV002")),
}
SIG = "envelope.signatures.0.sig"
PUBKEY = "envelope.signatures.0.publicKey"
CERT = "x509Certificate.rawBytes"
B64_AAAA = base64.b64encode(b"AAAA").decode()  # double base64 of three zero bytes
B64_NOT_ASCII = base64.b64encode(b"\xff\xfe").decode()  # its inner layer is not ASCII
B64_BANG = base64.b64encode(b"!!").decode()  # its inner layer is not base64


def _pem_edit(old: bytes, new: bytes) -> Callable[[str], str]:
    """An edit of the PEM inside a base64(PEM) body field."""
    return lambda b64: base64.b64encode(base64.b64decode(b64).replace(old, new, 1)).decode()


def _edited(root: str, dotted: str, value: Any) -> tuple[str, str | None, Any]:
    """`value` replaces the field, or edits it when callable."""
    fmt, kind, prefix = ROOTS[root]
    path = (*prefix, *(int(k) if k.isdigit() else k for k in dotted.split(".")))

    def edit(body: Any) -> bytes:
        new = value
        if callable(value):
            node = body
            for key in path:
                node = node[key]
            new = value(node)
        return json.dumps(replaced(body, path, new)).encode()

    return fmt, kind, edit


def _refusal(kit: SigstoreKit, trust: TrustMaterial, root: str, dotted: str, value: Any) -> str:
    fmt, kind, edit = _edited(root, dotted, value)
    r = verify_attestations(NAME, VERSION, INTEGRITY, _mint(kit, fmt, kind, edit), trust)
    assert r.reason == "TLOG_BODY_MISMATCH", r.message
    return r.message or ""


# One edit per refusal of the body checks, and the field its message must name (which
# part of the entry describes another bundle).
MISMATCHES = [
    ("intoto", "envelope.signatures", [], "signature count"),
    ("intoto", SIG, B64_AAAA, "signature"),
    ("intoto", SIG, B64_NOT_ASCII, "signature"),
    ("intoto", "payloadHash.value", "0" * 64, "payloadHash"),
    ("intoto", "envelope.payloadType", "x", "payloadType"),
    ("intoto", PUBKEY, BAD_PEM, "signing key"),
    # a PEM with a damaged END line, or a character outside base64 inside it
    ("intoto", PUBKEY, _pem_edit(b"-----END CERTIFICATE", b"-----END CERTIFICATX"), "signing key"),
    ("intoto", PUBKEY, _pem_edit(b"-----\n", b"-----\n!"), "signing key"),
    ("intoto", "envelope.payload", B64_AAAA, "payload"),
    ("intoto", "envelope.payload", B64_NOT_ASCII, "payload"),
    ("dsse", "payloadHash.algorithm", "sha512", "payloadHash"),
    ("dsse", "signatures", [], "signature count"),
    ("dsse", "signatures.0.signature", "AAAA", "signature"),
    ("dsse", "signatures.0.verifier", BAD_PEM, "signing key"),
    ("rekor2-dsse", "payloadHash.algorithm", "SHA2_384", "payloadHash algorithm"),
    ("rekor2-dsse", "payloadHash.digest", "AAAA", "payloadHash"),
    ("rekor2-dsse", "signatures", [], "signature count"),
    ("rekor2-dsse", "signatures.0.content", "AAAA", "signature"),
    ("rekor2-dsse", f"signatures.0.verifier.{CERT}", "AAAA", "signing key"),
    ("hashedrekord", "data.algorithm", "MD5", "digest algorithm"),
    ("hashedrekord", "data.digest", "AAAA", "digest of the DSSE PAE"),
    ("hashedrekord", "signature", "x", "signature"),
    ("hashedrekord", "signature.content", "AAAA", "signature"),
    ("hashedrekord", f"signature.verifier.{CERT}", "AAAA", "signing key"),
]


@pytest.mark.parametrize(("root", "dotted", "value", "what"), MISMATCHES)
def test_a_mismatch_names_the_field(
    root: str, dotted: str, value: Any, what: str, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    message = _refusal(kit, kit_trust, root, dotted, value)
    assert f": tlog entry body {what} does not match the bundle" in message, message


# One undecodable value per base64 field of the body checks (both layers of the double
# base64 ones): TLOG_BODY_MISMATCH, not BUNDLE_MALFORMED, and the message names the field.
UNDECODABLE = [
    ("intoto", SIG, "!", "sig"),
    ("intoto", SIG, B64_BANG, "sig"),
    ("intoto", PUBKEY, "!", "public key"),
    ("intoto", "envelope.payload", "!", "payload"),
    ("intoto", "envelope.payload", B64_BANG, "payload"),
    ("dsse", "signatures.0.signature", "!", "signature"),
    ("dsse", "signatures.0.verifier", "!", "public key"),
    ("rekor2-dsse", "payloadHash.digest", "!", "payloadHash"),
    ("rekor2-dsse", "signatures.0.content", "!", "signature"),
    ("rekor2-dsse", f"signatures.0.verifier.{CERT}", "!", "verifier"),
    ("hashedrekord", "data.digest", "!", "digest"),
    ("hashedrekord", "signature.content", "!", "signature"),
    ("hashedrekord", f"signature.verifier.{CERT}", "!", "verifier"),
]


@pytest.mark.parametrize(("root", "dotted", "value", "what"), UNDECODABLE)
def test_an_undecodable_field_is_a_mismatch_naming_it(
    root: str, dotted: str, value: str, what: str, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    message = _refusal(kit, kit_trust, root, dotted, value)
    assert f": tlog body {what} is not valid base64" in message, message


def test_another_kind_is_named_cut_to_its_length(
    kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    response = _mint(kit, "v0.2", "dsse", lambda b: json.dumps({**b, "kind": "k" * 100}).encode())
    r = verify_attestations(NAME, VERSION, INTEGRITY, response, kit_trust)
    assert r.reason == "TLOG_BODY_MISMATCH", r.message
    kind = "k" * 100 + "/0.0.1"
    assert f": tlog body kind {kind[:60]!r} != kindVersion 'dsse/0.0.1'" in (r.message or "")
