"""sigstore-conformance `bundle-verify` cases through the verifier (fixtures/sigstore-conformance).

Every vendored case runs; its expected outcome is the suite's (a `_fail` suffix means
verification must fail).  Shapes are adapted, not the verifier:

* DSSE bundles (in-toto statements: what npm serves) go through `verify_bundle` unchanged:
  role by key material (a certificate is provenance, a public key hint is publish), then
  the two checks the conformance client adds and npm verification does differently (npm
  binds a purl and sha512; the suite an artifact's sha256 and a signer identity) are done
  here: a subject's sha256 is the artifact's, and the certificate's SAN and issuer are the
  expected identity.
* Message-signature bundles (`hashedrekord`; npm never serves them, and `verify_bundle`
  rejects them, tested below) run the verifier's own steps after this file parses the
  content: role binding, log lookup, SET, inclusion proof, checkpoint, RFC 3161 timestamps,
  validity windows, Fulcio chain and SCT, npm-key window.  Only the signature over the
  artifact and the hashedrekord body binding are checked here, and the cases decided by
  those alone are not vendored (docs/verification.md lists them).
* A case's `key.pub` (a "managed key") becomes the npm attestation key named by the
  bundle's hint, in an npm keys file next to the case's trusted root.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import TrustError
from auditor.models import Identity
from auditor.verify import Reject, TrustMaterial, core, load_trust, tlog, verify_bundle
from auditor.verify import bundle as bundle_mod
from auditor.verify._util import b64decode, get_list, get_obj, verify_sig

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "sigstore-conformance" / "bundle-verify"
CASES = sorted(d.name for d in ROOT.iterdir() if d.is_dir())
DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"
# The cases that disagreed before the fixes of issue 13 (each now agrees).
FIXED = {
    "intoto-with-custom-trust-root",
    "trust-root-tlog-validity-end-inclusive",
    "trust-root-tsa-validity-end-inclusive",
}


class CaseFailed(Exception):
    """A check of this file (identity, artifact, message signature, body) failed."""


def _text(case: Path, name: str, default: str) -> str:
    path = case / name
    return path.read_text().strip() if path.exists() else default


def _trust(case: Path, obj: Any, tmp: Path) -> TrustMaterial:
    root = case / "trusted_root.json"
    keys = None
    pub = case / "key.pub"
    if pub.exists():
        # PEM body -> base64 DER as the keys file stores it; the verifier's loader judges it.
        lines = pub.read_text().strip().splitlines()
        raw = "".join(line for line in lines if not line.startswith("-----"))
        hint = obj["verificationMaterial"]["publicKey"]["hint"]
        doc = {
            "keys": [
                {
                    "keyId": hint,
                    "keyUsage": "npm:attestations",
                    "publicKey": {
                        "rawBytes": raw,
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": "1970-01-01T00:00:00Z"},
                    },
                }
            ]
        }
        keys = tmp / "npm-keys.json"
        keys.write_text(json.dumps(doc))
    return load_trust(root if root.exists() else None, keys)


def _role(obj: Any) -> str:
    vm = obj.get("verificationMaterial") if isinstance(obj, dict) else None
    has_key = isinstance(vm, dict) and vm.get("publicKey") is not None
    return core.PUBLISH if has_key else core.PROVENANCE


def _check_identity(identity: Identity | None, case: Path) -> None:
    if identity is None:  # a managed key: no identity to check
        return
    want = (_text(case, "identity", DEFAULT_IDENTITY), _text(case, "issuer", DEFAULT_ISSUER))
    if (identity.san, identity.issuer) != want:
        raise CaseFailed(f"signer {identity.san!r} / {identity.issuer!r}, expected {want}")


def _verify_dsse(obj: Any, artifact: bytes, trust: TrustMaterial, case: Path) -> None:
    outcome = verify_bundle(obj, _role(obj), trust, case.name)
    statement = json.loads(outcome.bundle.payload)
    digest = hashlib.sha256(artifact).hexdigest()
    if not any(s.get("digest", {}).get("sha256") == digest for s in statement["subject"]):
        raise CaseFailed("no subject carries the artifact's sha256")
    _check_identity(outcome.identity, case)


def _check_hashedrekord_body(b: Any, signer: core.Signer, artifact: bytes) -> None:
    """The log entry describes this artifact, signature and key (hashedrekord 0.0.1/0.0.2)."""
    body = json.loads(b.tlog.body)
    if f"{body.get('kind')}/{body.get('apiVersion')}" != b.tlog.kind:
        raise CaseFailed("tlog body kind differs from kindVersion")
    is_cert = signer.cert is not None
    digest = hashlib.sha256(artifact)
    if b.tlog.kind == "hashedrekord/0.0.1":
        spec = body["spec"]
        if spec["data"]["hash"] != {"algorithm": "sha256", "value": digest.hexdigest()}:
            raise CaseFailed("tlog body hash is not the artifact's")
        sig, key = spec["signature"]["content"], spec["signature"]["publicKey"]["content"]
        same_key = tlog._b64_pem_matches(key, signer.der, is_cert, "body")
    elif b.tlog.kind == "hashedrekord/0.0.2":
        spec = body["spec"]["hashedRekordV002"]
        data = spec["data"]
        if data["algorithm"] != "SHA2_256" or b64decode(data["digest"], "d") != digest.digest():
            raise CaseFailed("tlog body digest is not the artifact's")
        sig = spec["signature"]["content"]
        same_key = tlog._verifier_matches(spec["signature"]["verifier"], signer.der, is_cert, "")
    else:
        raise CaseFailed(f"message signature logged as {b.tlog.kind}")
    if b64decode(sig, "body signature") != b.signature or not same_key:
        raise CaseFailed("tlog body signature or key is not the bundle's")


def _verify_message(obj: Any, artifact: bytes, trust: TrustMaterial, case: Path) -> None:
    label = case.name
    with pytest.raises(Reject) as npm_path:  # what npm verification does with it
        verify_bundle(obj, _role(obj), trust, label)
    assert npm_path.value.code in ("UNSUPPORTED_FORMAT", "BUNDLE_MALFORMED")
    # Parse: the bundle module's own readers for everything but the content.
    version = bundle_mod.MEDIA_TYPES.get(obj.get("mediaType"))
    if version is None:
        raise Reject("UNSUPPORTED_FORMAT", f"{label}: unknown media type")
    vm = get_obj(obj, "verificationMaterial", label)
    leaf_der, hint = bundle_mod.key_material(vm, version, label)
    message = get_obj(obj, "messageSignature", label)
    signature = b64decode(message.get("signature"), f"{label}: messageSignature.signature")
    entries = get_list(vm, "tlogEntries", label, 32)
    if len(entries) != 1:
        raise Reject("BUNDLE_MALFORMED", f"{label}: {len(entries)} tlog entries")
    # hashedrekord/0.0.1 (the Rekor v1 kind of message signatures) is no npm tlog kind, so
    # the entry parser refuses it: parse it under a kind it knows, then put the real one back.
    entry = json.loads(json.dumps(entries[0]))
    kind_version = entry.get("kindVersion") if isinstance(entry, dict) else None
    real_kind = None
    if kind_version == {"kind": "hashedrekord", "version": "0.0.1"}:
        entry["kindVersion"] = {"kind": "hashedrekord", "version": "0.0.2"}
        real_kind = "hashedrekord/0.0.1"
    parsed = bundle_mod.tlog_entry(entry, version, label)
    if real_kind is not None:
        parsed = dataclasses.replace(parsed, kind=real_kind)
    b = bundle_mod.Bundle(
        media_type=obj["mediaType"],
        version=version,
        leaf_der=leaf_der,
        key_hint=hint,
        payload=artifact,
        payload_type="",
        signature=signature,
        sig_keyid="",
        tlog=parsed,
        timestamps=bundle_mod.parse_timestamps(vm, label),
    )
    # The verifier's steps, in verify_bundle's order, with the content kind's own checks.
    signer = core.bundle_signer(b, _role(obj), trust, label)
    if not verify_sig(signer.key, signature, artifact):
        raise CaseFailed("message signature does not verify over the artifact")
    log = core.find_log(b, trust, label)
    _check_hashedrekord_body(b, signer, artifact)
    times = core.verified_times(b, log, trust, label)
    identity, _ = core.check_signer_at(signer, times, trust, label)
    _check_identity(identity, case)


def run_case(name: str, tmp: Path) -> None:
    """Raises when verification fails (Reject, TrustError, CaseFailed, or bad JSON)."""
    case = ROOT / name  # an absolute path replaces ROOT
    obj = json.loads((case / "bundle.sigstore.json").read_bytes())
    artifact_path = case / "artifact"
    artifact = (artifact_path if artifact_path.exists() else ROOT / "a.txt").read_bytes()
    trust = _trust(case, obj, tmp)
    if isinstance(obj, dict) and obj.get("messageSignature") is not None:
        _verify_message(obj, artifact, trust, case)
    else:
        _verify_dsse(obj, artifact, trust, case)


# Why each `_fail` case fails: the verifier's reason code (TrustError: the trusted root or
# keys file is refused; JSON: the bundle is not JSON), so that no case fails by accident.
EXPECTED_FAILURE = {
    "bundle-empty-certificate-chain_fail": "BUNDLE_MALFORMED",
    "bundle-from-wrong-instance_fail": "LOG_UNKNOWN",
    "bundle-invalid-base64-signature_fail": "BUNDLE_MALFORMED",
    "bundle-malformed-json_fail": "JSON",
    "bundle-negative-log-index_fail": "BUNDLE_MALFORMED",
    "bundle-unknown-version_fail": "UNSUPPORTED_FORMAT",
    "checkpoint-bad-keyhint_fail": "CHECKPOINT",
    "checkpoint-wrong-roothash_fail": "CHECKPOINT",
    "dsse-invalid-sig_fail": "DSSE_SIGNATURE",
    "dsse-mismatch-envelope_fail": "TLOG_BODY_MISMATCH",
    "dsse-mismatch-sig_fail": "TLOG_BODY_MISMATCH",
    "inclusion-proof-corrupted-hash_fail": "INCLUSION_PROOF",
    "integrated-time-in-future_fail": "CERT_CHAIN",
    "intoto-expired-certificate_fail": "CERT_CHAIN",
    "intoto-log-entry-mismatch_fail": "TLOG_BODY_MISMATCH",
    "intoto-missing-inclusion-proof_fail": "INCLUSION_PROOF",
    "intoto-set-outside-signing-cert-validity_fail": "CERT_CHAIN",
    "intoto-tsa-timestamp-outside-cert-validity_fail": "CERT_CHAIN",
    "invalid-checkpoint-signature_fail": "CHECKPOINT",
    "invalid-ct-key_fail": "SCT",
    "invalid-inclusion-proof_fail": "INCLUSION_PROOF",
    "managed-key-no-key_fail": "KEY_UNKNOWN",
    "managed-key-wrong-key_fail": "TrustError",
    "rekor2-checkpoint-missing-log-signature_fail": "CHECKPOINT",
    "rekor2-checkpoint-missing-origin_fail": "CHECKPOINT",
    "rekor2-checkpoint-missing-root-hash_fail": "CHECKPOINT",
    "rekor2-checkpoint-missing-size_fail": "CHECKPOINT",
    "rekor2-checkpoint-no-matching-signature_fail": "CHECKPOINT",
    "rekor2-dsse-invalid-sig_fail": "DSSE_SIGNATURE",
    "rekor2-dsse-mismatch-envelope_fail": "TLOG_BODY_MISMATCH",
    "rekor2-dsse-mismatch-sig_fail": "TLOG_BODY_MISMATCH",
    "rekor2-no-inclusion-proof_fail": "INCLUSION_PROOF",
    "rekor2-no-timestamp_fail": "NO_VERIFIED_TIME",
    "rekor2-timestamp-outside-trust-root-tsa-validity_fail": "TIMESTAMP_INVALID",
    "rekor2-timestamp-outside-tsa-cert-validity_fail": "TIMESTAMP_INVALID",
    "rekor2-timestamp-payload-mismatch_fail": "TIMESTAMP_INVALID",
    "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": "TIMESTAMP_INVALID",
    "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": "TIMESTAMP_INVALID",
    # Its token is line-wrapped base64, which strict decoding refuses (see the next test).
    "rekor2-timestamp-with-incorrect-time_fail": "BUNDLE_MALFORMED",
    "set-invalid-signature_fail": "SET_INVALID",
    "trust-root-tlog-missing-validity-start_fail": "TrustError",
}


def _failure(name: str, tmp: Path) -> str:
    try:
        run_case(name, tmp)
    except Reject as rej:
        return rej.code
    except TrustError:
        return "TrustError"
    except json.JSONDecodeError:
        return "JSON"
    except CaseFailed as exc:
        return f"test-side check: {exc}"
    return "passed"


@pytest.mark.parametrize("name", CASES)
def test_conformance_case(name: str, tmp_path: Path) -> None:
    if name.endswith("_fail"):
        assert _failure(name, tmp_path) == EXPECTED_FAILURE[name]
    else:
        run_case(name, tmp_path)


def test_unwrapped_timestamp_fails_for_its_intended_reason(tmp_path: Path) -> None:
    """rekor2-timestamp-with-incorrect-time_fail without the line breaks in its base64 (Go's
    decoder skips them): the timestamp is outside the certificate's lifetime."""
    name = "rekor2-timestamp-with-incorrect-time_fail"
    case = tmp_path / name
    shutil.copytree(ROOT / name, case)
    doc = json.loads((case / "bundle.sigstore.json").read_text())
    ts = doc["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]
    ts["signedTimestamp"] = ts["signedTimestamp"].replace("\n", "")
    (case / "bundle.sigstore.json").write_text(json.dumps(doc))
    with pytest.raises(Reject) as rej:
        run_case(str(case), tmp_path)
    assert rej.value.code == "CERT_CHAIN"


def test_every_failing_case_has_an_expected_reason() -> None:
    assert sorted(EXPECTED_FAILURE) == [n for n in CASES if n.endswith("_fail")]
