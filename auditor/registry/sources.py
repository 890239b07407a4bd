"""Where responses come from: the live registry (through the cache) or an offline directory.

Both raise `FetchError` for anything but "found" or "not found", so the engine treats them
alike and fails closed the same way.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from auditor.registry.cache import (
    ATTESTATIONS,
    PACKUMENT,
    PACKUMENT_ABBREVIATED,
    ResponseCache,
)
from auditor.registry.client import ABBREVIATED, FetchError, NetworkSettings, RegistryClient
from auditor.registry.config import encode_name
from auditor.registry.offline import (
    OfflineDirectory,
    OfflineMissing,
    OfflineTooLarge,
    UnsafeName,
)


@dataclass(frozen=True, slots=True)
class Fetched:
    found: bool  # False: the registry answered 404
    body: bytes = b""
    from_cache: bool = False
    gated: bool = False  # holds a slot of the source's `large_bodies` gate until released


class Source(Protocol):
    settings: NetworkSettings

    def local_attestations(self, name: str, version: str, registry: str | None) -> Fetched | None:
        """The answer from local storage (cache, offline directory), None when only the
        network can give it.  Synchronous: a small local file costs less than a hand-off."""

    async def fetch_attestations(self, name: str, version: str, registry: str | None) -> Fetched:
        """The answer when `local_attestations` had none."""

    async def packument(self, name: str, registry: str | None, *, full: bool) -> Fetched: ...


def attestations_url(registry: str, name: str, version: str) -> str:
    return f"{registry}-/npm/v1/attestations/{encode_name(name)}@{quote(version, safe='')}"


def packument_url(registry: str, name: str) -> str:
    return registry + encode_name(name)


class RegistrySource:
    """The live registry, with an optional response cache in front of it."""

    def __init__(self, client: RegistryClient, cache: ResponseCache | None = None) -> None:
        self.client = client
        self.cache = cache
        self.settings = client.settings
        # Large packument bodies in memory at once (set by the engine's Fetcher, which
        # releases a slot once the body is parsed or written).
        self.large_bodies: asyncio.Semaphore | None = None

    def local_attestations(self, name: str, version: str, registry: str | None) -> Fetched | None:
        cache = self.cache
        if cache is None or registry is None:
            return None
        entry, fresh = cache.lookup(registry, ATTESTATIONS, f"{name}@{version}")
        if entry is not None and fresh:
            return Fetched(entry.status == 200, entry.body, True)
        return None

    async def attestations(self, name: str, version: str, registry: str | None) -> Fetched:
        """From the cache, else the registry."""
        local = self.local_attestations(name, version, registry)
        if local is not None:
            return local
        return await self.fetch_attestations(name, version, registry)

    async def fetch_attestations(self, name: str, version: str, registry: str | None) -> Fetched:
        assert registry is not None
        ident = f"{name}@{version}"
        cache = self.cache
        resp = await self.client.get(
            attestations_url(registry, name, version),
            max_bytes=self.settings.max_attestation_bytes,
        )
        if resp.status not in (200, 404):
            raise FetchError(f"FETCH_HTTP_{resp.status}", f"unexpected HTTP {resp.status}")
        if cache is not None:
            await asyncio.to_thread(
                cache.put, registry, ATTESTATIONS, ident, resp.status, resp.body, None
            )
        return Fetched(resp.status == 200, resp.body)

    async def packument(self, name: str, registry: str | None, *, full: bool) -> Fetched:
        assert registry is not None
        kind = PACKUMENT if full else PACKUMENT_ABBREVIATED
        cache = self.cache
        entry = None
        if cache is not None:
            # Synchronous like the attestations: even a large packument reads in milliseconds
            # from the page cache; decoding it is what goes to a thread (Fetcher).
            entry, fresh = cache.lookup(registry, kind, name)
            if entry is not None and fresh:
                return Fetched(entry.status == 200, entry.body, True)
        etag = entry.etag if entry is not None and entry.status == 200 else None
        resp = await self.client.get(
            packument_url(registry, name),
            max_bytes=self.settings.max_packument_bytes,
            accept="application/json" if full else ABBREVIATED,
            etag=etag,
            gate=self.large_bodies,
        )
        if resp.status == 304:
            if entry is None or etag is None:
                raise FetchError("FETCH_HTTP_304", "registry answered 304 to an unconditional GET")
            if cache is not None:
                await asyncio.to_thread(cache.touch, registry, kind, name, entry)
            return Fetched(True, entry.body, True)
        if cache is not None:
            try:
                await asyncio.to_thread(
                    cache.put, registry, kind, name, resp.status, resp.body, resp.etag
                )
            except BaseException:
                if resp.gated and self.large_bodies is not None:
                    self.large_bodies.release()
                raise
        return Fetched(resp.status == 200, resp.body, gated=resp.gated)


class OfflineSource:
    """Recorded responses in a directory; never touches the network."""

    def __init__(self, directory: OfflineDirectory, settings: NetworkSettings | None = None):
        self.directory = directory
        self.settings = settings or NetworkSettings()

    def local_attestations(self, name: str, version: str, registry: str | None) -> Fetched:
        body = _offline_read(
            self.directory.attestations, name, version, self.settings.max_attestation_bytes
        )
        return Fetched(body is not None, body or b"")

    async def fetch_attestations(self, name: str, version: str, registry: str | None) -> Fetched:
        return self.local_attestations(name, version, registry)

    async def packument(self, name: str, registry: str | None, *, full: bool) -> Fetched:
        # The full packument serves both forms (as the abbreviated one is a subset of it).
        body = _offline_read(self.directory.packument, name, self.settings.max_packument_bytes)
        return Fetched(body is not None, body or b"")


def _offline_read(fn: object, *args: object) -> bytes | None:
    try:
        result = fn(*args)  # type: ignore[operator]
    except UnsafeName as exc:
        raise FetchError("INVALID_NAME", str(exc)) from None
    except OfflineMissing as exc:
        # Not recorded: nothing says what the registry had (never "404, unattested").
        raise FetchError("OFFLINE_MISSING", str(exc)) from None
    except OfflineTooLarge as exc:
        raise FetchError("FETCH_TOO_LARGE", str(exc)) from None
    except OSError as exc:
        raise FetchError(
            "OFFLINE_UNREADABLE", f"cannot read the recorded response: {exc}"
        ) from None
    assert result is None or isinstance(result, bytes)
    return result
