"""Fetch: one request per distinct name@version (and per packument), from one source (the
live registry behind the response cache, or an offline directory), shared by every package
that needs it and dropped after the last one.

A new source (say, another registry protocol) is a class of `auditor.registry.sources`
implementing `Source`, chosen in `open_source` below.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from auditor.models import Package, Packument
from auditor.pipeline.plan import fetchable
from auditor.registry.cache import (
    ResponseCache,
    default_cache_dir,
    default_key_path,
    load_cache_key,
)
from auditor.registry.client import FetchError, NetworkSettings, RegistryClient
from auditor.registry.config import NpmConfig, NpmrcReader, resolve_npm_config
from auditor.registry.offline import OfflineDirectory
from auditor.registry.packument import PackumentError, parse_packument
from auditor.registry.sources import Fetched, OfflineSource, RegistrySource, Source

if TYPE_CHECKING:
    from auditor.pipeline.options import AuditOptions

# Decoding a 64 MiB packument can take several hundred MB: one at a time (the GIL would
# serialise them anyway).
PACKUMENT_DECODES = 1
# Packument bodies over 1 MiB held at once (downloaded, waiting for or being parsed).
LARGE_BODIES = 4
# Smaller packuments (nearly all abbreviated ones) decode on the event loop: a millisecond
# of JSON costs less than the round trip through a thread.
INLINE_DECODE_BYTES = 256 * 1024

AttKey = tuple[str | None, str, str]  # (registry, name, version)
PackKey = tuple[str | None, str, bool]  # (registry, name, full)
NameKey = tuple[str | None, str]  # (registry, name)
T = TypeVar("T")


class Fetcher:
    """One request per distinct name@version (and per packument), shared by all users."""

    def __init__(
        self, source: Source, config: NpmConfig | None, attestations_registry: str | None = None
    ) -> None:
        self.source = source
        self.config = config
        self.attestations_registry = attestations_registry
        # Registries asked about at least one package, and those that showed any sign of
        # serving attestations or signatures (registry-no-attestations is about the rest).
        self.asked: set[str] = set()
        self.evidence: set[str] = set()
        self._att: dict[AttKey, asyncio.Future[Fetched]] = {}
        self._pack: dict[PackKey, asyncio.Future[Packument | None]] = {}
        self._raw_pack: dict[PackKey, asyncio.Future[Fetched]] = {}
        self._decode = asyncio.Semaphore(PACKUMENT_DECODES)
        # Large packument bodies (over 1 MiB) held at once, from download to parse: memory
        # is bounded by this, not by the requests in flight (the review measured 2.6 GiB at
        # 300 packuments of 8 MiB before this gate existed).
        self._large = asyncio.Semaphore(LARGE_BODIES)
        if isinstance(source, RegistrySource):
            source.large_bodies = self._large
        self._users: dict[AttKey, int] = {}
        # Per name: the versions the audit needs from its packument, and how many package
        # audits still need it (the parsed packument is dropped after the last one).
        self._wanted: dict[NameKey, set[str]] = {}
        self._name_users: dict[NameKey, int] = {}
        self.history = False  # parse every version (the policy reads version history)

    def plan(self, packages: Iterable[Package]) -> None:
        """Count who will ask for each response, so `release` can drop bodies early."""
        for p in packages:
            if fetchable(p):
                registry = self.registry_for(p)
                key = (registry, p.name, p.version)
                self._users[key] = self._users.get(key, 0) + 1
                nkey = (registry, p.name)
                self._wanted.setdefault(nkey, set()).add(p.version)
                self._name_users[nkey] = self._name_users.get(nkey, 0) + 1

    def forget_packument(self, name: str, registry: str | None, full: bool) -> None:
        task = self._raw_pack.pop((registry, name, full), None)
        if task is not None and task.done():
            consume(task)

    def done_with(self, fetched: Fetched) -> None:
        """The body of a gated response is no longer needed: free its slot."""
        if fetched.gated:
            self._large.release()

    def release(self, name: str, version: str, registry: str | None) -> None:
        """One user is done with a response: after the last, forget its body (memory stays
        bounded by what is in flight, not by the size of the lockfile)."""
        key = (registry, name, version)
        left = self._users.get(key, 0) - 1
        if left > 0:
            self._users[key] = left
            return
        self._users.pop(key, None)
        task = self._att.pop(key, None)
        if task is not None and task.done():
            consume(task)

    def release_name(self, name: str, registry: str | None) -> None:
        """One package audit is done with the packument of `name`: after the last, drop
        the parsed packuments (memory bounded by the packages in flight)."""
        nkey = (registry, name)
        left = self._name_users.get(nkey, 0) - 1
        if left > 0:
            self._name_users[nkey] = left
            return
        self._name_users.pop(nkey, None)
        for full in (False, True):
            task = self._pack.pop((registry, name, full), None)
            if task is not None and task.done():
                consume(task)

    def registry_for(self, package: Package) -> str | None:
        if self.config is None:
            return None
        registry = self.config.registry_for(package)
        if self.attestations_registry is not None and registry == self.config.registry:
            return self.attestations_registry
        return registry

    def refused(self, registry: str | None) -> str | None:
        """Why this registry may not be contacted (plain http), or None.  Offline, the
        configuration only labels results, so nothing is refused."""
        if self.config is None or registry is None or isinstance(self.source, OfflineSource):
            return None
        return self.config.refused.get(registry)

    def attestations(self, name: str, version: str, registry: str | None) -> Awaitable[Fetched]:
        key = (registry, name, version)
        task = self._att.get(key)
        if task is None:
            task = self._local(name, version, registry)
            if task is None:
                task = asyncio.ensure_future(
                    self.source.fetch_attestations(name, version, registry)
                )
            self._att[key] = task
        return asyncio.shield(task)

    def _local(
        self, name: str, version: str, registry: str | None
    ) -> asyncio.Future[Fetched] | None:
        """A finished future when local storage answers: awaiting it does not yield, so the
        package goes straight on to verification (the workers get their first batch at once
        instead of after every package has been read)."""
        try:
            local = self.source.local_attestations(name, version, registry)
        except FetchError as exc:
            failed: asyncio.Future[Fetched] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            return failed
        if local is None:
            return None
        done: asyncio.Future[Fetched] = asyncio.get_running_loop().create_future()
        done.set_result(local)
        return done

    def raw_packument(self, name: str, registry: str | None, full: bool) -> Awaitable[Fetched]:
        key = (registry, name, full)
        task = self._raw_pack.get(key)
        if task is None:
            task = asyncio.ensure_future(self.source.packument(name, registry, full=full))
            self._raw_pack[key] = task
        return asyncio.shield(task)

    def packument(self, name: str, registry: str | None, full: bool) -> Awaitable[Packument | None]:
        """The parsed packument, None when the registry has none (404)."""
        key = (registry, name, full)
        task = self._pack.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load_packument(name, registry, full))
            self._pack[key] = task
        return asyncio.shield(task)

    async def _load_packument(
        self, name: str, registry: str | None, full: bool
    ) -> Packument | None:
        fetched = await self.raw_packument(name, registry, full)
        if not fetched.found:
            self.done_with(fetched)
            return None
        wanted = self._wanted.get((registry, name))
        history = self.history and full
        try:
            if len(fetched.body) <= INLINE_DECODE_BYTES:
                packument = parse_packument(name, fetched.body, wanted, history=history, full=full)
            else:
                async with self._decode:
                    packument = await asyncio.to_thread(
                        partial(parse_packument, history=history, full=full),
                        name,
                        fetched.body,
                        wanted,
                    )
            if (
                registry is not None
                and registry not in self.evidence
                and any(
                    v.attestations_advertised or v.signatures for v in packument.versions.values()
                )
            ):
                self.evidence.add(registry)
            return packument
        except PackumentError as exc:
            raise FetchError("FETCH_MALFORMED", f"packument: {exc}") from None
        finally:
            self._raw_pack.pop((registry, name, full), None)  # keep only the parsed form
            self.done_with(fetched)

    def settle(self) -> None:
        """At the end of a run: retrieve what finished, cancel what did not."""
        _settle(self._att.values())
        _settle(self._pack.values())
        _settle(self._raw_pack.values())


def _settle(tasks: Iterable[asyncio.Future[T]]) -> None:
    for task in tasks:
        if task.done():
            consume(task)
        else:
            task.cancel()


def forget(awaitable: Awaitable[object]) -> None:
    """Drop interest in a shared future without leaving 'exception never retrieved'."""
    if isinstance(awaitable, asyncio.Future):
        awaitable.add_done_callback(consume)


def consume(fut: asyncio.Future[T]) -> None:
    if not fut.cancelled():
        fut.exception()


# --------------------------------------------------------------------------- set-up


def network_settings(network: NetworkSettings | None, concurrency: int | None) -> NetworkSettings:
    settings = network or NetworkSettings()
    if concurrency is not None and concurrency != settings.concurrency:
        settings = replace(settings, concurrency=concurrency)
    return settings


def npm_config(
    lockfile_path: Path,
    registry: str | None,
    env: Mapping[str, str] | None,
    npm: str | bool | None,
    options: AuditOptions | None = None,
) -> NpmConfig:
    """The npm configuration of the lockfile's project (in pull-request mode, the npmrc
    files inside the repository as they are at the base)."""
    project_dir = lockfile_path.resolve().parent
    reader: NpmrcReader | None = None
    npm_cwd: Path | None = None
    if options is not None and options.base_config is not None:
        # npmrc files inside the repository come from the base; npm itself runs outside
        # the work tree so that it cannot read the pull request's .npmrc either.
        reader = options.base_config.npmrc
        npm_cwd = options.base_config.scratch_dir()
    elif options is not None and not options.project_npmrc:
        project_npmrc = project_dir / ".npmrc"

        def reader(path: Path) -> tuple[bytes | None, str] | None:
            return (None, f"{path} (not read)") if path == project_npmrc else None

    return resolve_npm_config(
        project_dir,
        registry,
        env=env,
        npm=npm if npm else None,
        reader=reader,
        npm_cwd=npm_cwd,
    )


def open_cache(
    injected: ResponseCache | None,
    use_cache: bool,
    cache_dir: Path | None,
    env: Mapping[str, str] | None,
) -> ResponseCache | None:
    """The injected cache, else the user's (None: --no-cache, or no key to authenticate it)."""
    if injected is not None or not use_cache:
        return injected
    # The MAC key lives in the user's data directory, outside the (untrusted) cache; without
    # it the run goes uncached rather than trusting entries it cannot authenticate.
    key = load_cache_key(default_key_path(env))
    if key is None:
        return None
    return ResponseCache(cache_dir or default_cache_dir(env), key=key)


@asynccontextmanager
async def open_source(
    config: NpmConfig | None,
    settings: NetworkSettings,
    *,
    offline: OfflineDirectory | None,
    cache: ResponseCache | None,
) -> AsyncIterator[tuple[Source, RegistryClient | None]]:
    """The source a run fetches from, with its registry client (None offline)."""
    if offline is not None:
        yield OfflineSource(offline, settings), None
        return
    async with RegistryClient(config, settings) as client:
        yield RegistrySource(client, cache), client
