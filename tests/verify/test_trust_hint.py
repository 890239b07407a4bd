"""Failures because the trust material lacks a log, CA or key say it may be out of date and
how to refresh it; the status stays `invalid`, and real tampering gets no such hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.models import Status
from auditor.verify import load_trust, verify_attestations
from auditor.verify._errors import OUT_OF_DATE_HINT
from tests.support.kit import SigstoreKit
from tests.support.registry import sri_sha512

BLOB = b"widget-1.0.0 tarball"


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed=21)


@pytest.mark.parametrize("provenance", [True, False])
def test_material_the_pinned_trust_does_not_know_is_invalid_with_a_hint(
    kit: SigstoreKit, provenance: bool
) -> None:
    body = kit.attestations("widget", "1.0.0", sri_sha512(BLOB), provenance=provenance)
    result = verify_attestations("widget", "1.0.0", sri_sha512(BLOB), body, load_trust())
    assert result.status is Status.INVALID
    assert result.reason in {"LOG_UNKNOWN", "CERT_CHAIN", "SCT", "KEY_UNKNOWN"}
    assert result.message is not None and result.message.endswith(OUT_OF_DATE_HINT)


def test_tampering_gets_no_hint(kit: SigstoreKit, tmp_path: Path) -> None:
    body = kit.attestations("widget", "1.0.0", sri_sha512(BLOB))
    other = sri_sha512(b"another tarball")
    trust = load_trust(*kit.write_trust(tmp_path))
    result = verify_attestations("widget", "1.0.0", other, body, trust)
    assert result.status is Status.INVALID
    assert OUT_OF_DATE_HINT not in (result.message or "")
