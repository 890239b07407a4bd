"""Synthetic npm projects: a v3 lockfile of N packages and the registry data behind it.

    project = generate_project(200, seed=3, mix=Mix(provenance=0.5, invalid=0.1))
    with running_registry(project.registry) as reg:
        lock = project.write(tmp_path, reg.url)      # package-lock.json
        ...
    project.expected[("@scope-1/lib-00007", "1.2.0")]  # -> "verified" | "invalid" | ...

Deterministic by seed (names, graph, versions, times, categories; signatures differ run to
run because ECDSA is randomized).  The lockfile has scoped names, hoisted and nested copies
(two versions of one name), dev / optional / devOptional groups, aliases (`npm:` specs) and
install scripts; every installed version has a version history in its packument with
publish times, so downgrade and cooldown checks have something to look at.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from tests.support.kit import GITHUB, BundleFormat, SignerIdentity, SigstoreKit, Tamper
from tests.support.registry import PLACEHOLDER, RegistryData, sri_sha512, tarball_filename

__all__ = [
    "INVALID_TAMPERS",
    "NPM_COUNTED_TAMPERS",
    "GeneratedPackage",
    "Mix",
    "Project",
    "generate_project",
    "make_tarball",
]

Category = Literal["provenance", "publish-only", "none", "invalid", "downgrade", "stripped"]
Group = Literal["prod", "dev", "optional", "dev-optional"]

# Tampers a generated "invalid" package gets (each yields status invalid).
INVALID_TAMPERS = (
    Tamper.PAYLOAD,
    Tamper.SIGNATURE,
    Tamper.SUBJECT_DIGEST,
    Tamper.BODY_MISMATCH,
    Tamper.UNTRUSTED_CA,
    Tamper.SET,
    Tamper.PREDICATE_MISMATCH,
    Tamper.BAD_SCT,
)
# The subset `npm audit signatures` reports as invalid attestations (EATTESTATIONVERIFY)
# instead of aborting the run (a subject mismatch is fatal there), for side-by-side runs.
NPM_COUNTED_TAMPERS = (
    Tamper.PAYLOAD,
    Tamper.SIGNATURE,
    Tamper.BODY_MISMATCH,
    Tamper.UNTRUSTED_CA,
    Tamper.SET,
    Tamper.BAD_SCT,
)
EXPECTED: dict[Category, str] = {
    "provenance": "verified",
    "publish-only": "publish-only",
    "none": "unattested",
    "invalid": "invalid",
    "downgrade": "publish-only",
    "stripped": "publish-only",  # verifies alone; the packument flag reveals the stripping
}


@dataclass(frozen=True, slots=True)
class Mix:
    """Fractions of installed packages per category (normalized).  `downgrade`: the
    installed version is publish-only while earlier versions had provenance from a
    trusted publisher.  `stripped`: the packument advertises provenance but the response
    holds only the publish attestation.  `recent`: share published within the last two
    days (cooldown)."""

    provenance: float = 0.6
    publish_only: float = 0.2
    none: float = 0.15
    invalid: float = 0.05
    downgrade: float = 0.0
    stripped: float = 0.0  # provenance advertised in the packument, removed from the response
    recent: float = 0.05
    gitlab: float = 0.05
    scoped: float = 0.3
    nested: float = 0.05
    alias: float = 0.02
    dev: float = 0.25
    optional: float = 0.05
    dev_optional: float = 0.02  # optional dependencies of dev dependencies ("devOptional")
    install_script: float = 0.03

    @classmethod
    def parse(cls, text: str) -> Mix:
        """`provenance=0.5,invalid=0.1` (the export command's --mix)."""
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = part.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in cls.__dataclass_fields__:
                raise ValueError(f"bad mix entry {part!r}")
            values[key] = float(value)
        return replace(cls(), **values)

    def categories(self) -> list[tuple[Category, float]]:
        return [
            ("provenance", self.provenance),
            ("publish-only", self.publish_only),
            ("none", self.none),
            ("invalid", self.invalid),
            ("downgrade", self.downgrade),
            ("stripped", self.stripped),
        ]


@dataclass(frozen=True, slots=True)
class GeneratedPackage:
    """One installed (name, version) of the generated lockfile, with what to expect."""

    name: str
    version: str
    category: Category
    expected: str  # the Status value verification should give
    integrity: str
    published: datetime
    paths: tuple[str, ...]
    group: Group
    aliases: tuple[str, ...] = ()
    fmt: BundleFormat | None = None
    identity: SignerIdentity | None = None
    tamper: Tamper | None = None
    install_script: bool = False
    history: tuple[str, ...] = ()  # every version in the packument, oldest first

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass
class Project:
    """A generated project: lockfile document (with `{{REGISTRY}}`), registry data, truth."""

    name: str
    lockfile: dict[str, Any]
    registry: RegistryData
    packages: list[GeneratedPackage]
    kit: SigstoreKit
    root_manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> dict[tuple[str, str], str]:
        return {(p.name, p.version): p.expected for p in self.packages}

    def lockfile_text(self, registry_url: str = "http://127.0.0.1:4873") -> str:
        text = json.dumps(self.lockfile, indent=2) + "\n"
        return text.replace(PLACEHOLDER, registry_url.rstrip("/"))

    def write(self, directory: Path, registry_url: str = "http://127.0.0.1:4873") -> Path:
        """Write package.json and package-lock.json; return the lockfile path."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "package.json").write_text(json.dumps(self.root_manifest, indent=2) + "\n")
        lock = directory / "package-lock.json"
        lock.write_text(self.lockfile_text(registry_url))
        return lock

    def manifest(self) -> list[dict[str, Any]]:
        """Rows like the npm-audit-signatures rig's manifest.json."""
        return [
            {
                "name": p.name,
                "version": p.version,
                "alias": p.aliases[0] if p.aliases else None,
                "integrity": p.integrity,
                "attested": p.category != "none",
                "expected": p.expected,
                "category": p.category,
                "tamper": p.tamper.value if p.tamper else None,
                "format": p.fmt,
                "group": p.group,
            }
            for p in self.packages
        ]


def _ustar_header(path: str, size: int) -> bytes:
    """A ustar header (what tarfile writes for a regular 0644 file, mtime 1985)."""
    fields = [
        path.encode().ljust(100, b"\0"),
        b"0000644\0",
        b"0000000\0",
        b"0000000\0",
        f"{size:011o}".encode() + b"\0",
        f"{499162500:011o}".encode() + b"\0",  # npm's fixed mtime (1985-10-26)
        b" " * 8,  # checksum placeholder
        b"0",
        b"\0" * 100,
        b"ustar\x0000",
        b"\0" * 32,
        b"\0" * 32,
        b"\0" * 8,
        b"\0" * 8,
        b"\0" * 155,
    ]
    header = b"".join(fields).ljust(512, b"\0")
    checksum = f"{sum(header):06o}".encode() + b"\0 "
    return header[:148] + checksum + header[156:]


def make_tarball(name: str, version: str, extra: dict[str, Any] | None = None) -> bytes:
    """A real, reproducible npm tarball (gzip'd ustar with package/package.json)."""
    manifest = {"name": name, "version": version, "main": "index.js", "license": "MIT"}
    manifest.update(extra or {})
    files = {
        "package.json": json.dumps(manifest, indent=2).encode(),
        "index.js": f"module.exports = {json.dumps(name + '@' + version)};\n".encode(),
    }
    # Written by hand: tarfile is the slowest part of generating 10,000 packages.
    parts: list[bytes] = []
    for path, data in files.items():
        parts.append(_ustar_header("package/" + path, len(data)))
        parts.append(data + b"\0" * (-len(data) % 512))
    raw = b"".join(parts) + b"\0" * 1024
    packed = gzip.compress(raw, compresslevel=6, mtime=0)
    # The header's OS byte is 3 (Unix) up to Python 3.12 and 255 (unknown) from 3.13: fixed
    # at 3 so a project's integrities (and the reports recorded from them) are the same on
    # every Python.  No checksum covers the header.
    return packed[:9] + b"\x03" + packed[10:]


@dataclass
class _Name:
    name: str
    group: Group
    history: list[str]
    times: list[datetime]
    installed: str
    nested: str | None = None
    category: Category = "provenance"
    nested_category: Category = "provenance"
    deps: dict[str, str] = field(default_factory=dict)
    alias: str | None = None
    install_script: bool = False
    gitlab: bool = False


def _pick(rng: random.Random, weights: list[tuple[Category, float]]) -> Category:
    total = sum(w for _, w in weights)
    if total <= 0:
        return "none"
    x = rng.random() * total
    for cat, w in weights:
        x -= w
        if x < 0:
            return cat
    return weights[-1][0]


def generate_project(
    n: int = 100,
    *,
    seed: int = 0,
    mix: Mix | None = None,
    kit: SigstoreKit | None = None,
    formats: tuple[BundleFormat, ...] = ("v0.2",),
    now: datetime | None = None,
    fast: bool | None = None,
    name: str | None = None,
    invalid_tampers: tuple[Tamper, ...] = INVALID_TAMPERS,
) -> Project:
    """Generate `n` installed registry packages (distinct name@version pairs).

    `formats`: bundle formats drawn per package.  `fast` (default: n > 2000) makes the kit
    reuse one long-lived Fulcio leaf per identity and gives each owner one monorepo
    identity (ref main; v0.1 then uses SLSA v1 too): unrealistic, but 10,000 packages
    become cheap.
    """
    mix = mix or Mix()
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if kit is None:
        kit = SigstoreKit(seed=f"generator-{seed}", cache_leaf=n > 2000 if fast is None else fast)
    data = RegistryData(keys=kit.registry_keys(), signer=kit.sign_registry)

    # ---- names, groups, histories --------------------------------------------------
    nested_count = int(n * mix.nested) if n >= 4 else 0
    name_count = n - nested_count
    groups: list[tuple[Group, float]] = [
        ("prod", max(0.0, 1 - mix.dev - mix.optional - mix.dev_optional)),
        ("dev", mix.dev),
        ("optional", mix.optional),
        ("dev-optional", mix.dev_optional),
    ]
    names: list[_Name] = []
    used: set[str] = set()
    for i in range(1, name_count + 1):
        if rng.random() < mix.scoped:
            pkg = f"@scope-{rng.randrange(1, 40)}/lib-{i:05d}"
        else:
            pkg = f"pkg-{i:05d}"
        used.add(pkg)
        x = rng.random() * sum(w for _, w in groups)
        group: Group = "prod"
        for g, w in groups:
            x -= w
            if x < 0:
                group = g
                break
        count = rng.randint(1, 5)
        major = rng.randint(0, 4)
        history = [f"{major}.{minor}.{rng.randint(0, 3)}" for minor in range(count)]
        recent = rng.random() < mix.recent
        newest = now - (
            timedelta(hours=rng.randint(2, 40)) if recent else timedelta(days=rng.randint(3, 700))
        )
        times = [newest]
        for _ in range(count - 1):
            times.insert(0, times[0] - timedelta(days=rng.randint(5, 60)))
        entry = _Name(pkg, group, history, times, installed=history[-1])
        entry.category = _pick(rng, mix.categories())
        if entry.category == "downgrade" and count == 1:
            entry.history.insert(0, f"{major}.0.0-rc.1")
            entry.times.insert(0, newest - timedelta(days=30))
        entry.install_script = rng.random() < mix.install_script
        entry.gitlab = rng.random() < mix.gitlab
        names.append(entry)

    # ---- nested second versions --------------------------------------------------------
    candidates = [k for k, e in enumerate(names) if k > 0 and len(e.history) > 1]
    rng.shuffle(candidates)
    nested_targets = sorted(candidates[:nested_count])
    for k in nested_targets:
        e = names[k]
        e.nested = e.history[rng.randrange(0, len(e.history) - 1)]
        e.nested_category = _pick(rng, mix.categories())
        if e.nested_category == "downgrade":
            e.nested_category = "publish-only"
    shortfall = nested_count - len(nested_targets)
    for j in range(shortfall):  # too few multi-version names: add more plain names
        pkg = f"pkg-extra-{j:05d}"
        names.append(
            _Name(
                pkg,
                "prod",
                ["1.0.0"],
                [now - timedelta(days=10)],
                "1.0.0",
                category=_pick(rng, mix.categories()),
            )
        )

    # ---- dependency graph (edges go to later names of the same group) ----------------
    by_group: dict[str, list[int]] = {}
    for k, e in enumerate(names):
        by_group.setdefault(e.group, []).append(k)
    depended: set[int] = set()
    for members in by_group.values():
        for pos, k in enumerate(members):
            later = members[pos + 1 :]
            for _ in range(min(len(later), rng.choice((0, 0, 1, 1, 2, 3)))):
                t = later[min(len(later) - 1, int(rng.expovariate(0.3)))]
                names[k].deps[names[t].name] = names[t].installed
                depended.add(t)
    parents_of_nested: dict[int, int] = {}
    for k in nested_targets:
        members = by_group[names[k].group]
        earlier = [m for m in members if m < k]
        if not earlier:
            earlier = list(range(k))
        parent = rng.choice(earlier)
        names[parent].deps[names[k].name] = names[k].nested or names[k].installed
        parents_of_nested[k] = parent
    for e in names:
        if rng.random() < mix.alias and e.group == "prod":
            e.alias = f"{e.name.rsplit('/', 1)[-1]}-alias"

    # ---- registry data and attestations ----------------------------------------------
    packages: list[GeneratedPackage] = []
    lock_packages: dict[str, Any] = {}
    tarball_cache: dict[tuple[str, str], bytes] = {}

    def tarball(pkg: str, version: str, scripts: bool) -> bytes:
        key = (pkg, version)
        if key not in tarball_cache:
            extra = {"scripts": {"install": "exit 0"}} if scripts else None
            tarball_cache[key] = make_tarball(pkg, version, extra)
        return tarball_cache[key]

    def identity_for(e: _Name, version: str, fmt: BundleFormat) -> SignerIdentity:
        # Stable numbers from the name (never hash(): it is salted per process).
        h = int.from_bytes(hashlib.sha256(e.name.encode()).digest()[:8])
        owner = f"org-{h % 97:02d}"
        repo = f"{owner}/{e.name.rsplit('/', 1)[-1]}"
        if kit.cache_leaf:
            # Fast mode: one monorepo per owner, so a cached leaf serves many packages.
            base = SignerIdentity.gitlab(f"{owner}/packages") if e.gitlab else GITHUB
            return replace(
                base,
                repository=f"{owner}/packages" if not e.gitlab else base.repository,
                builder=base.builder if e.gitlab else "slsa-v1",
                ref="refs/heads/main",
                commit=hashlib.sha1(owner.encode()).hexdigest(),
            )
        base = SignerIdentity.gitlab(repo) if e.gitlab else SignerIdentity.github(repo)
        builder = base.builder
        if not e.gitlab:
            builder = "gha-v2" if fmt == "v0.1" else "slsa-v1"
        return replace(
            base,
            builder=builder,
            repository_id=str(100_000_000 + h % 899_999_999),
            owner_id=str(1_000_000 + h % 97),
            ref=f"refs/tags/v{version}",
            commit=hashlib.sha1(f"{e.name}@{version}".encode()).hexdigest(),
            run_id=str(5_000_000_000 + (h >> 20) % 4_000_000_000),
        )

    def add_versions(e: _Name) -> None:
        installed = {e.installed: e.category}
        if e.nested:
            installed[e.nested] = e.nested_category
        for version, published in zip(e.history, e.times, strict=True):
            tgz = tarball(e.name, version, e.install_script)
            category = installed.get(version)
            latest = version == e.history[-1]
            if category is None:
                # History: provenance (trusted publisher) before a downgrade, else like now.
                had_prov = e.category in ("downgrade", "provenance", "invalid", "stripped")
                data.add_version(
                    e.name,
                    version,
                    tarball=tgz,
                    published=published,
                    advertise=e.category != "none",
                    provenance=had_prov,
                    trusted_publisher=e.category == "downgrade",
                    install_script=e.install_script,
                    latest=latest,
                )
                continue
            fmt = rng.choice(formats)
            ident = identity_for(e, version, fmt)
            tamper = rng.choice(invalid_tampers) if category == "invalid" else None
            if category == "stripped":
                tamper = Tamper.STRIP_PROVENANCE
            body = None
            if category != "none":
                body = kit.attestations(
                    e.name,
                    version,
                    sri_sha512(tgz),
                    ident,
                    fmt=fmt,
                    provenance=category in ("provenance", "invalid", "stripped"),
                    signed_at=published,
                    tamper=tamper,
                )
            deps = e.deps if version == e.installed else {}
            data.add_version(
                e.name,
                version,
                tarball=tgz,
                published=published,
                attestations=body,
                provenance=True if category == "stripped" else None,
                trusted_publisher=category == "provenance" and rng.random() < 0.5,
                install_script=e.install_script,
                dependencies=deps,
                latest=latest,
            )
            packages.append(
                GeneratedPackage(
                    name=e.name,
                    version=version,
                    category=category,
                    expected=EXPECTED[category],
                    integrity=sri_sha512(tgz),
                    published=published,
                    paths=(),
                    group=e.group,
                    fmt=fmt if category != "none" else None,
                    identity=ident if category in ("provenance", "invalid") else None,
                    tamper=tamper,
                    install_script=e.install_script,
                    history=tuple(e.history),
                )
            )

    for e in names:
        add_versions(e)

    # ---- lockfile ---------------------------------------------------------------------
    root_deps: dict[str, dict[str, str]] = {
        "dependencies": {},
        "devDependencies": {},
        "optionalDependencies": {},
    }
    section = {
        "prod": "dependencies",
        "dev": "devDependencies",
        "optional": "optionalDependencies",
        "dev-optional": "devDependencies",
    }
    paths: dict[tuple[str, str], list[str]] = {}
    aliases: dict[tuple[str, str], list[str]] = {}

    def lock_entry(e: _Name, version: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "version": version,
            "resolved": f"{PLACEHOLDER}/{e.name}/-/{tarball_filename(e.name, version)}",
            "integrity": sri_sha512(tarball(e.name, version, e.install_script)),
        }
        if e.group == "dev":
            doc["dev"] = True
        elif e.group == "optional":
            doc["optional"] = True
        elif e.group == "dev-optional":
            doc["devOptional"] = True
        if version == e.installed and e.deps:
            doc["dependencies"] = dict(sorted(e.deps.items()))
        if e.install_script:
            doc["hasInstallScript"] = True
        doc["license"] = "MIT"
        return doc

    for k, e in enumerate(names):
        key = f"node_modules/{e.name}"
        lock_packages[key] = lock_entry(e, e.installed)
        paths.setdefault((e.name, e.installed), []).append(key)
        if k not in depended:
            root_deps[section[e.group]][e.name] = f"^{e.installed}"
        if e.nested:
            holder = names[parents_of_nested[k]]
            nkey = f"node_modules/{holder.name}/node_modules/{e.name}"
            lock_packages[nkey] = lock_entry(e, e.nested)
            paths.setdefault((e.name, e.nested), []).append(nkey)
        if e.alias and e.alias not in used:
            akey = f"node_modules/{e.alias}"
            doc = {"name": e.name, **lock_entry(e, e.installed)}
            lock_packages[akey] = doc
            root_deps["dependencies"][e.alias] = f"npm:{e.name}@^{e.installed}"
            paths[(e.name, e.installed)].append(akey)
            aliases.setdefault((e.name, e.installed), []).append(e.alias)

    project_name = name or f"generated-{n}-{seed}"
    root: dict[str, Any] = {"name": project_name, "version": "1.0.0"}
    for sec, deps in root_deps.items():
        if deps:
            root[sec] = dict(sorted(deps.items()))
    ordered = {"": root, **dict(sorted(lock_packages.items()))}
    lockfile = {
        "name": project_name,
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": ordered,
    }
    packages = [
        replace(
            p,
            paths=tuple(paths.get((p.name, p.version), ())),
            aliases=tuple(aliases.get((p.name, p.version), ())),
        )
        for p in packages
    ]
    packages.sort(key=lambda p: (p.name, p.version))
    manifest = {"name": project_name, "version": "1.0.0", "private": True}
    for sec, deps in root_deps.items():
        if deps:
            manifest[sec] = {d: v.replace("^", "") for d, v in sorted(deps.items())}
    return Project(project_name, lockfile, data, packages, kit, manifest)
