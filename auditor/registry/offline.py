"""The offline directory: recorded registry responses, read (and written by `audit fetch`).

Layout:
    DIR/attestations/<name>@<version>.json   the attestations response, verbatim;
                                             a missing file means the registry answered 404
    DIR/packuments/<name>.json               the packument, verbatim

A scoped `<name>` is written `@scope%2fname`.  Names and versions are checked before they
become file names, so a hostile lockfile cannot make the tool read or write outside DIR.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from auditor.errors import UsageError

# npm names: optional @scope/, then URL-safe characters; old packages may use capitals.
_NAME = re.compile(r"^(?:@[A-Za-z0-9._~-]+/)?[A-Za-z0-9._~-]+$")
_VERSION = re.compile(r"^[A-Za-z0-9.+_-]+$")
_MAX_LEN = 214


class UnsafeName(ValueError):
    """A name or version that cannot be a file name in the offline directory."""


def file_stem(name: str) -> str:
    if len(name) > _MAX_LEN or not _NAME.match(name) or name.split("/")[-1] in (".", ".."):
        raise UnsafeName(f"package name {name[:80]!r} is not a valid npm name")
    if name.startswith(".") or name.startswith("@."):
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


class OfflineDirectory:
    """Reads recorded responses (small blocking reads, made from the event loop)."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise UsageError(f"--offline {root}: not a directory")
        self.root = root
        # Strings, not pathlib: a path is built once per package.
        self._attestations = os.path.join(root, "attestations")
        self._packuments = os.path.join(root, "packuments")

    def _read(self, path: str, max_bytes: int) -> bytes | None:
        try:
            with open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise OSError(f"{os.path.basename(path)} is a directory") from None
        if len(data) > max_bytes:
            raise OfflineTooLarge(f"{os.path.basename(path)} exceeds {max_bytes} bytes")
        return data

    def attestations(self, name: str, version: str, max_bytes: int) -> bytes | None:
        """The recorded body, or None for "the registry answered 404"."""
        stem = f"{file_stem(name)}@{check_version(version)}.json"
        return self._read(os.path.join(self._attestations, stem), max_bytes)

    def packument(self, name: str, max_bytes: int) -> bytes | None:
        return self._read(os.path.join(self._packuments, f"{file_stem(name)}.json"), max_bytes)


class OfflineTooLarge(OSError):
    pass
