"""On-disk cache of raw registry responses (never verdicts: verification reruns every time).

One file per response under `<root>/v1/<2 hex>/<sha256 of key>`, written atomically (temp
file + `os.replace`).  A file holds a magic line, a JSON header (key, status, ETag, time,
body length and SHA-256) and the body; anything that does not check out is ignored and
refetched.  Credentials are never part of a key or an entry.

Freshness: an attestations response (200) is immutable; a 404 is kept `negative_ttl`
seconds; a packument is served for `packument_ttl` seconds, then revalidated with its ETag.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.fileio import write_atomic

_MAGIC = b"auditor-cache 1\n"
_MAX_HEADER = 4096
_FIRST_READ = 64 * 1024

ATTESTATIONS = "attestations"
PACKUMENT = "packument"  # full document
PACKUMENT_ABBREVIATED = "packument-abbreviated"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME")
    if base and Path(base).is_absolute():
        return Path(base) / "auditor"
    return Path(env.get("HOME") or Path.home()) / ".cache" / "auditor"


@dataclass(frozen=True, slots=True)
class CacheEntry:
    status: int  # 200 or 404
    body: bytes
    etag: str | None
    stored_at: float


class ResponseCache:
    """Blocking file operations: call them from a worker thread, not the event loop."""

    def __init__(
        self,
        root: Path,
        *,
        negative_ttl: float = 3600.0,
        packument_ttl: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root / "v1"
        self._root = str(self.root)
        self.negative_ttl = negative_ttl
        self.packument_ttl = packument_ttl
        self._clock = clock
        self.errors = 0  # write failures (the run continues without caching)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(registry: str, kind: str, ident: str) -> str:
        return f"{registry}\n{kind}\n{ident}"

    def _path(self, key: str) -> str:
        # Strings, not pathlib: this runs once per package on the event loop.
        digest = hashlib.sha256(key.encode()).hexdigest()
        return os.path.join(self._root, digest[:2], digest)

    def get(self, registry: str, kind: str, ident: str) -> CacheEntry | None:
        """The stored entry, or None when absent or corrupt (freshness is the caller's)."""
        key = self.key(registry, kind, ident)
        try:
            with open(self._path(key), "rb") as fh:
                # One read covers the magic line, the header and (nearly always) the body.
                chunk = fh.read(_FIRST_READ)
                if not chunk.startswith(_MAGIC):
                    return None
                end = chunk.find(b"\n", len(_MAGIC), len(_MAGIC) + _MAX_HEADER)
                if end < 0:
                    return None
                header = json.loads(chunk[len(_MAGIC) : end])
                if not isinstance(header, dict) or header.get("key") != key:
                    return None
                length = header["length"]
                if not isinstance(length, int) or length < 0:
                    return None
                body = chunk[end + 1 :]
                if len(chunk) == _FIRST_READ and len(body) <= length:  # a short read was EOF
                    body += fh.read(length + 1 - len(body))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if len(body) != length or hashlib.sha256(body).hexdigest() != header.get("sha256"):
            return None
        status, etag, stored = header.get("status"), header.get("etag"), header.get("stored_at")
        if status not in (200, 404) or not isinstance(stored, int | float):
            return None
        if etag is not None and not isinstance(etag, str):
            return None
        return CacheEntry(status, body, etag, float(stored))

    def fresh(self, kind: str, entry: CacheEntry) -> bool:
        age = self._clock() - entry.stored_at
        if age < 0:
            return False
        if entry.status == 404:
            return age < self.negative_ttl
        if kind == ATTESTATIONS:
            return True
        return age < self.packument_ttl

    def lookup(self, registry: str, kind: str, ident: str) -> tuple[CacheEntry | None, bool]:
        """(entry, fresh)."""
        entry = self.get(registry, kind, ident)
        if entry is None:
            self.misses += 1
            return None, False
        fresh = self.fresh(kind, entry)
        if fresh:
            self.hits += 1
        else:
            self.misses += 1
        return entry, fresh

    def put(
        self, registry: str, kind: str, ident: str, status: int, body: bytes, etag: str | None
    ) -> None:
        key = self.key(registry, kind, ident)
        header = {
            "key": key,
            "status": status,
            "etag": etag,
            "stored_at": self._clock(),
            "length": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        line = json.dumps(header, separators=(",", ":")).encode() + b"\n"
        try:
            write_atomic(Path(self._path(key)), _MAGIC, line, body, dir_mode=0o700)
        except OSError:
            self.errors += 1

    def touch(self, registry: str, kind: str, ident: str, entry: CacheEntry) -> None:
        """Record a successful revalidation (304): same body, new time."""
        self.put(registry, kind, ident, entry.status, entry.body, entry.etag)
