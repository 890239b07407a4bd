"""On-disk cache of raw registry responses (never verdicts: verification reruns every time).

One file per response under `<root>/v2/<2 hex>/<sha256 of key>`, written atomically (temp
file + `os.replace`).  A file holds a magic line, a JSON header (key, status, ETag, time,
body length and SHA-256, and an HMAC-SHA256 over all of them) and the body; anything that
does not check out is ignored and refetched.  Credentials are never part of a key or an entry.

The cache directory is attacker-writable in the threat model (CI caches restored from other
jobs, shared runners): entry names are predictable and the format is public, so an entry
counts only if it carries a MAC under a secret key that lives outside the cache directory
(`default_key_path`, created 0600 on first use).  Only successful (200) answers are kept:
a "not found" is always asked again, so no planted or stale 404 can hide attestations.

Freshness: an attestations response is immutable; a packument is served for `packument_ttl`
seconds, then revalidated with its ETag (a 304 keeps the authenticated body).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.fileio import write_atomic
from auditor.models import MAX_ATTESTATIONS_BYTES, MAX_PACKUMENT_BYTES

_MAGIC = b"auditor-cache 2\n"
_MAX_HEADER = 4096
_FIRST_READ = 64 * 1024
# No body larger than the client accepts is ever stored: a larger entry is planted.
_MAX_BODY = max(MAX_ATTESTATIONS_BYTES, MAX_PACKUMENT_BYTES)

ATTESTATIONS = "attestations"
PACKUMENT = "packument"  # full document
PACKUMENT_ABBREVIATED = "packument-abbreviated"


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME")
    if base and Path(base).is_absolute():
        return Path(base) / "auditor"
    return Path(env.get("HOME") or Path.home()) / ".cache" / "auditor"


KEY_BYTES = 32


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/auditor`, else `~/.local/share/auditor` (the cache key, refreshed
    trust material)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME")
    if base and Path(base).is_absolute():
        return Path(base) / "auditor"
    return Path(env.get("HOME") or Path.home()) / ".local" / "share" / "auditor"


def default_key_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the cache's MAC key lives: the user's data directory, never the cache directory
    (whoever can write the cache must not be able to read or replace the key)."""
    return user_data_dir(env) / "cache-key"


def load_cache_key(path: Path) -> bytes | None:
    """The MAC key at `path`, created (0600, random) on first use; None when it cannot be
    created or is not a private regular file of ours (the run then goes without a cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        else:
            try:
                os.write(fd, os.urandom(KEY_BYTES))
            finally:
                os.close(fd)
        # O_NONBLOCK: a FIFO planted in place of the key must not block the run.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if (
                not stat.S_ISREG(st.st_mode)
                or st.st_mode & 0o077
                or st.st_uid != os.geteuid()
                or st.st_size != KEY_BYTES
            ):
                return None
            key = os.read(fd, KEY_BYTES + 1)
        finally:
            os.close(fd)
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None


@dataclass(frozen=True, slots=True)
class CacheEntry:
    status: int  # 200 (nothing else is kept)
    body: bytes
    etag: str | None
    stored_at: float


class ResponseCache:
    """Blocking file operations: call them from a worker thread, not the event loop."""

    def __init__(
        self,
        root: Path,
        *,
        key: bytes,
        packument_ttl: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root / "v2"
        self._root = str(self.root)
        self._key = key
        self.packument_ttl = packument_ttl
        self._clock = clock
        self.errors = 0  # write failures (the run continues without caching)
        self.first_error: str | None = None  # the first failure's reason, for one warning
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(registry: str, kind: str, ident: str) -> str:
        return f"{registry}\n{kind}\n{ident}"

    def _mac(self, key: str, status: int, etag: str | None, stored: float, digest: str) -> str:
        msg = json.dumps([key, status, etag, stored, digest], separators=(",", ":"))
        return hmac.new(self._key, msg.encode(), hashlib.sha256).hexdigest()

    def _path(self, key: str) -> str:
        # Strings, not pathlib: this runs once per package on the event loop.
        digest = hashlib.sha256(key.encode()).hexdigest()
        return os.path.join(self._root, digest[:2], digest)

    def get(self, registry: str, kind: str, ident: str) -> CacheEntry | None:
        """The stored entry, or None when absent, corrupt or not authenticated by our key
        (freshness is the caller's)."""
        key = self.key(registry, kind, ident)
        try:
            # Never follow a planted symlink nor block on a planted FIFO or device.
            fd = os.open(self._path(key), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_BODY + _FIRST_READ:
                    return None
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
                if not isinstance(length, int) or not 0 <= length <= _MAX_BODY:
                    return None
                body = chunk[end + 1 :]
                if len(chunk) == _FIRST_READ and len(body) <= length:  # a short read was EOF
                    body += fh.read(length + 1 - len(body))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        digest = hashlib.sha256(body).hexdigest()
        if len(body) != length or digest != header.get("sha256"):
            return None
        status, etag, stored = header.get("status"), header.get("etag"), header.get("stored_at")
        if status != 200 or not isinstance(stored, int | float):
            return None
        if etag is not None and not isinstance(etag, str):
            return None
        mac = header.get("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(
            mac, self._mac(key, status, etag, stored, digest)
        ):
            return None
        return CacheEntry(status, body, etag, float(stored))

    def fresh(self, kind: str, entry: CacheEntry) -> bool:
        age = self._clock() - entry.stored_at
        if age < 0:
            return False
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
        """Keep a 200 answer; anything else is not cached (a negative answer is asked again:
        a kept 404 could hide attestations the registry has since served)."""
        if status != 200:
            return
        key = self.key(registry, kind, ident)
        stored = self._clock()
        digest = hashlib.sha256(body).hexdigest()
        header = {
            "key": key,
            "status": status,
            "etag": etag,
            "stored_at": stored,
            "length": len(body),
            "sha256": digest,
            "mac": self._mac(key, status, etag, stored, digest),
        }
        line = json.dumps(header, separators=(",", ":")).encode() + b"\n"
        try:
            write_atomic(Path(self._path(key)), _MAGIC, line, body, dir_mode=0o700)
        except OSError as exc:
            self.errors += 1
            if self.first_error is None:
                self.first_error = exc.strerror or type(exc).__name__

    def touch(self, registry: str, kind: str, ident: str, entry: CacheEntry) -> None:
        """Record a successful revalidation (304): same body, new time."""
        self.put(registry, kind, ident, entry.status, entry.body, entry.etag)
