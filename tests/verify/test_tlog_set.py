"""Rekor v1 log signatures.  The signed entry timestamp (inclusion promise) signs the entry's
integratedTime: a promise without that time gives no verified time and is SET_INVALID.  A
checkpoint names the log by its host, without the port of the configured URL."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.models import Status
from auditor.verify import TrustMaterial, load_trust, verify_attestations
from tests.support.kit import SigstoreKit

NAME, VERSION = "@acme/widget", "1.2.3"
SHA512 = hashlib.sha512(b"the tarball").digest()
INTEGRITY = "sha512-" + base64.b64encode(SHA512).decode()


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="tlog-set", cache_leaf=True)


@pytest.fixture(scope="module")
def kit_trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> TrustMaterial:
    return load_trust(*kit.write_trust(tmp_path_factory.mktemp("trust")))


@pytest.mark.parametrize("fmt", ["v0.1", "v0.2", "v0.3"])
def test_a_promise_without_integrated_time(
    fmt: str, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    def hook(role: str, bundle: dict[str, Any]) -> dict[str, Any]:
        if role == "provenance":
            del bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"]
        return bundle

    r = verify_attestations(
        NAME, VERSION, INTEGRITY, kit.attestations(NAME, VERSION, SHA512, fmt=fmt), kit_trust
    )
    assert r.status is Status.VERIFIED, r.message
    response = kit.attestations(NAME, VERSION, SHA512, fmt=fmt, bundle_hook=hook)
    r = verify_attestations(NAME, VERSION, INTEGRITY, response, kit_trust)
    assert (r.status, r.reason) == (Status.INVALID, "SET_INVALID"), r.message


@pytest.mark.parametrize(("host", "base_url"), [("[::1]", "https://[::1]:8443")])
def test_a_log_on_an_ipv6_literal_with_a_port(host: str, base_url: str, tmp_path: Path) -> None:
    """A private log configured as `https://[::1]:8443` signs its notes as `[::1]`: only the
    port is cut from the name, never the address's own colons."""
    kit = SigstoreKit(seed="tlog-ipv6", cache_leaf=True, rekor_host=host)
    root_path, keys_path = kit.write_trust(tmp_path)
    root = json.loads(root_path.read_text())
    assert root["tlogs"][0]["baseUrl"] == f"https://{host}"
    root["tlogs"][0]["baseUrl"] = base_url
    root_path.write_text(json.dumps(root))
    response = kit.attestations(NAME, VERSION, SHA512, fmt="v0.2")
    r = verify_attestations(NAME, VERSION, INTEGRITY, response, load_trust(root_path, keys_path))
    assert r.status is Status.VERIFIED, r.message
