"""The real-fixture mode: recorded responses served with matching packuments and lockfile."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from auditor import verify
from tests.support.kit import SigstoreKit
from tests.support.real import REAL_TRUST, real_project
from tests.support.registry import running_registry


def test_real_project_contents() -> None:
    project = real_project()
    assert len(project.packages) == 12
    assert sum(p.expected == "verified" for p in project.packages) == 11
    sigstore = [p for p in project.packages if p.name == "sigstore"]
    assert len(sigstore) == 6 and sum(p.alias is None for p in sigstore) == 1
    assert next(p for p in sigstore if p.alias is None).version == "4.0.0"
    lock = project.lockfile["packages"]
    assert lock["node_modules/sigstore-v1.0.0"]["name"] == "sigstore"


@pytest.mark.parametrize("variant", ["invalidsigprov", "invalidsigpub"])
def test_variants_swap_in(variant: str) -> None:
    project = real_project(variant)
    invalid = [p for p in project.packages if p.expected == "invalid"]
    assert len(invalid) == 5
    assert all(p.source.endswith(f"-{variant}.tgz.json") for p in invalid)
    with pytest.raises(ValueError, match="unknown variant"):
        real_project("nope")


def test_served_and_verified(tmp_path: Path) -> None:
    kit = SigstoreKit(seed="real")
    project = real_project("invalidsigprov", signer=kit.sign_registry, keys=kit.registry_keys())
    trust = verify.load_trust(*REAL_TRUST)
    with running_registry(project.registry) as reg:
        lock = project.write(tmp_path, reg.url)
        assert reg.url in lock.read_text()
        for p in project.packages:
            enc = p.name.replace("/", "%2f")
            with urllib.request.urlopen(f"{reg.url}/{enc}", timeout=5) as r:
                dist = json.load(r)["versions"][p.version]["dist"]
            assert dist["integrity"] == p.integrity
            assert dist["signatures"][0]["keyid"] == kit.npm_key_id
            with urllib.request.urlopen(dist["attestations"]["url"], timeout=5) as r:
                body = r.read()
            result = verify.verify_attestations(p.name, p.version, p.integrity, body, trust)
            assert result.status == p.expected, (p, result)
