"""Tampering with real responses: never a crash, never a pass, and the right reason code."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from auditor.models import Status
from auditor.verify import REASON_CODES, TrustMaterial, verify_attestations
from tests.verify.fixtures import case

PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
GUNDAM = case("gundam-visor@1.0.1")  # v0.2, intoto/0.0.2, proof + checkpoint + SET
PLAYWRIGHT = case("@playwright__cli@0.1.1".replace("__", "/"))  # v0.2/v0.3, dsse/0.0.1
SIGSTORE_100 = case("sigstore@1.0.0")  # v0.1, SET only, 3-certificate chain

Doc = dict[str, Any]


def _roles(doc: Doc) -> tuple[Doc, Doc]:
    """(provenance entry, publish entry) of a response document."""
    atts = doc["attestations"]
    prov = next(a for a in atts if a["predicateType"] != PUBLISH)
    pub = next(a for a in atts if a["predicateType"] == PUBLISH)
    return prov, pub


def _verify(doc: Doc | bytes, trust: TrustMaterial, c: Any = GUNDAM, **kw: Any) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    name = kw.get("name", c.name)
    version = kw.get("version", c.version)
    integrity = kw["integrity"] if "integrity" in kw else c.integrity()
    result = verify_attestations(name, version, integrity, body, trust)
    if result.status is Status.INVALID:
        assert result.reason in REASON_CODES
        assert result.message and "\n" not in result.message
    return result


def _flip_b64(value: str, index: int = -1) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


# --- grafts and swaps --------------------------------------------------------------------


@pytest.mark.parametrize("c", [GUNDAM, PLAYWRIGHT, SIGSTORE_100], ids=lambda c: c.spec)
def test_graft_sibling_tlog_entry(c: Any, trust: TrustMaterial) -> None:
    doc = c.document()
    prov, pub = _roles(doc)
    prov["bundle"]["verificationMaterial"]["tlogEntries"] = copy.deepcopy(
        pub["bundle"]["verificationMaterial"]["tlogEntries"]
    )
    r = _verify(doc, trust, c)
    assert (r.status, r.reason) == (Status.INVALID, "TLOG_BODY_MISMATCH")


def test_graft_into_publish(trust: TrustMaterial) -> None:
    doc = GUNDAM.document()
    prov, pub = _roles(doc)
    pub["bundle"]["verificationMaterial"]["tlogEntries"] = copy.deepcopy(
        prov["bundle"]["verificationMaterial"]["tlogEntries"]
    )
    assert _verify(doc, trust).reason == "TLOG_BODY_MISMATCH"


def test_swap_roles(trust: TrustMaterial) -> None:
    doc = GUNDAM.document()
    prov, pub = _roles(doc)
    prov["predicateType"], pub["predicateType"] = pub["predicateType"], prov["predicateType"]
    assert _verify(doc, trust).reason == "ROLE_MISMATCH"


def test_swap_bundles(trust: TrustMaterial) -> None:
    doc = GUNDAM.document()
    prov, pub = _roles(doc)
    prov["bundle"], pub["bundle"] = pub["bundle"], prov["bundle"]
    assert _verify(doc, trust).reason == "ROLE_MISMATCH"


def test_package_a_served_for_package_b(trust: TrustMaterial) -> None:
    r = _verify(GUNDAM.response(), trust, name="gundam-visor-fork")
    assert r.reason == "SUBJECT_NAME"
    r = _verify(GUNDAM.response(), trust, version="1.0.2")
    assert r.reason == "SUBJECT_NAME"
    # Another real package's response under gundam-visor's name and integrity.
    r = _verify(SIGSTORE_100.response(), trust, name=GUNDAM.name, version=GUNDAM.version)
    assert r.reason == "SUBJECT_NAME"


def test_scoped_name_needs_encoded_purl(trust: TrustMaterial) -> None:
    c = PLAYWRIGHT
    assert _verify(c.response(), trust, c).status is Status.VERIFIED
    assert _verify(c.response(), trust, c, name="playwright/cli").reason == "SUBJECT_NAME"


def test_lockfile_integrity_changed(trust: TrustMaterial) -> None:
    other = SIGSTORE_100.integrity()
    assert _verify(GUNDAM.response(), trust, integrity=other).reason == "SUBJECT_DIGEST"


@pytest.mark.parametrize(
    ("integrity", "reason"),
    [
        (None, "MISSING_INTEGRITY"),
        ("", "MISSING_INTEGRITY"),
        ("  ", "MISSING_INTEGRITY"),
        ("sha512-not base64!", "INTEGRITY_MALFORMED"),
        ("SHA512-" + GUNDAM.integrity().removeprefix("sha512-"), "INTEGRITY_UNCHECKED"),
        ("sha3-512-" + GUNDAM.integrity().removeprefix("sha512-"), "INTEGRITY_UNCHECKED"),
        (GUNDAM.integrity().rstrip("="), "INTEGRITY_MALFORMED"),
        (f"{GUNDAM.integrity()} {SIGSTORE_100.integrity()}", "INTEGRITY_AMBIGUOUS"),
        (f"{SIGSTORE_100.integrity()} {GUNDAM.integrity()}", "INTEGRITY_AMBIGUOUS"),
        ("sha1-" + base64.b64encode(b"\x01" * 20).decode(), "WEAK_INTEGRITY"),
        ("sha256-" + base64.b64encode(b"\x01" * 32).decode(), "WEAK_INTEGRITY"),
    ],
)
def test_unusable_integrity(integrity: str | None, reason: str, trust: TrustMaterial) -> None:
    assert _verify(GUNDAM.response(), trust, integrity=integrity).reason == reason


def test_integrity_with_several_hashes(trust: TrustMaterial) -> None:
    sha1 = "sha1-" + base64.b64encode(b"\x01" * 20).decode()
    r = _verify(GUNDAM.response(), trust, integrity=f"{sha1} {GUNDAM.integrity()}")
    assert r.status is Status.VERIFIED


def test_duplicate_attestation(trust: TrustMaterial) -> None:
    doc = GUNDAM.document()
    doc["attestations"].append(copy.deepcopy(doc["attestations"][0]))
    assert _verify(doc, trust).reason == "DUPLICATE_ATTESTATION"


def test_strip_provenance_is_publish_only(trust: TrustMaterial) -> None:
    # A stripped set still verifies as publish-only; the policy's provenance-stripped
    # rule compares with the packument.  The verifier must not call it verified.
    doc = GUNDAM.document()
    _, pub = _roles(doc)
    doc["attestations"] = [pub]
    assert _verify(doc, trust).status is Status.PUBLISH_ONLY


# --- one bit in each signed field --------------------------------------------------------


def _bundle(doc: Doc, role: str) -> Doc:
    prov, pub = _roles(doc)
    bundle: Doc = (prov if role == "provenance" else pub)["bundle"]
    return bundle


def _entry(b: Doc) -> Doc:
    entry: Doc = b["verificationMaterial"]["tlogEntries"][0]
    return entry


def _set_payload(b: Doc) -> None:
    env = b["dsseEnvelope"]
    payload = json.loads(base64.b64decode(env["payload"]))
    payload["subject"][0]["digest"]["sha512"] = "0" * 128
    env["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()


def _flip_cert(b: Doc) -> None:
    vm = b["verificationMaterial"]
    holder = (
        vm["certificate"] if "certificate" in vm else vm["x509CertificateChain"]["certificates"][0]
    )
    holder["rawBytes"] = _flip_b64(holder["rawBytes"], -40)


def _flip_checkpoint(b: Doc) -> None:
    cp = _entry(b)["inclusionProof"]["checkpoint"]
    lines = cp["envelope"].split("\n")
    lines[1] = str(int(lines[1]) + 1)
    cp["envelope"] = "\n".join(lines)


def _flip_checkpoint_sig(b: Doc) -> None:
    cp = _entry(b)["inclusionProof"]["checkpoint"]
    head, _, sigline = cp["envelope"].rstrip("\n").rpartition("\n")
    prefix, _, sig = sigline.rpartition(" ")
    cp["envelope"] = f"{head}\n{prefix} {_flip_b64(sig, -3)}\n"


MUTATIONS: dict[str, tuple[Callable[[Doc], None], set[str]]] = {
    "payload": (_set_payload, {"DSSE_SIGNATURE"}),
    "payload-type": (
        lambda b: b["dsseEnvelope"].__setitem__("payloadType", "application/json"),
        {"DSSE_SIGNATURE"},
    ),
    "signature": (
        lambda b: b["dsseEnvelope"]["signatures"][0].__setitem__(
            "sig", _flip_b64(b["dsseEnvelope"]["signatures"][0]["sig"], 10)
        ),
        {"DSSE_SIGNATURE"},
    ),
    "body": (
        lambda b: _entry(b).__setitem__(
            "canonicalizedBody", _flip_b64(_entry(b)["canonicalizedBody"], 30)
        ),
        {"TLOG_BODY_MISMATCH"},
    ),
    "set": (
        lambda b: _entry(b)["inclusionPromise"].__setitem__(
            "signedEntryTimestamp",
            _flip_b64(_entry(b)["inclusionPromise"]["signedEntryTimestamp"], 12),
        ),
        {"SET_INVALID"},
    ),
    "integrated-time": (
        lambda b: _entry(b).__setitem__(
            "integratedTime", str(int(_entry(b)["integratedTime"]) - 1)
        ),
        {"SET_INVALID"},
    ),
    "log-index": (
        lambda b: _entry(b).__setitem__("logIndex", str(int(_entry(b)["logIndex"]) + 1)),
        {"SET_INVALID"},
    ),
    "log-id": (
        lambda b: _entry(b)["logId"].__setitem__("keyId", _flip_b64(_entry(b)["logId"]["keyId"])),
        {"LOG_UNKNOWN"},
    ),
    "kind": (
        lambda b: _entry(b)["kindVersion"].__setitem__("kind", "hashedrekord"),
        {"UNSUPPORTED_FORMAT", "TLOG_BODY_MISMATCH"},
    ),
    "cert": (_flip_cert, {"CERT_CHAIN", "DSSE_SIGNATURE", "SCT", "TLOG_BODY_MISMATCH"}),
    "key-hint": (
        lambda b: b["verificationMaterial"]["publicKey"].__setitem__("hint", "SHA256:unknown"),
        {"KEY_UNKNOWN"},
    ),
    "proof-hash": (
        lambda b: _entry(b)["inclusionProof"]["hashes"].__setitem__(
            0, _flip_b64(_entry(b)["inclusionProof"]["hashes"][0])
        ),
        {"INCLUSION_PROOF"},
    ),
    "proof-index": (
        lambda b: _entry(b)["inclusionProof"].__setitem__(
            "logIndex", str(int(_entry(b)["inclusionProof"]["logIndex"]) - 1)
        ),
        {"INCLUSION_PROOF"},
    ),
    "proof-root": (
        lambda b: _entry(b)["inclusionProof"].__setitem__(
            "rootHash", _flip_b64(_entry(b)["inclusionProof"]["rootHash"])
        ),
        {"INCLUSION_PROOF"},
    ),
    "tree-size": (
        lambda b: _entry(b)["inclusionProof"].__setitem__(
            "treeSize", str(int(_entry(b)["inclusionProof"]["treeSize"]) + 1)
        ),
        {"INCLUSION_PROOF"},
    ),
    "checkpoint-size": (_flip_checkpoint, {"CHECKPOINT"}),
    "checkpoint-signature": (_flip_checkpoint_sig, {"CHECKPOINT"}),
    "checkpoint-missing": (
        lambda b: _entry(b)["inclusionProof"].pop("checkpoint"),
        {"INCLUSION_PROOF"},
    ),
    "proof-missing": (lambda b: _entry(b).pop("inclusionProof"), {"INCLUSION_PROOF"}),
    "set-missing-v02": (lambda b: _entry(b).pop("inclusionPromise"), {"NO_VERIFIED_TIME"}),
    "media-type": (
        lambda b: b.__setitem__(
            "mediaType", "application/vnd.dev.sigstore.bundle+json;version=0.9"
        ),
        {"UNSUPPORTED_FORMAT"},
    ),
}


def _cases() -> Iterator[Any]:
    for c in (GUNDAM, PLAYWRIGHT):
        for role in ("provenance", "publish"):
            for name, (mutate, reasons) in MUTATIONS.items():
                if role == "provenance" and name == "key-hint":
                    continue
                if role == "publish" and name == "cert":
                    continue
                yield pytest.param(c, role, mutate, reasons, id=f"{c.spec}-{role}-{name}")


@pytest.mark.parametrize(("c", "role", "mutate", "reasons"), list(_cases()))
def test_flip_signed_field(
    c: Any, role: str, mutate: Callable[[Doc], None], reasons: set[str], trust: TrustMaterial
) -> None:
    doc = c.document()
    mutate(_bundle(doc, role))
    r = _verify(doc, trust, c)
    assert r.status is Status.INVALID
    assert r.reason in reasons, r.message
    assert r.message.startswith(f"{role} bundle:")


V01_MUTATIONS = {
    "set": MUTATIONS["set"],
    "integrated-time": MUTATIONS["integrated-time"],
    "log-index": MUTATIONS["log-index"],
    "body": MUTATIONS["body"],
    "set-missing": (lambda b: _entry(b).pop("inclusionPromise"), {"SET_INVALID"}),
    "payload": MUTATIONS["payload"],
}


@pytest.mark.parametrize("name", sorted(V01_MUTATIONS))
@pytest.mark.parametrize("role", ["provenance", "publish"])
def test_flip_v01_field(name: str, role: str, trust: TrustMaterial) -> None:
    mutate, reasons = V01_MUTATIONS[name]
    doc = SIGSTORE_100.document()
    mutate(_bundle(doc, role))
    r = _verify(doc, trust, SIGSTORE_100)
    assert r.reason in reasons, r.message


def test_v01_chain_extra_certs_are_not_anchors(trust: TrustMaterial) -> None:
    # Bundle-supplied intermediates/roots are ignored: replacing them changes nothing.
    doc = SIGSTORE_100.document()
    chain = _bundle(doc, "provenance")["verificationMaterial"]["x509CertificateChain"]
    assert len(chain["certificates"]) == 3
    chain["certificates"][1:] = [{"rawBytes": base64.b64encode(b"junk").decode()}]
    assert _verify(doc, trust, SIGSTORE_100).status is Status.VERIFIED


def test_lenient_base64_rejected(trust: TrustMaterial) -> None:
    # Python's default decoder would drop the stray characters and accept this.
    doc = GUNDAM.document()
    env = _bundle(doc, "publish")["dsseEnvelope"]
    env["signatures"][0]["sig"] = "!*" + env["signatures"][0]["sig"]
    assert _verify(doc, trust).reason == "BUNDLE_MALFORMED"


def test_two_dsse_signatures(trust: TrustMaterial) -> None:
    doc = GUNDAM.document()
    sigs = _bundle(doc, "publish")["dsseEnvelope"]["signatures"]
    sigs.append(dict(sigs[0]))
    assert _verify(doc, trust).reason == "BUNDLE_MALFORMED"


def test_both_key_materials(trust: TrustMaterial) -> None:
    doc = GUNDAM.document()
    vm = _bundle(doc, "publish")["verificationMaterial"]
    vm["certificate"] = {"rawBytes": "AAAA"}
    assert _verify(doc, trust).reason == "BUNDLE_MALFORMED"


# --- the checkpoint (signed note), line by line -------------------------------------------


def _note(doc: Doc) -> tuple[Doc, str]:
    cp: Doc = _entry(_bundle(doc, "provenance"))["inclusionProof"]["checkpoint"]
    return cp, cp["envelope"]


# edit -> (how, what the message must name: the check that caught it)
def _short_signature(note: str) -> str:
    """The log's signature line cut to its key hint and one byte: a candidate that fails."""
    head, sig = note.rstrip("\n").rsplit(" ", 1)
    return f"{head} {base64.b64encode(base64.b64decode(sig)[:5]).decode()}\n"


LONG_ORIGIN = "x" * 100 + " - 1"
NOTE_EDITS: dict[str, tuple[Callable[[str], str], str]] = {
    "no signature block": (lambda n: n.replace("\n\n", "\n"), "no signature block"),
    "blank first line": (lambda n: "\n\n" + n, "is malformed"),
    "block without final newline": (lambda n: n.rstrip("\n"), "is malformed"),
    "blank line after the signatures": (lambda n: n + "\n", "malformed checkpoint signature"),
    "two lines only": (
        lambda n: "\n".join(n.split("\n")[:2]) + "\n\n" + n.split("\n\n", 1)[1],
        "is malformed",
    ),
    "other origin": (lambda n: "rekor.example.test - 1" + n[n.index("\n") :], "origin"),
    "long origin": (
        lambda n: LONG_ORIGIN + n[n.index("\n") :],
        f"checkpoint origin {LONG_ORIGIN[:80]!r} is not log 'rekor.sigstore.dev'",
    ),
    "origin without tree id": (lambda n: n.split(" - ", 1)[0] + n[n.index("\n") :], "origin"),
    "size not a number": (lambda n: n.replace("\n", "\nx", 1), "size"),
    "long size": (
        lambda n: n.replace("\n", "\n" + "9" * 30, 1),
        f"checkpoint size {'9' * 24!r} != ",
    ),
    "root not base64": (
        lambda n: n.replace("\n", "\n!", 2).replace("\n!", "\n", 1),
        "root hash",
    ),
    "signature line malformed": (
        lambda n: n.replace("\u2014 ", "- ", 1),
        "malformed checkpoint signature",
    ),
    "signature not base64": (
        lambda n: n.rsplit(" ", 1)[0] + " A\n",
        "checkpoint signature is not valid base64",
    ),
    "signature of one byte": (_short_signature, "(1 candidate lines)"),
    "signature for another log": (
        lambda n: n.replace("\u2014 rekor.sigstore.dev", "\u2014 x", 1),
        "no valid checkpoint signature",
    ),
}


@pytest.mark.parametrize("edit", sorted(NOTE_EDITS))
def test_checkpoint_edits_are_checkpoint_failures(edit: str, trust: TrustMaterial) -> None:
    """Each malformed or foreign note is CHECKPOINT, never another code or a pass."""
    doc = GUNDAM.document()
    cp, note = _note(doc)
    how, named = NOTE_EDITS[edit]
    cp["envelope"] = how(note)
    assert cp["envelope"] != note
    r = _verify(doc, trust)
    assert (r.status, r.reason) == (Status.INVALID, "CHECKPOINT"), (edit, r.message)
    assert named in r.message, (edit, r.message)


def test_log_url_with_a_port_accepts_notes_named_without_it(tmp_path: Any) -> None:
    """A private log configured as `https://host:port` signs its notes as `host`."""
    from importlib import resources

    from auditor.verify import load_trust

    root = json.loads(resources.files("auditor").joinpath("data", "trusted_root.json").read_text())
    for log in root["tlogs"]:
        if log["baseUrl"] == "https://rekor.sigstore.dev":
            log["baseUrl"] += ":443"
    path = tmp_path / "trusted_root.json"
    path.write_text(json.dumps(root))
    assert _verify(GUNDAM.document(), load_trust(path)).status is Status.VERIFIED
