"""The Rekor v2 path against a real staging bundle (dsse/0.0.2, TSA time, Ed25519 log)."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.models import Status
from auditor.verify import Reject, TrustMaterial, load_trust, verify_attestations, verify_bundle
from tests.verify.fixtures import ROOT

V2 = ROOT / "rekor-v2"
BUNDLE: dict[str, Any] = json.loads((V2 / "a.dsse.staging-rekor-v2.txt.sigstore.json").read_text())


@pytest.fixture(scope="module")
def staging() -> TrustMaterial:
    return load_trust(V2 / "staging-trusted_root.json", None)


def _root() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((V2 / "staging-trusted_root.json").read_text())
    return doc


def _reject(bundle: dict[str, Any], trust: TrustMaterial) -> Reject:
    with pytest.raises(Reject) as info:
        verify_bundle(bundle, "provenance", trust, "v2 bundle")
    return info.value


def test_staging_rekor_v2_bundle_verifies(staging: TrustMaterial) -> None:
    outcome = verify_bundle(copy.deepcopy(BUNDLE), "provenance", staging, "v2 bundle")
    assert outcome.bundle.tlog.kind == "dsse/0.0.2"
    # The only verified time is the TSA's genTime: Rekor v2 has no SET.
    assert outcome.times == (datetime(2025, 6, 9, 21, 6, 28, tzinfo=UTC),)
    assert outcome.identity is not None
    assert outcome.identity.issuer == "https://accounts.google.com"
    assert outcome.identity.san and outcome.identity.san.endswith(".iam.gserviceaccount.com")
    host = [log.host for log in staging.tlogs if not log.rekor_v1]
    assert "log2025-alpha1.rekor.sigstage.dev" in host


def _tsa(b: dict[str, Any]) -> dict[str, Any]:
    ts: dict[str, Any] = b["verificationMaterial"]["timestampVerificationData"]
    return ts


def _flip(value: str, index: int) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[index] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def test_no_timestamp_no_time(staging: TrustMaterial) -> None:
    b = copy.deepcopy(BUNDLE)
    _tsa(b)["rfc3161Timestamps"] = []
    assert _reject(b, staging).code == "NO_VERIFIED_TIME"


def test_timestamp_tampered(staging: TrustMaterial) -> None:
    b = copy.deepcopy(BUNDLE)
    token = _tsa(b)["rfc3161Timestamps"][0]
    token["signedTimestamp"] = _flip(token["signedTimestamp"], -10)  # inside the signature
    assert _reject(b, staging).code == "TIMESTAMP_INVALID"
    b = copy.deepcopy(BUNDLE)
    _tsa(b)["rfc3161Timestamps"][0]["signedTimestamp"] = base64.b64encode(b"junk").decode()
    assert _reject(b, staging).code == "TIMESTAMP_INVALID"


def test_timestamp_over_other_signature(staging: TrustMaterial) -> None:
    # The token is bound to the DSSE signature bytes (message imprint).
    b = copy.deepcopy(BUNDLE)
    sig = b["dsseEnvelope"]["signatures"][0]
    sig["sig"] = _flip(sig["sig"], 12)
    assert _reject(b, staging).code == "DSSE_SIGNATURE"


def test_checkpoint_signature(staging: TrustMaterial) -> None:
    b = copy.deepcopy(BUNDLE)
    cp = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
    head, _, sigline = cp["envelope"].rstrip("\n").rpartition("\n")
    prefix, _, sig = sigline.rpartition(" ")
    cp["envelope"] = f"{head}\n{prefix} {_flip(sig, 10)}\n"
    assert _reject(b, staging).code == "CHECKPOINT"


def test_checkpoint_origin_must_be_host(staging: TrustMaterial) -> None:
    b = copy.deepcopy(BUNDLE)
    cp = b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]
    cp["envelope"] = cp["envelope"].replace(
        "log2025-alpha1.rekor.sigstage.dev\n690", "log2025-alpha1.rekor.sigstage.dev - 1\n690", 1
    )
    assert _reject(b, staging).code == "CHECKPOINT"


def test_body_bound_to_envelope(staging: TrustMaterial) -> None:
    b = copy.deepcopy(BUNDLE)
    entry = b["verificationMaterial"]["tlogEntries"][0]
    body = json.loads(base64.b64decode(entry["canonicalizedBody"]))
    body["spec"]["dsseV002"]["payloadHash"]["digest"] = base64.b64encode(b"\0" * 32).decode()
    entry["canonicalizedBody"] = base64.b64encode(json.dumps(body).encode()).decode()
    assert _reject(b, staging).code in {"TLOG_BODY_MISMATCH", "INCLUSION_PROOF"}


def test_log_window(tmp_path: Path) -> None:
    root = _root()
    for log in root["tlogs"]:
        if "alpha1" in log["baseUrl"]:
            log["publicKey"]["validFor"]["end"] = "2025-05-01T00:00:00Z"
    path = tmp_path / "root.json"
    path.write_text(json.dumps(root))
    assert _reject(copy.deepcopy(BUNDLE), load_trust(path, None)).code == "LOG_UNKNOWN"


def test_tsa_window(tmp_path: Path) -> None:
    root = _root()
    for tsa in root["timestampAuthorities"]:
        tsa["validFor"]["start"] = "2025-07-01T00:00:00Z"
    path = tmp_path / "root.json"
    path.write_text(json.dumps(root))
    assert _reject(copy.deepcopy(BUNDLE), load_trust(path, None)).code == "TIMESTAMP_INVALID"


def test_production_root_rejects_staging(trust: TrustMaterial) -> None:
    assert _reject(copy.deepcopy(BUNDLE), trust).code == "LOG_UNKNOWN"


def test_as_npm_response_is_not_an_npm_attestation(staging: TrustMaterial) -> None:
    body = json.dumps(
        {"attestations": [{"predicateType": "https://slsa.dev/provenance/v1", "bundle": BUNDLE}]}
    ).encode()
    integrity = "sha512-" + base64.b64encode(b"\1" * 64).decode()
    r = verify_attestations("a.txt", "1.0.0", integrity, body, staging)
    assert r.status is Status.INVALID
    assert r.reason in {"SUBJECT_DIGEST", "SUBJECT_NAME"}


def test_checkpoint_key_id_field(tmp_path: Path) -> None:
    # A root that names the log by another logId but gives its checkpointKeyId.
    root = _root()
    for log in root["tlogs"]:
        if "alpha1" in log["baseUrl"]:
            log["checkpointKeyId"] = dict(log["logId"])
            log["logId"] = {"keyId": base64.b64encode(b"\7" * 32).decode()}
    path = tmp_path / "root.json"
    path.write_text(json.dumps(root))
    outcome = verify_bundle(copy.deepcopy(BUNDLE), "provenance", load_trust(path, None), "v2")
    assert outcome.bundle.tlog.kind == "dsse/0.0.2"
