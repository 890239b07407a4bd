"""Registry signatures end to end: the loopback registry serves packuments whose
`dist.signatures` an attacker has forged, stripped, re-keyed or re-pointed, and the audit
(live and offline) must not come out more favourable."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.models import Lockfile, Package, Report, SignatureStatus, Status
from auditor.pipeline import AuditOptions, FetchOptions, audit_lockfile, fetch_into
from auditor.policy import Policy, default_policy, parse_policy
from auditor.progress import NullProgress
from auditor.registry.client import NetworkSettings
from auditor.verify import load_trust
from tests.engine.scenario import _pkg, kit, verify
from tests.support.registry import RegistryData, running_registry, sri_sha512

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FAST = NetworkSettings(
    concurrency=8, read_timeout=0.5, request_timeout=2.0, attempts=2,
    backoff_base=0.001, backoff_max=0.01,
)  # fmt: skip
BEFORE_END = datetime(2024, 6, 1, tzinfo=UTC)  # the 2023-style key was valid
AFTER_END = datetime(2025, 6, 1, tzinfo=UTC)  # ... and had expired
MISSING_ON = parse_policy('version = 1\n[rules]\nregistry-signature-missing = "error"\n', "p")


@dataclass
class Project:
    data: RegistryData
    lockfile: Lockfile
    options: dict[str, Any]


def _build(tmp: Path, *, signing: bool = True) -> Project:
    k = kit()
    root, keys = k.write_trust(tmp / "trust")
    data = RegistryData(signer=k.sign_registry if signing else None)
    packages: list[Package] = []

    def add(name: str, *, lock_integrity: str | None = None, **kw: Any) -> dict[str, Any]:
        tarball = f"{name}@1.0.0".encode()
        sri = sri_sha512(tarball)
        doc = data.add_version(name, "1.0.0", tarball=tarball, **kw)
        packages.append(_pkg(name, "1.0.0", lock_integrity or sri))
        return doc

    def resign(doc: dict[str, Any], message: str, key: str = "current") -> None:
        doc["dist"]["signatures"] = [k.sign_registry(message, key=key)]  # type: ignore[arg-type]

    def msg(name: str) -> str:
        return f"{name}@1.0.0:{sri_sha512(f'{name}@1.0.0'.encode())}"

    add("signed-ok")
    if signing:
        add("stripped-sig", signature=False)
        forged = add("forged")
        sig = bytearray(base64.b64decode(forged["dist"]["signatures"][0]["sig"]))
        sig[-1] ^= 0x01
        forged["dist"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
        resign(add("expired", published=AFTER_END), msg("expired"), "2023")
        resign(add("old-ok", published=BEFORE_END), msg("old-ok"), "2023")
        resign(add("unknown-key"), msg("unknown-key"), "rogue")
        resign(add("other-version"), msg("other-version").replace("@1.0.0", "@1.0.1"))
        add("integrity-differs", lock_integrity="sha512-" + base64.b64encode(bytes(64)).decode())
        name = "prov-only-signed"
        add(name, attestations=k.attestations(name, "1.0.0", sri_sha512(b"x"), publish=False))
    name = "prov-only-unsigned"
    body = k.attestations(name, "1.0.0", sri_sha512(f"{name}@1.0.0".encode()), publish=False)
    add(name, attestations=body, signature=False)
    if signing:
        name = "prov-only-signed"
        body = k.attestations(name, "1.0.0", sri_sha512(f"{name}@1.0.0".encode()), publish=False)
        data.attestations[f"{name}@1.0.0"] = body
    packages.sort(key=lambda p: p.name)
    lockfile = Lockfile(str(tmp / "package-lock.json"), 3, "project", tuple(packages))
    (tmp / "package-lock.json").write_text(json.dumps({"name": "project"}))
    options = {
        "network": FAST, "now": NOW, "npm": None, "trust": load_trust(root, keys),
        "verifier": verify, "verify_workers": 0, "progress": NullProgress(), "use_cache": False,
    }  # fmt: skip
    return Project(data, lockfile, options)


def _audit(p: Project, policy: Policy, **kw: Any) -> Report:
    opts = AuditOptions(**{**p.options, **kw})
    return audit_lockfile(p.lockfile, Path(p.lockfile.path), policy, opts)


def _verdicts(report: Report) -> dict[str, tuple[str, str | None, str, str | None]]:
    out = {}
    for r in report.results:
        sig = r.registry_signature
        assert sig is not None
        out[r.package.name] = (str(sig.status), sig.reason, str(r.status), r.reason)
    return out


EXPECTED = {
    "signed-ok": ("verified", None, "unattested", None),
    "stripped-sig": ("missing", "SIGNATURE_MISSING", "unattested", None),
    "forged": ("invalid", "SIGNATURE_INVALID", "unattested", None),
    "expired": ("invalid", "SIGNATURE_KEY_EXPIRED", "unattested", None),
    "old-ok": ("verified", None, "unattested", None),
    "unknown-key": ("invalid", "SIGNATURE_KEY_UNKNOWN", "unattested", None),
    "other-version": ("invalid", "SIGNATURE_INVALID", "unattested", None),
    "integrity-differs": ("invalid", "INTEGRITY_MISMATCH", "unattested", None),
    "prov-only-signed": ("verified", None, "verified", None),
    "prov-only-unsigned": (
        "missing", "SIGNATURE_MISSING", "invalid", "PUBLISH_ATTESTATION_MISSING",
    ),
}  # fmt: skip


def test_every_signature_attack_live_and_offline(tmp_path: Path) -> None:
    project = _build(tmp_path)
    with running_registry(project.data) as reg:
        live = _audit(project, MISSING_ON, registry=reg.url)
        assert _verdicts(live) == EXPECTED
        # One abbreviated packument per name; the full one only where the signing key has
        # an end of validity (the publish time is in the full document only).
        for r in live.results:
            name = r.package.name
            fulls = [
                q
                for q in reg.requests
                if q.endpoint == "packument"
                and q.name == name
                and "install-v1" not in (q.accept or "")
            ]
            assert len(fulls) == (1 if name in ("expired", "old-ok") else 0), name
        assert reg.count("packument") == len(EXPECTED) + 2
        into = tmp_path / "offline"
        summary = asyncio.run(
            fetch_into(
                project.lockfile,
                FetchOptions(
                    into=into, registry=reg.url, network=FAST, use_cache=False, npm=None,
                    progress=NullProgress(),
                ),
            )
        )  # fmt: skip
        assert summary.packuments == len(EXPECTED) and not summary.errors
    offline = _audit(project, MISSING_ON, offline=into, registry="http://127.0.0.1:4873")
    assert _verdicts(offline) == EXPECTED

    findings = {(f.rule, f.package) for f in live.findings}
    for name, (sig, *_rest) in EXPECTED.items():
        if sig == "invalid":
            assert ("registry-signature-invalid", name) in findings
        if sig == "missing":
            assert ("registry-signature-missing", name) in findings
    assert ("attestation-invalid", "prov-only-unsigned") in findings


def test_invalid_signature_fails_even_the_default_policy_and_cannot_be_waived(
    tmp_path: Path,
) -> None:
    project = _build(tmp_path)
    with running_registry(project.data) as reg:
        report = _audit(project, default_policy(), registry=reg.url)
    rules = {(f.rule, f.package) for f in report.findings}
    assert ("registry-signature-invalid", "forged") in rules
    assert not any(f.rule == "registry-signature-missing" for f in report.findings)  # off
    with pytest.raises(Exception, match="cannot be waived"):
        parse_policy(
            'version = 1\n[[exception]]\npackage = "forged@*"\n'
            'rules = ["registry-signature-invalid"]\nreason = "x"\n',
            "p",
        )


def test_registry_without_signatures_is_exempt_with_the_reason(tmp_path: Path) -> None:
    project = _build(tmp_path, signing=False)
    with running_registry(project.data) as reg:
        report = _audit(project, MISSING_ON, registry=reg.url)
    assert not any(f.rule.startswith("registry-signature") for f in report.findings)
    for r in report.results:
        sig = r.registry_signature
        assert sig is not None and sig.status is SignatureStatus.MISSING
        assert sig.message and "registry-signature-missing does not apply" in sig.message
    # Provenance alone is still not registry acceptance on such a registry.
    unsigned = next(r for r in report.results if r.package.name == "prov-only-unsigned")
    assert (unsigned.status, unsigned.reason) == (Status.INVALID, "PUBLISH_ATTESTATION_MISSING")


def test_packument_failure_is_error_not_unsigned(tmp_path: Path) -> None:
    from tests.support.registry import Fault

    project = _build(tmp_path)
    with running_registry(project.data) as reg:
        reg.inject(Fault.server_error(503, times=None), name="signed-ok", endpoint="packument")
        report = _audit(project, MISSING_ON, registry=reg.url)
    r = next(r for r in report.results if r.package.name == "signed-ok")
    assert r.status is Status.ERROR and r.registry_signature is None
    assert any(f.rule == "incomplete" and f.package == "signed-ok" for f in report.findings)
