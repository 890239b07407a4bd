"""The differential rig: the real npm client and the auditor read the same crafted project.

    with NpmRig.start() as rig:                  # two loopback servers, nothing else
        project = rig.project(tmp_path, lockfile={...}, manifest={...})
        outcome = rig.npm_ci(project)            # what npm installed, byte for byte
        verdict = rig.audit(project, RECOMMENDED)

The registry serves genuine packages (real tarballs with their real, production-signed
attestations from fixtures/real, verified against fixtures/trust) and attacker tarballs:
the same package names and versions with other bytes, published at another package's
path (`/@attacker/<name>/-/<file>`), under attacker-owned names (`evil-<name>`), and on a
second loopback server standing for another host.  Every attacker tarball carries
`package/attacker.txt` naming it, so an installed directory tells which bytes it came from.

npm runs with an empty cache, its own user and global config, `--registry` at loopback,
no audit, fund or update notifier, and a dead proxy for every host but loopback: it can
reach nothing else.  What it accepted is read three ways: the installed directories
(fingerprinted), its cache index (cacache entries carry the integrity of the bytes it
stored) and the registries' request logs.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.cli import main as audit_main
from tests.support.real import REAL_TRUST, real_project
from tests.support.registry import (
    LoopbackRegistry,
    RegistryData,
    running_registry,
    tarball_filename,
)

REPO = Path(__file__).resolve().parents[2]
RECOMMENDED = REPO / "policies" / "recommended.toml"
STRICT = REPO / "policies" / "strict.toml"
# The pinning policy: recommended.toml plus, for the genuine packages the harness installs,
# provenance from their real repositories.  A package installed under one of these names
# (an alias included) from other bytes must fail.  Written next to the runs (see `start`).
PINS = {
    "gundam-visor": "https://github.com/ramonpetgrave64/gundam-visor",
    "@trishankatdatadog/supreme-goggles": "https://github.com/trishankatdatadog/supreme-goggles",
    "tuf-js": "https://github.com/theupdateframework/tuf-js",
}


def pinned_policy() -> str:
    """recommended.toml with required provenance failing (an error, for the pins only)."""
    text = RECOMMENDED.read_text()
    for old, new in (
        ('provenance-required = "warning"', 'provenance-required = "error"'),
        ('require = "direct"', 'require = "none"'),
    ):
        assert old in text, f"policies/recommended.toml changed: no {old!r}"
        text = text.replace(old, new, 1)
    blocks = [
        f'\n[[identity]]\npackages = ["{name}"]\nrequire_provenance = true\n'
        f'repositories = ["{repo}"]\n'
        for name, repo in PINS.items()
    ]
    return text + "".join(blocks)


NPM = shutil.which("npm")
NPM_TIMEOUT = 120

# Genuine packages installed by the variants (real tarballs and attestations).  Their
# lockfile entries omit `dependencies`, so npm installs them alone.
GUNDAM = ("gundam-visor", "1.0.1")
GOGGLES = ("@trishankatdatadog/supreme-goggles", "1.0.5")
TUF = ("tuf-js", "1.0.0")
SIGSTORE = ("sigstore", "1.0.0")
SIGSTORE_PUB = ("sigstore", "1.8.0")  # publish attestation only
GENUINE = (GUNDAM, GOGGLES, TUF, SIGSTORE, SIGSTORE_PUB)
LEGACY = "Old~Style!(pkg)*'"  # a legacy name npm still accepts (capitals and ~!*'())

LONG_AGO = datetime(2024, 1, 2, tzinfo=UTC)
_NPM_ERROR = re.compile(r"npm (?:ERR!|error) code (\S+)")


def sri(algorithm: str, data: bytes) -> str:
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, data).digest()).decode()}"


def sha512_hex(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def _tarball(files: Mapping[str, bytes]) -> bytes:
    """A deterministic npm-style tarball (every member under `package/`)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 499162500  # npm's fixed pack date (1985-10-26)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def marked_files(tag: str, name: str, version: str) -> dict[str, bytes]:
    manifest = {"name": name, "version": version, "main": "index.js"}
    return {
        "package.json": json.dumps(manifest, indent=2).encode() + b"\n",
        "index.js": b"module.exports = 'owned';\n",
        "attacker.txt": tag.encode(),
    }


def marked_tarball(tag: str, name: str, version: str) -> bytes:
    return _tarball(marked_files(tag, name, version))


def unscoped(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _package_json_of(tgz: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.name.split("/", 1)[-1] == "package.json" and member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                return extracted.read()
    raise ValueError("tarball has no package.json")


@dataclass(frozen=True)
class Artefact:
    """Bytes the rig can serve or place: a tarball (sha512 known) or a local directory."""

    tag: str
    sha512: str  # hex
    data: bytes


@dataclass
class Catalogue:
    """Every artefact by tag, and how to recognise an installed directory.

    Tags: `genuine:<spec>` real attested tarballs; `published:<spec>` the registry's own
    bytes of an attacker-owned name (honest about what they are); `attacker:<id>` bytes
    posing as another package; `local:<id>` files of the pull request itself.
    """

    by_tag: dict[str, Artefact] = field(default_factory=dict)
    genuine_by_manifest: dict[bytes, str] = field(default_factory=dict)  # package.json -> tag
    attested: dict[tuple[str, str], str] = field(default_factory=dict)  # spec -> sha512 hex
    genuine: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def add_genuine(self, name: str, version: str, tgz: bytes) -> None:
        tag = f"genuine:{name}@{version}"
        self.by_tag[tag] = Artefact(tag, sha512_hex(tgz), tgz)
        self.genuine_by_manifest[_package_json_of(tgz)] = tag
        self.attested[(name, version)] = sha512_hex(tgz)
        self.genuine[(name, version)] = tgz

    def add(self, tag: str, name: str, version: str) -> Artefact:
        """A crafted artefact: a tarball of `name@version` whose attacker.txt is `tag`."""
        tgz = marked_tarball(tag, name, version)
        art = Artefact(tag, sha512_hex(tgz), tgz)
        self.by_tag[tag] = art
        return art

    def by_sha512(self, hex_digest: str) -> str:
        return next((t for t, a in self.by_tag.items() if a.sha512 == hex_digest), "unknown")

    def identify(self, directory: Path) -> str:
        """The tag of the artefact installed in `directory` ("unknown" if none matches)."""
        marker = directory / "attacker.txt"
        if marker.is_file():
            return marker.read_text()
        manifest = directory / "package.json"
        if manifest.is_file():
            return self.genuine_by_manifest.get(manifest.read_bytes(), "unknown")
        return "missing"


@dataclass
class NpmOutcome:
    """What `npm ci --ignore-scripts` did."""

    returncode: int
    error_code: str | None  # npm's `code` (EINTEGRITY, ...) when it failed
    stderr: str
    installed: dict[str, str]  # node_modules path -> artefact tag
    cache_integrities: set[tuple[str, str]]  # (algorithm, hex) of every tarball npm cached
    fetched: list[str]  # "<server>:<path>" of every tarball request answered 200
    lockfile_rewritten: bool = False  # npm ci changed package-lock.json / the shrinkwrap

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def summary(self, catalogue: Catalogue) -> str:
        if not self.ok:
            return f"failed ({self.error_code or 'exit ' + str(self.returncode)})"
        kinds = {
            "attacker" if t.startswith("attacker:") else "genuine" for t in self.installed.values()
        }
        kinds |= {"unknown" for t in self.installed.values() if t == "unknown"}
        if "attacker" in kinds or "unknown" in kinds:
            return "attacker bytes"
        return "genuine bytes" if self.installed else "nothing installed"


@dataclass
class AuditOutcome:
    exit_code: int
    report: dict[str, Any] | None
    stderr: str

    def packages(self) -> list[dict[str, Any]]:
        return list((self.report or {}).get("packages", []))

    def by_path(self) -> dict[str, dict[str, Any]]:
        return {path: p for p in self.packages() for path in p.get("paths", [])}

    def statuses(self) -> str:
        if self.report is None:
            return "-"
        return ", ".join(
            f"{p['name']}@{p['version']}={p['status']}"
            for p in sorted(self.packages(), key=lambda p: (p["name"], p["version"]))
        )


@dataclass
class Project:
    directory: Path
    rig: NpmRig


@dataclass
class RunningNpm:
    project: Project
    proc: subprocess.Popen[str]
    locks: dict[str, str]


def _lockfile_digests(directory: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
        for name in ("package-lock.json", "npm-shrinkwrap.json")
        if (directory / name).is_file()
    }


class NpmRig:
    """Registry, attacker host, catalogue, and the two runners."""

    def __init__(
        self, registry: LoopbackRegistry, other: LoopbackRegistry, cat: Catalogue, pinned: Path
    ):
        self.registry = registry
        self.other = other
        self.catalogue = cat
        self.pinned = pinned  # the pinning policy file

    # ------------------------------------------------------------------ setup

    @classmethod
    @contextlib.contextmanager
    def start(cls) -> Iterator[NpmRig]:
        data, other_data, cat = build_registry_data()
        with (
            tempfile.TemporaryDirectory(prefix="npm-rig-") as tmp,
            running_registry(data) as reg,
            running_registry(other_data) as other,
        ):
            pinned = Path(tmp) / "pinned.toml"
            pinned.write_text(pinned_policy())
            yield cls(reg, other, cat, pinned)

    @property
    def url(self) -> str:
        return self.registry.url

    def tarball_url(self, name: str, version: str, *, under: str | None = None) -> str:
        """The registry URL of name@version's tarball; `under`: at another package's path."""
        return f"{self.url}/{under or name}/-/{unscoped(name)}-{version}.tgz"

    def genuine(self, spec: tuple[str, str]) -> bytes:
        return self.catalogue.genuine[spec]

    def attacker(self, ident: str) -> Artefact:
        return self.catalogue.by_tag[f"attacker:{ident}"]

    def entry(
        self, spec: tuple[str, str], *, integrity: str | None = "sha512", **extra: Any
    ) -> dict[str, Any]:
        """A genuine registry entry as npm writes it (no `dependencies`)."""
        name, version = spec
        out: dict[str, Any] = {"version": version, "resolved": self.tarball_url(name, version)}
        if integrity is not None:
            out["integrity"] = sri(integrity, self.genuine(spec))
        out.update(extra)
        return out

    def project(
        self,
        base: Path,
        *,
        packages: Mapping[str, Mapping[str, Any]] | None = None,
        manifest: Mapping[str, Any] | None = None,
        shrinkwrap: Mapping[str, Mapping[str, Any]] | None = None,
        lockfile: bool = True,
        files: Mapping[str, bytes] | None = None,
        raw_lockfile: bytes | None = None,
    ) -> Project:
        """Write package.json (derived from the root entry), the lockfile(s), extra files."""
        directory = base / "project"
        directory.mkdir(parents=True)
        root = dict((packages or {}).get("", {"name": "victim", "version": "1.0.0"}))
        if "dependencies" not in root and packages is not None:
            root["dependencies"] = root_dependencies(packages)
        pkg = dict(manifest) if manifest is not None else _manifest_from_root(root)
        (directory / "package.json").write_text(json.dumps(pkg, indent=2) + "\n")
        (directory / ".npmrc").write_text(_npmrc(self.url))
        if raw_lockfile is not None:
            (directory / "package-lock.json").write_bytes(raw_lockfile)
        elif lockfile and packages is not None:
            (directory / "package-lock.json").write_text(_lockfile_text(packages, root))
        if shrinkwrap is not None:
            sw_root = dict(shrinkwrap.get("", root))
            (directory / "npm-shrinkwrap.json").write_text(_lockfile_text(shrinkwrap, sw_root))
        for rel, data in (files or {}).items():
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return Project(directory, self)

    # ------------------------------------------------------------------ npm

    def npm_ci(self, project: Project) -> NpmOutcome:
        return self.finish_npm(self.start_npm(project))

    def start_npm(self, project: Project) -> RunningNpm:
        """Start `npm ci --ignore-scripts` (the auditor may run meanwhile: it never asks
        for tarballs, so the tarball requests in the logs are npm's)."""
        assert NPM is not None
        work = project.directory.parent
        self.registry.reset_stats()
        self.other.reset_stats()
        locks = _lockfile_digests(project.directory)
        proc = subprocess.Popen(
            [NPM, "ci", "--ignore-scripts", f"--registry={self.url}/"],
            cwd=project.directory,
            env=npm_env(work, self.url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return RunningNpm(project, proc, locks)

    def finish_npm(self, running: RunningNpm) -> NpmOutcome:
        try:
            _, stderr = running.proc.communicate(timeout=NPM_TIMEOUT)
        except subprocess.TimeoutExpired:
            running.proc.kill()
            _, stderr = running.proc.communicate()
        directory = running.project.directory
        code = running.proc.returncode
        match = _NPM_ERROR.search(stderr)
        fetched = [
            f"{label}:{r.path}"
            for label, server in (("registry", self.registry), ("other", self.other))
            for r in list(server.requests)
            if r.endpoint == "tarball" and r.status == 200
        ]
        return NpmOutcome(
            returncode=code,
            error_code=match.group(1) if match else None,
            stderr=stderr[-4000:],
            installed=scan_installed(directory, self.catalogue) if code == 0 else {},
            cache_integrities=cache_integrities(directory.parent / "npm-cache"),
            fetched=fetched,
            lockfile_rewritten=_lockfile_digests(directory) != running.locks,
        )

    # ------------------------------------------------------------------ auditor

    def audit(
        self,
        project: Project,
        policy: Path,
        *,
        base: Path | None = None,
        offline: Path | None = None,
    ) -> AuditOutcome:
        """The CLI as a pre-merge check runs it, on the project directory (it picks the
        lockfile); `base`: pull-request mode against that base lockfile."""
        out = project.directory.parent / f"report-{policy.stem}.json"
        out.unlink(missing_ok=True)
        extra = ["--base", str(base)] if base is not None else []
        if offline is not None:
            extra += ["--offline", str(offline)]
        argv = [
            str(project.directory),
            *extra,
            "--registry",
            self.url,
            "--policy",
            str(policy),
            "--trusted-root",
            str(REAL_TRUST[0]),
            "--npm-keys",
            str(REAL_TRUST[1]),
            "--no-cache",
            "-q",
            "--format",
            "json",
            "--output",
            str(out),
        ]
        with _captured_stderr() as err:
            code = audit_main(argv)
        report = json.loads(out.read_text()) if out.is_file() and out.stat().st_size else None
        return AuditOutcome(code, report, err.getvalue())


# ---------------------------------------------------------------------- building


def build_registry_data() -> tuple[RegistryData, RegistryData, Catalogue]:
    """Genuine packages (real fixtures) + attacker publications on both servers."""
    real = real_project()
    data = real.registry
    cat = Catalogue()
    for name, version in GENUINE:
        cat.add_genuine(name, version, data.tarballs[(name, tarball_filename(name, version))])
    other = RegistryData()
    for name, version in GENUINE:
        short = unscoped(name)
        file = tarball_filename(name, version)
        # Same name and version, other bytes, at an attacker's path on the registry ...
        data.tarballs[(f"@attacker/{short}", file)] = cat.add(
            f"attacker:path:{name}", name, version
        ).data
        # ... and on another host at the genuine path.
        other.tarballs[(name, file)] = cat.add(f"attacker:host:{name}", name, version).data
        other.tarballs[("dl", f"{short}.tgz")] = other.tarballs[(name, file)]
        # An attacker-owned name of its own (an alias target), without attestations.
        evil = f"evil-{short}"
        tgz = cat.add(f"published:{evil}@{version}", evil, version).data
        data.add_version(evil, version, tarball=tgz, published=LONG_AGO)  # past any cooldown
        # Bytes the pull request itself carries (file:, link, workspace, git).
        cat.add(f"local:{name}", name, version)
    legacy = cat.add(f"published:{LEGACY}@1.0.0", LEGACY, "1.0.0")
    data.add_version(LEGACY, "1.0.0", tarball=legacy.data, published=LONG_AGO)
    return data, other, cat


def root_dependencies(packages: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """What package.json must say for npm ci to accept the top-level entries."""
    deps: dict[str, str] = {}
    for key, entry in packages.items():
        if not key.startswith("node_modules/") or "/node_modules/" in key:
            continue
        if entry.get("inBundle") or entry.get("dev") or entry.get("optional"):
            continue
        name = key.removeprefix("node_modules/")
        real = entry.get("name")
        version = str(entry.get("version", ""))
        resolved = str(entry.get("resolved", ""))
        if entry.get("link"):
            deps[name] = f"file:{resolved}"
        elif resolved.startswith(("git+", "file:")):
            deps[name] = resolved.split("#", 1)[0] if resolved.startswith("git+") else resolved
        elif isinstance(real, str) and real != name:
            deps[name] = f"npm:{real}@{version}"
        else:
            deps[name] = version or "*"
    return deps


def _manifest_from_root(root: Mapping[str, Any]) -> dict[str, Any]:
    keys = (
        "name",
        "version",
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "bundleDependencies",
        "workspaces",
    )
    return {k: root[k] for k in keys if k in root}


def _lockfile_text(packages: Mapping[str, Mapping[str, Any]], root: Mapping[str, Any]) -> str:
    doc = {
        "name": root.get("name", "victim"),
        "version": root.get("version", "1.0.0"),
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": dict(root), **{k: dict(v) for k, v in packages.items() if k}},
    }
    return json.dumps(doc, indent=2) + "\n"


def _npmrc(url: str) -> str:
    return f"registry={url}/\naudit=false\nfund=false\nupdate-notifier=false\n"


def npm_env(work: Path, url: str) -> dict[str, str]:
    """npm's whole environment: nothing of the user's, loopback only."""
    userconfig = work / "npm-userconfig"
    userconfig.write_text(_npmrc(url))
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "TMPDIR") if k in os.environ}
    dead_proxy = "http://127.0.0.1:9"  # every non-loopback request dies here
    return {
        **keep,
        "HOME": str(work / "home"),
        "npm_config_cache": str(work / "npm-cache"),
        "npm_config_userconfig": str(userconfig),
        "npm_config_globalconfig": str(work / "npm-globalconfig"),
        "npm_config_registry": f"{url}/",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
        "npm_config_progress": "false",
        "npm_config_fetch_retries": "0",
        "npm_config_fetch_timeout": "20000",
        "npm_config_proxy": dead_proxy,
        "npm_config_https_proxy": dead_proxy,
        "npm_config_noproxy": "127.0.0.1,localhost",
        "NO_PROXY": "127.0.0.1,localhost",
        "HTTP_PROXY": dead_proxy,
        "HTTPS_PROXY": dead_proxy,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "NO_UPDATE_NOTIFIER": "1",
        "npm_config_loglevel": "warn",
    }


def scan_installed(project: Path, cat: Catalogue) -> dict[str, str]:
    """Every installed package directory (nested ones too) -> the artefact it holds."""
    out: dict[str, str] = {}

    def walk(nm: Path, prefix: str) -> None:
        if not nm.is_dir():
            return
        for child in sorted(nm.iterdir()):
            if child.name.startswith("."):
                continue
            if child.name.startswith("@") and child.is_dir() and not child.is_symlink():
                for scoped in sorted(child.iterdir()):
                    visit(scoped, f"{prefix}{child.name}/{scoped.name}")
            else:
                visit(child, f"{prefix}{child.name}")

    def visit(directory: Path, key: str) -> None:
        out[key] = cat.identify(directory)
        if not directory.is_symlink():
            walk(directory / "node_modules", f"{key}/node_modules/")

    walk(project / "node_modules", "node_modules/")
    return out


def cache_integrities(cache: Path) -> set[tuple[str, str]]:
    """(algorithm, hex digest) of every tarball body npm stored in its cache (cacache
    index-v5 lines are `<hash>\t<json>`; the entry's integrity uses the algorithm npm
    verified the body with, which is the lockfile's when it names a known one)."""
    out: set[tuple[str, str]] = set()
    index = cache / "_cacache" / "index-v5"
    if not index.is_dir():
        return out
    for file in index.rglob("*"):
        if not file.is_file():
            continue
        for line in file.read_text(errors="replace").splitlines():
            _, _, body = line.partition("\t")
            try:
                entry = json.loads(body)
            except ValueError:
                continue
            integrity = entry.get("integrity") if isinstance(entry, dict) else None
            if not integrity or not str(entry.get("key", "")).endswith(".tgz"):
                continue
            for token in str(integrity).split():
                alg, _, b64 = token.partition("-")
                with contextlib.suppress(ValueError):
                    out.add((alg, base64.b64decode(b64.split("?", 1)[0]).hex()))
    return out


def in_cache(data: bytes, integrities: set[tuple[str, str]]) -> bool:
    return any(
        alg in hashlib.algorithms_available and hashlib.new(alg, data).hexdigest() == digest
        for alg, digest in integrities
    )


@contextlib.contextmanager
def _captured_stderr() -> Iterator[io.StringIO]:
    import sys

    buf = io.StringIO()
    saved = sys.stderr
    sys.stderr = buf
    try:
        yield buf
    finally:
        sys.stderr = saved
