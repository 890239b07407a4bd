"""A small signed project served by the loopback registry, for engine tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.models import Lockfile, Package, SourceKind, VerificationResult, parse_sri
from auditor.verify import TrustMaterial, load_trust, verify_attestations
from tests.support.kit import SigstoreKit
from tests.support.registry import RegistryData, sri_sha512, tarball_filename

PLACEHOLDER = "http://127.0.0.1:4873"  # lockfile `resolved` host: a loopback fixture URL


@dataclass
class Scenario:
    data: RegistryData
    lockfile: Lockfile
    trust: TrustMaterial
    root: Path
    keys: Path
    expected: dict[str, str]  # spec -> status


def _pkg(name: str, version: str, integrity: str | None, **kw: Any) -> Package:
    file = tarball_filename(name, version)
    return Package(
        name=name,
        version=version,
        source=kw.pop("source", SourceKind.REGISTRY),
        integrity=integrity,
        hashes=parse_sri(integrity) if integrity else (),
        resolved=kw.pop("resolved", f"{PLACEHOLDER}/{name}/-/{file}"),
        paths=(f"node_modules/{name}",),
        **kw,
    )


_KIT: SigstoreKit | None = None


def kit() -> SigstoreKit:
    global _KIT
    if _KIT is None:
        _KIT = SigstoreKit(seed="engine-tests", cache_leaf=True)
    return _KIT


def build(
    tmp: Path, *, extra_unattested: int = 0, extra: tuple[tuple[str, str, str], ...] = ()
) -> Scenario:
    k = kit()
    root, keys = k.write_trust(tmp / "trust")
    data = RegistryData(signer=k.sign_registry)
    packages: list[Package] = []
    expected: dict[str, str] = {}

    def add(name: str, version: str, kind: str) -> None:
        tarball = f"{name}@{version}".encode()
        sri = sri_sha512(tarball)
        if kind == "verified":
            body = k.attestations(name, version, sri)
            data.add_version(name, version, tarball=tarball, attestations=body)
        elif kind == "publish-only":
            body = k.attestations(name, version, sri, provenance=False)
            data.add_version(name, version, tarball=tarball, attestations=body)
        elif kind == "stripped":
            body = k.attestations(name, version, sri, provenance=False)
            data.add_version(name, version, tarball=tarball, attestations=body, provenance=True)
        else:
            data.add_version(name, version, tarball=tarball)
        packages.append(_pkg(name, version, sri))
        expected[f"{name}@{version}"] = {"stripped": "invalid"}.get(kind, kind)

    add("alpha", "1.0.0", "verified")
    add("@acme/widget", "2.1.0", "verified")
    add("beta", "1.0.0", "publish-only")
    add("gamma", "0.1.0", "unattested")
    add("stripped", "3.0.0", "stripped")
    for i in range(extra_unattested):
        add(f"filler-{i:03d}", "1.0.0", "unattested")
    for name, version, kind in extra:
        add(name, version, kind)
    packages.append(
        _pkg("gitdep", "1.0.0", None, source=SourceKind.GIT, resolved="git+ssh://git@h/x.git")
    )
    expected["gitdep@1.0.0"] = "not-applicable"
    packages.sort(key=lambda p: (p.name, p.version, p.integrity or ""))
    lockfile = Lockfile(
        path=str(tmp / "package-lock.json"),
        lockfile_version=3,
        name="project",
        packages=tuple(packages),
    )
    (tmp / "package-lock.json").write_text(json.dumps({"name": "project"}))
    return Scenario(data, lockfile, load_trust(root, keys), root, keys, expected)


def statuses(results: Any) -> dict[str, str]:
    return {r.package.spec: r.status.value for r in results}


def verify(
    name: str, version: str, integrity: str | None, body: bytes, trust: Any
) -> VerificationResult:
    """Module-level (picklable) wrapper so process pools can use it."""
    return verify_attestations(name, version, integrity, body, trust)
