"""Real recorded attestations (fixtures/real), verified with the pinned production trust."""

from __future__ import annotations

import base64
import json
from functools import cache

from auditor.models import Package, PackageResult, SourceKind, Status, parse_sri
from auditor.verify import TrustMaterial, load_trust, verify_attestations
from tests.support.real import REAL, REAL_TRUST


@cache
def _trust() -> TrustMaterial:
    return load_trust(*REAL_TRUST)


def real_result(name: str, version: str) -> PackageResult:
    """The verified result of a recorded real package (`@scope/name`, `1.0.0`)."""
    body = (REAL / "attestations" / f"{name.replace('/', '__')}@{version}.json").read_bytes()
    doc = json.loads(body)
    statement = json.loads(
        base64.b64decode(doc["attestations"][0]["bundle"]["dsseEnvelope"]["payload"])
    )
    digest = bytes.fromhex(statement["subject"][0]["digest"]["sha512"])
    integrity = "sha512-" + base64.b64encode(digest).decode()
    verification = verify_attestations(name, version, integrity, body, _trust())
    assert verification.status in (Status.VERIFIED, Status.PUBLISH_ONLY), verification
    package = Package(
        name=name,
        version=version,
        source=SourceKind.REGISTRY,
        integrity=integrity,
        hashes=parse_sri(integrity),
    )
    return PackageResult(
        package=package,
        status=verification.status,
        verification=verification,
    )
