"""Serve the recorded real attestations (fixtures/real) like the registry would.

    project = real_project()                    # or real_project("invalidsigprov")
    with running_registry(project.registry) as reg:
        lock = project.write(tmp_path, reg.url)

Each fixtures/real/attestations/<name>@<version>.json is paired with the tarball in
fixtures/real/tarballs whose sha512 is its subject; the packument advertises what the
response contains.  Several versions of one name are installed as aliases
(`sigstore-v1.0.0`), as the npm-audit-signatures rig does.  They verify against the pinned
production trust material in fixtures/trust.  A `variant` swaps in every
fixtures/real/variants/*-<variant>.tgz.json whose subject matches an installed package.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.registry import PLACEHOLDER, RegistryData, sri_sha512, tarball_filename

__all__ = ["FIXTURES", "REAL_TRUST", "RealPackage", "RealProject", "real_project"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REAL = FIXTURES / "real"
REAL_TRUST = (
    FIXTURES / "trust" / "trusted_root.json",
    FIXTURES / "trust" / "npm-registry-keys.json",
)
PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
VARIANTS = ("invalidsigprov", "invalidsigpub")


@dataclass(frozen=True, slots=True)
class RealPackage:
    name: str
    version: str
    integrity: str
    expected: str  # verified | publish-only | invalid
    source: str  # fixture file name the response came from
    alias: str | None = None
    published: datetime | None = None

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass
class RealProject:
    registry: RegistryData
    packages: list[RealPackage]
    lockfile: dict[str, Any]

    @property
    def expected(self) -> dict[tuple[str, str], str]:
        return {(p.name, p.version): p.expected for p in self.packages}

    def lockfile_text(self, registry_url: str = "http://127.0.0.1:4873") -> str:
        text = json.dumps(self.lockfile, indent=2) + "\n"
        return text.replace(PLACEHOLDER, registry_url.rstrip("/"))

    def write(self, directory: Path, registry_url: str = "http://127.0.0.1:4873") -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        lock = directory / "package-lock.json"
        lock.write_text(self.lockfile_text(registry_url))
        return lock


def _subject(response: bytes) -> tuple[str, str] | None:
    """(purl, sha512 hex) of the first attestation's statement, if readable."""
    try:
        doc = json.loads(response)
        bundle = doc["attestations"][0]["bundle"]
        stmt = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
        subject = stmt["subject"][0]
        return str(subject["name"]), str(subject["digest"]["sha512"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _spec_of(file: Path) -> tuple[str, str]:
    stem = file.name.removesuffix(".json")
    name, _, version = stem.rpartition("@")
    return name.replace("__", "/"), version


def real_project(
    variant: str | None = None,
    *,
    signer: Callable[[str], dict[str, str]] | None = None,
    keys: list[dict[str, Any]] | None = None,
) -> RealProject:
    """The 12 recorded packages (+ variant swaps), their registry data and a v3 lockfile.

    `signer`/`keys`: registry signatures for `dist.signatures` (the fixtures have none;
    e.g. `SigstoreKit().sign_registry` and `.registry_keys()`).
    """
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    tarballs = {
        hashlib.sha512(p.read_bytes()).hexdigest(): p.read_bytes()
        for p in sorted((REAL / "tarballs").glob("*.tgz"))
    }
    swaps: dict[tuple[str, str], tuple[bytes, str]] = {}
    if variant:
        for file in sorted((REAL / "variants").glob(f"*-{variant}.tgz.json")):
            body = file.read_bytes()
            subject = _subject(body)
            if subject is not None:
                swaps[subject] = (body, file.name)

    data = RegistryData(keys=list(keys or []), signer=signer)
    packages: list[RealPackage] = []
    for file in sorted((REAL / "attestations").glob("*@*.json")):
        name, version = _spec_of(file)
        body = file.read_bytes()
        subject = _subject(body)
        if subject is None or subject[1] not in tarballs:
            continue
        tgz = tarballs[subject[1]]
        doc = json.loads(body)
        types = [a["predicateType"] for a in doc["attestations"]]
        expected = "publish-only" if types == [PUBLISH] else "verified"
        source = file.name
        if subject in swaps:
            body, source = swaps[subject]
            expected = "invalid"
        times = [
            int(a["bundle"]["verificationMaterial"]["tlogEntries"][0]["integratedTime"])
            for a in doc["attestations"]
        ]
        published = datetime.fromtimestamp(min(times), UTC)
        prov = next((t for t in types if t != PUBLISH), None)
        data.add_version(
            name,
            version,
            tarball=tgz,
            published=published,
            attestations=body,
            provenance=prov is not None,
            provenance_predicate=prov or "",
            latest=False,
        )
        packages.append(
            RealPackage(name, version, sri_sha512(tgz), expected, source, None, published)
        )

    # latest = highest version per name; the others are installed under an alias.
    by_name: dict[str, list[RealPackage]] = {}
    for p in packages:
        by_name.setdefault(p.name, []).append(p)
    lock_packages: dict[str, Any] = {}
    deps: dict[str, str] = {}
    final: list[RealPackage] = []
    for name, group in sorted(by_name.items()):
        group.sort(key=lambda p: tuple(int(x) for x in p.version.split(".")))
        data.packuments[name]["dist-tags"]["latest"] = group[-1].version
        for p in group:
            alias = None if p is group[-1] else f"{name.rsplit('/', 1)[-1]}-v{p.version}"
            key = f"node_modules/{alias or name}"
            entry: dict[str, Any] = {
                "version": p.version,
                "resolved": f"{PLACEHOLDER}/{name}/-/{tarball_filename(name, p.version)}",
                "integrity": p.integrity,
                "license": "MIT",
            }
            if alias:
                entry = {"name": name, **entry}
                deps[alias] = f"npm:{name}@{p.version}"
            else:
                deps[name] = p.version
            lock_packages[key] = entry
            final.append(
                RealPackage(
                    p.name, p.version, p.integrity, p.expected, p.source, alias, p.published
                )
            )
    root = {"name": "real-fixtures", "version": "1.0.0", "dependencies": dict(sorted(deps.items()))}
    lockfile = {
        "name": "real-fixtures",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": root, **dict(sorted(lock_packages.items()))},
    }
    final.sort(key=lambda p: (p.name, p.version))
    return RealProject(data, final, lockfile)
