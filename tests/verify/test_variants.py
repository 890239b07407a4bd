"""Every recorded tampered variant (fixtures/real/variants) fails with the right reason."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from auditor.models import Status
from auditor.verify import TrustMaterial, verify_attestations
from tests.verify.fixtures import VARIANTS, case, sri_from_hex

PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"

# slsa-verifier's response variants -> the real package whose response was altered
_ORIGINALS = {
    "gundam-visor-cli-v1-tag": "gundam-visor@1.0.1",
    "provenance-npm-test-cli-v02-prega": "@laurentsimon/provenance-npm-test@1.0.3",
    "provenance-npm-test-cli-v1-prega": "sigstore@2.3.1",
    "provenance-npm-test-ossf": "@laurentsimon/provenance-npm-test@1.0.5",
    "supreme-googles-cli-v02-tag": "@trishankatdatadog/supreme-goggles@1.0.5",
}

EXPECTED = {
    "npm-att-mismatch-prov-payloadtype": "DSSE_SIGNATURE",
    "npm-att-mismatch-prov-predicatetype": "PREDICATE_TYPE",
    "npm-att-mismatch-pub-predicatetype": "PREDICATE_TYPE",
    "npm-att-prov-invalid-signature": "DSSE_SIGNATURE",
    "npm-att-publish-invalid-signature": "DSSE_SIGNATURE",
    "npm-att-publish-nodigest": "DSSE_SIGNATURE",
    "npm-att-publish-nosubjects": "DSSE_SIGNATURE",
    "npm-stmt-mismatch-prov-predicatetype": "DSSE_SIGNATURE",
    "npm-stmt-mismatch-prov-type": "DSSE_SIGNATURE",
    "npm-stmt-mismatch-pub-predicatetype": "DSSE_SIGNATURE",
    "npm-stmt-mismatch-pub-type": "DSSE_SIGNATURE",
}

FILES = sorted(p.name for p in VARIANTS.iterdir())


def test_every_variant_is_covered() -> None:
    assert len(FILES) == 30


def _subject_digest(doc: dict[str, object]) -> str:
    for att in doc["attestations"]:  # type: ignore[attr-defined]
        try:
            statement = json.loads(base64.b64decode(att["bundle"]["dsseEnvelope"]["payload"]))
            digest: str = statement["subject"][0]["digest"]["sha512"]
            return digest
        except (KeyError, TypeError, ValueError, IndexError):
            continue
    raise AssertionError("no subject digest")


def _run(path: Path, trust: TrustMaterial) -> tuple[Status, str | None, str | None]:
    data = path.read_bytes()
    stem = path.name.split("__")[-1]
    if path.name.startswith("sigstore__sigstore-js__"):
        # A person's (valid) production signature over sigstore@1.0.0's publish statement,
        # served as the registry's publish attestation.
        response = json.dumps(
            {"attestations": [{"predicateType": PUBLISH, "bundle": json.loads(data)}]}
        ).encode()
        real = case("sigstore@1.0.0")
        r = verify_attestations(real.name, real.version, real.integrity(), response, trust)
    elif stem.startswith(("npm-att-", "npm-stmt-")):
        integrity = sri_from_hex(_subject_digest(json.loads(data)))
        r = verify_attestations(
            "@laurentsimon/provenance-npm-test", "1.0.0", integrity, data, trust
        )
    else:
        real = case(_ORIGINALS[stem.split("-invalidsig")[0]])
        r = verify_attestations(real.name, real.version, real.integrity(), data, trust)
    return r.status, r.reason, r.message


@pytest.mark.parametrize("name", FILES)
def test_variant_rejected(name: str, trust: TrustMaterial) -> None:
    status, reason, message = _run(VARIANTS / name, trust)
    assert status is Status.INVALID
    assert message
    stem = name.split("__")[-1].split(".")[0]
    if name.startswith("sigstore__sigstore-js__"):
        assert reason == "ROLE_MISMATCH"
    elif "-invalidsig" in stem:
        # The altered payload no longer matches its signature.
        assert reason == "DSSE_SIGNATURE"
        role = "provenance" if stem.endswith("prov") else "publish"
        assert message.startswith(f"{role} bundle:")
    else:
        assert reason == EXPECTED[stem], message
