"""Yarn Berry end to end: packages whose lockfile pins only Yarn's zip are bound through the
registry's dist.integrity, and only when the registry's signature over it verifies; every
attacker-controlled variation of the packument leaves them unbound (never `verified`)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from auditor.lockfile import parse_lockfile
from auditor.models import Report
from auditor.pipeline import AuditOptions, audit_lockfile
from auditor.policy import default_policy
from auditor.progress import NullProgress
from auditor.registry.client import NetworkSettings
from auditor.report import render
from auditor.verify import load_trust
from tests.engine.scenario import kit, verify
from tests.support.registry import RegistryData, running_registry, sri_sha512

from .conftest import CLASSIC

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FAST = NetworkSettings(
    concurrency=8, read_timeout=0.5, request_timeout=2.0, attempts=2,
    backoff_base=0.001, backoff_max=0.01,
)  # fmt: skip
NAMES = ("bound-ok", "forged-sig", "unsigned", "other-digest", "sha1-signed")


def _berry(names: tuple[str, ...]) -> str:
    lines = ["__metadata:", "  version: 10", "  cacheKey: 10c0", ""]
    for name in names:
        lines += [
            f'"{name}@npm:^1.0.0":',
            "  version: 1.0.0",
            f'  resolution: "{name}@npm:1.0.0"',
            f"  checksum: 10c0/{'ab' * 64}",
            "  languageName: node",
            "  linkType: hard",
            "",
        ]
    return "\n".join(lines)


def _audit(tmp: Path) -> Report:
    k = kit()
    root, keys = k.write_trust(tmp / "trust")
    data = RegistryData(signer=k.sign_registry)
    for name in NAMES:
        tarball = f"{name}@1.0.0".encode()
        sri = sri_sha512(tarball)
        attested = sri_sha512(b"other bytes") if name == "other-digest" else sri
        body = k.attestations(name, "1.0.0", attested)
        integrity = None
        if name == "sha1-signed":
            integrity = "sha1-" + base64.b64encode(bytes(20)).decode()
        doc = data.add_version(
            name,
            "1.0.0",
            tarball=tarball,
            integrity=integrity,
            attestations=body,
            signature=name != "unsigned",
        )
        if name == "forged-sig":
            sig = bytearray(base64.b64decode(doc["dist"]["signatures"][0]["sig"]))
            sig[-1] ^= 0x01
            doc["dist"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    lockfile_path = tmp / "yarn.lock"
    lockfile_path.write_text(_berry(NAMES))
    lockfile = parse_lockfile(lockfile_path)
    assert lockfile.format == "yarn-berry"
    with running_registry(data) as reg:
        options = AuditOptions(
            network=FAST, now=NOW, npm=None, trust=load_trust(root, keys), verifier=verify,
            verify_workers=0, progress=NullProgress(), use_cache=False, registry=reg.url,
        )  # fmt: skip
        return audit_lockfile(lockfile, lockfile_path, default_policy(), options)


def test_berry_packages_bind_only_through_a_signed_dist_integrity(tmp_path: Path) -> None:
    report = _audit(tmp_path)
    got = {
        r.package.name: (str(r.status), r.reason, r.package.integrity_binding)
        for r in report.results
    }
    assert got == {
        # The registry signed name@version:integrity: the attestations bind to that sha512.
        "bound-ok": ("verified", None, "packument"),
        # A forged or missing signature: the packument's integrity is attacker data.
        "forged-sig": ("invalid", "MISSING_INTEGRITY", "none"),
        "unsigned": ("invalid", "MISSING_INTEGRITY", "none"),
        # Signed, but the attestations name other bytes than the registry serves.
        "other-digest": ("invalid", "SUBJECT_DIGEST", "packument"),
        # A signed integrity that pins no sha512 cannot bind either.
        "sha1-signed": ("invalid", "MISSING_INTEGRITY", "none"),
    }
    by_name = {r.package.name: r for r in report.results}
    assert by_name["bound-ok"].package.integrity == sri_sha512(b"bound-ok@1.0.0")
    problem = by_name["forged-sig"].package.integrity_problem or ""
    assert "not bound by a verified registry signature (SIGNATURE_INVALID)" in problem
    rules = {(f.rule, f.package) for f in report.findings}
    assert ("attestation-invalid", "unsigned") in rules
    assert not any(package == "bound-ok" for _, package in rules)
    # The JSON report says which binding each package got.
    doc = json.loads(render(report, "json"))
    bindings = {p["name"]: p["integrity_binding"] for p in doc["packages"]}
    assert bindings["bound-ok"] == "packument" and bindings["unsigned"] == "none"


def test_lockfile_bindings_are_unchanged() -> None:
    lf = parse_lockfile(CLASSIC / "basic" / "yarn.lock")
    assert {p.integrity_binding for p in lf.packages} == {"lockfile"}
