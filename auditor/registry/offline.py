"""The offline directory: recorded registry responses, read (and written by `audit fetch`).

Layout:
    DIR/manifest.json                        what the registry answered for every request
    DIR/attestations/<name>@<version>.json   the attestations response, verbatim (status 200)
    DIR/packuments/<name>.json               the packument, verbatim (status 200)

A scoped `<name>` is written `@scope%2fname`.  Names and versions are checked before they
become file names, so a hostile lockfile cannot make the tool read or write outside DIR.

The manifest is the only thing that says "the registry answered 404": a missing file is
never a 404.  `OfflineDirectory` refuses (UsageError, exit 2) a directory without a valid
manifest, with a file the manifest does not list, or with a listed file whose size or
SHA-256 differs; a request the manifest does not cover is `OfflineMissing`.  The manifest is
not signed: like every response it is attacker data, and it only keeps a wrong, half-fetched
or edited directory from passing as "no attestations".
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import UsageError
from auditor.names import valid_npm_name

_VERSION = re.compile(r"^[A-Za-z0-9.+_-]+$")


class UnsafeName(ValueError):
    """A name or version that cannot be a file name in the offline directory."""


def file_stem(name: str) -> str:
    # Exactly the names npm accepts (auditor/names.py): each is one safe path segment once
    # the scope separator is written `%2f` (no other `/`, no `%`, not `.` or `..`).
    if not valid_npm_name(name):
        raise UnsafeName(f"package name {name[:80]!r} is not a valid npm name")
    return name.replace("/", "%2f")


def check_version(version: str) -> str:
    if len(version) > 256 or not _VERSION.match(version) or version.startswith("."):
        raise UnsafeName(f"version {version[:80]!r} is not a valid version")
    return version


def attestations_path(root: Path, name: str, version: str) -> Path:
    return root / "attestations" / f"{file_stem(name)}@{check_version(version)}.json"


def packument_path(root: Path, name: str) -> Path:
    return root / "packuments" / f"{file_stem(name)}.json"


MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
ATTESTATIONS_DIR = "attestations"
PACKUMENTS_DIR = "packuments"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class OfflineMissing(LookupError):
    """The manifest does not cover this request: nothing says what the registry answered."""


class OfflineTooLarge(OSError):
    pass


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the registry answered to one request: 200 with a body (its file's size and
    SHA-256), or 404."""

    status: int
    registry: str | None = None
    sha256: str | None = None
    size: int | None = None

    @classmethod
    def of(cls, status: int, body: bytes | None, registry: str | None) -> Recorded:
        if status != 200 or body is None:
            return cls(404, registry)
        return cls(200, registry, hashlib.sha256(body).hexdigest(), len(body))

    def to_json(self, file: str | None) -> dict[str, object]:
        out: dict[str, object] = {"status": self.status, "registry": self.registry}
        if self.status == 200:
            out |= {"file": file, "sha256": self.sha256, "size": self.size}
        return out


@dataclass(frozen=True)
class Manifest:
    """`manifest.json`: keys are `name@version` (attestations) and `name` (packuments)."""

    tool_version: str
    fetched_at: str
    registries: tuple[Mapping[str, str], ...]  # {"url", "origin", and "scope" if scoped}
    attestations: Mapping[str, Recorded]
    packuments: Mapping[str, Recorded]

    def to_bytes(self) -> bytes:
        doc = {
            "format": MANIFEST_FORMAT,
            "tool_version": self.tool_version,
            "fetched_at": self.fetched_at,
            "registries": [dict(r) for r in self.registries],
            "attestations": {
                k: r.to_json(_att_rel(k)) for k, r in sorted(self.attestations.items())
            },
            "packuments": {k: r.to_json(_pack_rel(k)) for k, r in sorted(self.packuments.items())},
        }
        return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()

    def files(self) -> Iterator[tuple[str, Recorded]]:
        """(path relative to DIR, record) of every recorded body."""
        for key, rec in self.attestations.items():
            if rec.status == 200:
                yield _att_rel(key), rec
        for key, rec in self.packuments.items():
            if rec.status == 200:
                yield _pack_rel(key), rec


def _split_spec(key: str) -> tuple[str, str]:
    name, sep, version = key.rpartition("@")
    if not sep or not name:
        raise UnsafeName(f"{key[:80]!r} is not name@version")
    return name, version


def _att_rel(key: str) -> str:
    name, version = _split_spec(key)
    return f"{ATTESTATIONS_DIR}/{file_stem(name)}@{check_version(version)}.json"


def _pack_rel(name: str) -> str:
    return f"{PACKUMENTS_DIR}/{file_stem(name)}.json"


def write_manifest(root: Path, manifest: Manifest) -> None:
    from auditor.fileio import write_atomic

    write_atomic(root / MANIFEST, manifest.to_bytes())


def load_manifest(root: Path) -> Manifest:
    """Read and check `DIR/manifest.json` and every file of DIR against it.

    Raises UsageError (one line) for a missing or invalid manifest, a file it does not list
    (or that is not a regular file), and a listed file that is missing or differs."""
    where = f"--offline {root}"
    data = _read_regular(root, MANIFEST, MAX_MANIFEST_BYTES)
    if data is None:
        raise UsageError(
            f"{where}: no {MANIFEST} (not a directory written by 'audit fetch --into'; "
            "record it again)"
        )
    if len(data) > MAX_MANIFEST_BYTES:
        raise UsageError(f"{where}: {MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise UsageError(f"{where}: {MANIFEST} is not valid JSON") from None
    try:
        manifest = _parse_manifest(doc)
    except (ValueError, TypeError, UnsafeName) as exc:
        raise UsageError(f"{where}: {MANIFEST} is invalid: {exc}") from None
    expected = dict(manifest.files())
    for sub in (ATTESTATIONS_DIR, PACKUMENTS_DIR):
        for rel in _listing(root, sub, where):
            if rel not in expected:
                raise UsageError(f"{where}: {rel} is not in {MANIFEST}")
    for rel, rec in sorted(expected.items()):
        body = _read_regular(root, rel, rec.size or 0)
        if body is None:
            raise UsageError(f"{where}: {rel} is listed in {MANIFEST} but missing")
        if len(body) != rec.size or hashlib.sha256(body).hexdigest() != rec.sha256:
            raise UsageError(f"{where}: {rel} does not match {MANIFEST} (size or sha256)")
    return manifest


def _listing(root: Path, sub: str, where: str) -> list[str]:
    try:
        st = os.lstat(root / sub)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise UsageError(f"{where}: cannot read {sub}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{where}: {sub} is not a directory")
    try:
        return [f"{sub}/{e.name}" for e in os.scandir(root / sub)]
    except OSError as exc:
        raise UsageError(f"{where}: cannot read {sub}: {exc.strerror or exc}") from None


def _read_regular(root: Path, rel: str, max_bytes: int) -> bytes | None:
    """A regular file's bytes (at most `max_bytes` + 1), None when missing.  Symlinks,
    FIFOs and devices are refused (UsageError): never followed, never blocked on."""
    try:
        fd = os.open(root / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        why = "is not a regular file" if exc.errno == errno.ELOOP else exc.strerror or exc
        raise UsageError(f"--offline {root}: {rel}: {why}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise UsageError(f"--offline {root}: {rel} is not a regular file")
        return fh.read(max_bytes + 1)


def _parse_manifest(doc: object) -> Manifest:
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    if doc.get("format") != MANIFEST_FORMAT:
        raise ValueError(f"format is not {MANIFEST_FORMAT}")
    registries = doc.get("registries", [])
    if not isinstance(registries, list) or not all(
        isinstance(r, dict) and all(isinstance(v, str) for v in r.values()) for r in registries
    ):
        raise ValueError("registries must be a list of objects of strings")
    tool_version, fetched_at = doc.get("tool_version"), doc.get("fetched_at")
    if not isinstance(tool_version, str) or not isinstance(fetched_at, str):
        raise ValueError("tool_version and fetched_at must be strings")
    return Manifest(
        tool_version=tool_version,
        fetched_at=fetched_at,
        registries=tuple(registries),
        attestations=_parse_records(doc.get("attestations"), "attestations", _att_rel),
        packuments=_parse_records(doc.get("packuments"), "packuments", _pack_rel),
    )


def _parse_records(section: object, what: str, rel: object) -> dict[str, Recorded]:
    if not isinstance(section, dict):
        raise ValueError(f"{what} must be an object")
    out: dict[str, Recorded] = {}
    for key, entry in section.items():
        if not isinstance(entry, dict):
            raise ValueError(f"{what}[{key[:80]!r}] must be an object")
        status, registry = entry.get("status"), entry.get("registry")
        if registry is not None and not isinstance(registry, str):
            raise ValueError(f"{what}[{key[:80]!r}].registry must be a string")
        if status == 404:
            out[key] = Recorded(404, registry)
            continue
        if status != 200:
            raise ValueError(f"{what}[{key[:80]!r}].status must be 200 or 404")
        file_rel = rel(key)  # type: ignore[operator]
        sha, size = entry.get("sha256"), entry.get("size")
        if entry.get("file") != file_rel:
            raise ValueError(f"{what}[{key[:80]!r}].file must be {file_rel!r}")
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise ValueError(f"{what}[{key[:80]!r}].sha256 must be 64 hex digits")
        if type(size) is not int or not 0 <= size <= MAX_MANIFEST_BYTES:
            raise ValueError(f"{what}[{key[:80]!r}].size must be a byte count")
        out[key] = Recorded(200, registry, sha, size)
    return out


class OfflineDirectory:
    """Reads recorded responses (small blocking reads, made from the event loop), each
    checked against the manifest loaded and verified when the directory is opened."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise UsageError(f"--offline {root}: not a directory")
        self.root = root
        self.manifest = load_manifest(root)
        # Strings, not pathlib: a path is built once per package.
        self._root = os.fspath(root)

    def _read(self, rel: str, rec: Recorded, max_bytes: int) -> bytes | None:
        if rec.status == 404:
            return None
        if rec.size is not None and rec.size > max_bytes:
            raise OfflineTooLarge(f"{os.path.basename(rel)} exceeds {max_bytes} bytes")
        try:
            fd = os.open(os.path.join(self._root, rel), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            raise OSError(f"{rel} disappeared after it was checked") from None
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise OfflineTooLarge(f"{os.path.basename(rel)} exceeds {max_bytes} bytes")
        if hashlib.sha256(data).hexdigest() != rec.sha256:
            raise OSError(f"{rel} changed after it was checked against {MANIFEST}")
        return data

    def attestations(self, name: str, version: str, max_bytes: int) -> bytes | None:
        """The recorded body, None when the registry answered 404; `OfflineMissing` when
        the manifest does not cover it."""
        key = f"{name}@{version}"
        rel = _att_rel(key)  # checks the name (UnsafeName) before anything else
        rec = self.manifest.attestations.get(key)
        if rec is None:
            raise OfflineMissing(f"{key} is not in the offline directory's {MANIFEST}")
        return self._read(rel, rec, max_bytes)

    def packument(self, name: str, max_bytes: int) -> bytes | None:
        rel = _pack_rel(name)
        rec = self.manifest.packuments.get(name)
        if rec is None:
            raise OfflineMissing(f"no recorded packument of {name} in {MANIFEST}")
        return self._read(rel, rec, max_bytes)
