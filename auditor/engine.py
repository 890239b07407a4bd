"""Orchestration: lockfile -> fetch (aiohttp, cache, offline) -> verify (both cores) -> policy.

`run_audit` is what `audit LOCKFILE` runs; `fetch_into` is `audit fetch --into DIR`.

Per package: its packument (abbreviated unless the policy reads history), and a request to
the attestations endpoint when that packument advertises `dist.attestations` (as npm does;
otherwise, or on a 404: unattested).  For every package the endpoint served no provenance
for (404, publish-only, another status, a body that is not attestations), the packument
decides whether the registry advertised what the endpoint lacks (stripped provenance is
`invalid`, reason PROVENANCE_STRIPPED, decided in `auditor.registry.stripping`).  Anything
that could not be fetched or decoded is `error` with a FETCH_* reason: the engine never turns
a failure into "unattested" or "verified".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import multiprocessing
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from auditor import __version__
from auditor.errors import ConfigError, UsageError
from auditor.fileio import write_atomic
from auditor.models import (
    Lockfile,
    Package,
    PackageResult,
    Packument,
    RegistrySignature,
    Report,
    RunFailure,
    SignatureStatus,
    SourceKind,
    Status,
    TrustFile,
    VerificationResult,
    VersionInfo,
)
from auditor.progress import NullProgress, ProgressSink, make_progress
from auditor.registry.cache import (
    ResponseCache,
    default_cache_dir,
    default_key_path,
    load_cache_key,
)
from auditor.registry.client import (
    DEFAULT_CONCURRENCY,
    FetchError,
    NetworkSettings,
    RegistryClient,
    display_origin,
)
from auditor.registry.config import (
    NpmConfig,
    NpmrcReader,
    normalize_registry_url,
    resolve_npm_config,
)
from auditor.registry.offline import (
    ATTESTATIONS_DIR,
    MANIFEST,
    PACKUMENTS_DIR,
    Manifest,
    OfflineDirectory,
    Recorded,
    UnsafeName,
    attestations_path,
    load_manifest,
    manifest_now,
    packument_path,
    write_manifest,
)
from auditor.registry.packument import PackumentError, parse_packument
from auditor.registry.sources import Fetched, OfflineSource, RegistrySource, Source
from auditor.registry.stripping import (
    PROVENANCE_STRIPPED,
    Served,
    answered_without_attestations,
    stripped,
)

if TYPE_CHECKING:
    from auditor.policy import Policy

# The npm publish attestation's predicate type (auditor.verify.statement.PUBLISH_TYPE; not
# imported from there to keep the verifier's imports off the start-up path).
PUBLISH_PREDICATE = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"

VerifyFn = Callable[[str, str, "str | None", bytes, Any], VerificationResult]

# Below this many registry packages a process pool costs more (start-up) than it saves.
POOL_THRESHOLD = 150
# Decoding a 64 MiB packument can take several hundred MB: one at a time (the GIL would
# serialise them anyway).
PACKUMENT_DECODES = 1
# Packument bodies over 1 MiB held at once (downloaded, waiting for or being parsed).
LARGE_BODIES = 4
# Smaller packuments (nearly all abbreviated ones) decode on the event loop: a millisecond
# of JSON costs less than the round trip through a thread.
INLINE_DECODE_BYTES = 256 * 1024
# The trusted-root schema check takes a fraction of a second; a child stuck longer than
# this (say, forked while another thread held a lock) fails the run instead of hanging it.
SIDE_CHECK_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class AuditOptions:
    """Everything `audit` takes besides the lockfile and the policy (see `auditor.cli`)."""

    registry: str | None = None
    offline: Path | None = None
    trusted_root: Path | None = None
    npm_keys: Path | None = None
    concurrency: int | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    base: Path | None = None
    base_ref: str | None = None
    audit_all: bool = False
    quiet: bool = False
    verbose: int = 0
    policy_path: Path | None = None
    # Configuration from the base (`auditor.diff.baseconfig.BaseConfig`): npmrc files inside
    # the repository are read at its ref, and what the work tree changed is a finding.
    base_config: Any = None
    # False: the project .npmrc is not read at all (`--base FILE` with `--registry`: the
    # pull request controls it, and there is no ref to read it at).
    project_npmrc: bool = True
    # Attestations, signatures and packuments come from here instead of the configured
    # (default) registry, a mirror that strips them; tarballs keep resolving through the mirror.
    attestations_registry: str | None = None
    # Request the attestations endpoint only for versions whose packument advertises
    # `dist.attestations` (as npm does); False: request it for every registry package.
    attestations_when_advertised: bool = True
    # Called once, before any fetch, with the run's first line for stderr (lockfile,
    # package count, registry and where it came from); None: say nothing.
    announce: Callable[[str], None] | None = None
    # Called with a warning for stderr (once per condition, e.g. an unwritable cache).
    warn: Callable[[str], None] | None = None
    # What trust material `trusted_root`/`npm_keys` are (for the report; see trustupdate).
    trust_files: tuple[TrustFile, ...] = ()
    # Not on the command line: injection points for tests and benchmarks.
    network: NetworkSettings | None = None
    now: datetime | None = None
    env: Mapping[str, str] | None = None
    npm: str | bool | None = True  # True: npm from PATH; None/False: never run npm
    progress: ProgressSink | None = None
    verify_workers: int | None = None  # None: automatic; 0: verify in a thread
    verifier: VerifyFn | None = None  # default: auditor.verify.verify_attestations
    trust: Any = None  # default: load_trust(trusted_root, npm_keys)


@dataclass(frozen=True)
class FetchOptions:
    """`audit fetch LOCKFILE --into DIR`."""

    into: Path
    registry: str | None = None
    concurrency: int | None = None
    cache_dir: Path | None = None
    use_cache: bool = True
    packuments: bool = False  # kept for compatibility: every packument is written now
    quiet: bool = False
    verbose: int = 0
    network: NetworkSettings | None = None
    env: Mapping[str, str] | None = None
    npm: str | bool | None = True
    progress: ProgressSink | None = None


@dataclass(frozen=True)
class FetchSummary:
    into: Path
    attestations: int = 0  # responses written
    not_found: int = 0  # packages without attestations (no file, by design)
    packuments: int = 0
    skipped: int = 0  # not from a registry
    errors: tuple[str, ...] = ()

    def describe(self) -> str:
        text = (
            f"audit fetch: {self.attestations} attestation responses and {self.packuments} "
            f"packuments written to {self.into} ({self.not_found} packages without "
            f"attestations, {self.skipped} not from a registry)"
        )
        if self.errors:
            shown = "; ".join(self.errors[:5])
            more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
            text += f"; {len(self.errors)} failed: {shown}{more}"
        return text


# --------------------------------------------------------------------------- verification

Outcome = VerificationResult | tuple[str, str]  # (reason, message): not verifiable at all
Job = tuple[str, str, "str | None", bytes]

# Jobs go to worker processes in batches: one task per response costs more in pickling and
# queue hand-offs than the ~1.5 ms the verification itself takes.
BATCH = 16
BATCH_WAIT_S = 0.005


def verify_one(
    fn: VerifyFn, trust: Any, name: str, version: str, integrity: str | None, body: bytes
) -> Outcome:
    """Verify one response; (reason, message) when it is not JSON (fetch-level failure)."""
    try:
        result = fn(name, version, integrity, body, trust)
    except Exception as exc:  # the verifier promises not to raise; fail closed if it does
        return ("VERIFY_CRASHED", f"verifier failed: {type(exc).__name__}")
    if result.status is Status.ERROR:  # over the size limit (a cache entry): undecided
        return (result.reason or "VERIFY_ERROR", result.message or "not verifiable")
    if result.status is Status.INVALID and result.reason == "RESPONSE_MALFORMED":
        # Not even a JSON object (an HTML error page, a cut-off body): the data could not
        # be decoded, so the package is undecided (error), not "invalid".  Checked only
        # here so that the common case parses the response once.
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            return ("FETCH_MALFORMED", "the attestations response is not valid JSON")
        if not isinstance(doc, dict):
            return ("FETCH_MALFORMED", "the attestations response is not a JSON object")
    return result


def verify_batch(fn: VerifyFn, trust: Any, jobs: Sequence[Job]) -> list[Outcome]:
    """Worker-process entry point.  `trust` travels with every batch: it pickles as its two
    source documents and is rebuilt once per process (memoised), so that is cheap."""
    return [verify_one(fn, trust, *job) for job in jobs]


class Verifier:
    """Runs verification off the event loop: one thread for small runs, a process pool (both
    cores) for large ones.  Trust material loads in the background while fetching starts."""

    def __init__(self, load: Callable[[], Any], fn: VerifyFn, workers: int) -> None:
        self._load = load
        self.fn = fn
        self.workers = workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._thread = concurrent.futures.ThreadPoolExecutor(1, "auditor-verify")
        self._trust: concurrent.futures.Future[Any] | None = None
        self._pending: list[tuple[Job, asyncio.Future[Outcome]]] = []
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Fork the workers now, before the event loop and its threads exist (fork-safe),
        then start loading the trust material."""
        if self.workers > 0:
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=ctx)
            for _ in range(self.workers):
                self._pool.submit(int)  # launches every worker now
        self._trust = self._thread.submit(self._load)

    def trust(self) -> Any:
        """The loaded trust material (raises TrustError when it cannot be loaded)."""
        assert self._trust is not None
        return self._trust.result()

    async def loaded_trust(self) -> Any:
        """The trust material once loaded, or None when it cannot be loaded (run_audit
        raises the TrustError itself)."""
        assert self._trust is not None
        pending = self._trust
        if not pending.done():
            await asyncio.wait([asyncio.wrap_future(pending)])
        return None if pending.exception() is not None else pending.result()

    async def verify(self, name: str, version: str, integrity: str | None, body: bytes) -> Outcome:
        assert self._trust is not None
        pending = self._trust
        if not pending.done():
            # No await once it has loaded: each await is a trip round the event loop, which
            # would hold the first batch back until every task has had its turn.
            await asyncio.wait([asyncio.wrap_future(pending)])
        if pending.exception() is not None:  # run_audit raises the TrustError itself later
            return ("TRUST_UNAVAILABLE", "the trust material could not be loaded")
        trust = pending.result()
        loop = asyncio.get_running_loop()
        if self._pool is None:
            return await loop.run_in_executor(
                self._thread, verify_one, self.fn, trust, name, version, integrity, body
            )
        fut: asyncio.Future[Outcome] = loop.create_future()
        self._pending.append(((name, version, integrity, body), fut))
        if len(self._pending) >= BATCH:
            self._flush(trust)
        elif self._timer is None:
            self._timer = loop.call_later(BATCH_WAIT_S, self._flush, trust)
        return await fut

    def _flush(self, trust: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if not batch or self._pool is None:
            return
        futures = [f for _, f in batch]
        try:
            done = asyncio.wrap_future(
                self._pool.submit(verify_batch, self.fn, trust, [job for job, _ in batch])
            )
        except (BrokenProcessPool, RuntimeError):
            _settle_all(futures, None)
            return
        done.add_done_callback(lambda d: _settle_all(futures, d))

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._thread.shutdown(wait=True)


def _settle_all(
    futures: list[asyncio.Future[Outcome]], done: asyncio.Future[list[Outcome]] | None
) -> None:
    results: list[Outcome] | None = None
    if done is not None and not done.cancelled() and done.exception() is None:
        results = done.result()
    for i, fut in enumerate(futures):
        if fut.done():
            continue
        if results is not None and i < len(results):
            fut.set_result(results[i])
        else:  # a worker died (killed, out of memory): fail closed, per package
            fut.set_result(("VERIFY_CRASHED", "a verification worker process failed"))


def auto_workers(n_registry: int, requested: int | None) -> int:
    if requested is not None:
        return max(0, requested)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if n_registry < POOL_THRESHOLD or (cpus or 1) < 2:
        return 0
    return min(cpus or 1, 8)


# --------------------------------------------------------------------------- fetching


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
        self._att: dict[tuple[str | None, str, str], asyncio.Future[Fetched]] = {}
        self._pack: dict[tuple[str | None, str, bool], asyncio.Task[Packument | None]] = {}
        self._raw_pack: dict[tuple[str | None, str, bool], asyncio.Task[Fetched]] = {}
        self._decode = asyncio.Semaphore(PACKUMENT_DECODES)
        # Large packument bodies (over 1 MiB) held at once, from download to parse: memory
        # is bounded by this, not by the requests in flight (the review measured 2.6 GiB at
        # 300 packuments of 8 MiB before this gate existed).
        self._large = asyncio.Semaphore(LARGE_BODIES)
        if isinstance(source, RegistrySource):
            source.large_bodies = self._large
        self._users: dict[tuple[str | None, str, str], int] = {}
        # Per name: the versions the audit needs from its packument, and how many package
        # audits still need it (the parsed packument is dropped after the last one).
        self._wanted: dict[tuple[str | None, str], set[str]] = {}
        self._name_users: dict[tuple[str | None, str], int] = {}
        self.history = False  # parse every version (the policy reads version history)

    def plan(self, packages: Iterable[Package]) -> None:
        """Count who will ask for each response, so `release` can drop bodies early."""
        for p in packages:
            if p.source is SourceKind.REGISTRY and p.alias_problem is None:
                registry = self.registry_for(p)
                key = (registry, p.name, p.version)
                self._users[key] = self._users.get(key, 0) + 1
                nkey = (registry, p.name)
                self._wanted.setdefault(nkey, set()).add(p.version)
                self._name_users[nkey] = self._name_users.get(nkey, 0) + 1

    def forget_packument(self, name: str, registry: str | None, full: bool) -> None:
        task = self._raw_pack.pop((registry, name, full), None)
        if task is not None and task.done():
            _consume(task)

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
            _consume(task)

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
                _consume(task)

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

    def drain(self) -> list[asyncio.Future[Any]]:
        return [*self._att.values(), *self._pack.values(), *self._raw_pack.values()]


def resolved_problem(resolved: str | None) -> str | None:
    """Why an http(s) `resolved` URL cannot be parsed (a bad IPv6 literal or port), or None.

    npm cannot install from such a URL, so the package is undecided: `error`, never a crash.
    """
    if not resolved or ("[" not in resolved and ":" not in resolved[8:]):
        return None  # no IPv6 literal and no port: nothing that can fail to parse
    try:
        urlsplit(resolved).port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return str(exc)
    return None


def _error(package: Package, reason: str, message: str, registry: str | None) -> PackageResult:
    return PackageResult(package, Status.ERROR, reason, message, registry=registry)


class Auditor:
    """Fetch and verify packages into `PackageResult`s."""

    def __init__(
        self,
        fetcher: Fetcher,
        verifier: Verifier,
        *,
        needs_packuments: bool,
        progress: ProgressSink,
        when_advertised: bool = True,
    ) -> None:
        self.fetcher = fetcher
        self.verifier = verifier
        self.needs_packuments = needs_packuments
        self.when_advertised = when_advertised
        fetcher.history = needs_packuments
        self.progress = progress

    async def audit(self, packages: Sequence[Package]) -> list[PackageResult]:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(self.audit_one(p)) for p in packages]
        return [t.result() for t in tasks]

    async def audit_one(self, package: Package) -> PackageResult:
        result = await self._audit_one(package)
        self.progress.verified()
        return result

    async def _audit_one(self, package: Package) -> PackageResult:
        if package.alias_problem is not None:
            # First: no registry, URL or file path is ever made from a malformed alias.
            self.progress.fetched()
            return _error(package, "ALIAS_INVALID", package.alias_problem, None)
        if package.source is not SourceKind.REGISTRY:
            self.progress.fetched()
            return PackageResult(
                package,
                Status.NOT_APPLICABLE,
                "NOT_REGISTRY",
                f"{package.source.value} dependency: registry attestations cannot exist",
            )
        problem = resolved_problem(package.resolved)
        if problem is not None:
            self.progress.fetched()
            return _error(
                package, "RESOLVED_INVALID", f"the lockfile's resolved URL: {problem}", None
            )
        try:
            return await self._audit_registry(package)
        finally:
            fetcher = self.fetcher
            fetcher.release(package.name, package.version, fetcher.registry_for(package))

    async def _audit_registry(self, package: Package) -> PackageResult:
        fetcher = self.fetcher
        registry = fetcher.registry_for(package)
        refused = fetcher.refused(registry)
        if refused is not None:
            self.progress.fetched()
            fetcher.release_name(package.name, registry)
            return _error(package, "INSECURE_REGISTRY", refused, registry)
        try:
            return await self._audit_fetched(package, registry)
        finally:
            fetcher.release_name(package.name, registry)

    async def _audit_fetched(self, package: Package, registry: str | None) -> PackageResult:
        fetcher = self.fetcher
        name, version = package.name, package.version
        if registry is not None:
            fetcher.asked.add(registry)
        # Every registry package needs its packument (the registry signature is in it):
        # abbreviated unless the policy reads publish times or history.
        full = self.needs_packuments
        pk_wait = fetcher.packument(name, registry, full)
        # An endpoint that answered with something other than attestations (another status,
        # an HTML page, an empty body) is `error` unless the packument advertised
        # attestations: then it is stripping (`invalid`), decided below with the 404 case.
        failed: tuple[str, str] | None = None
        verification: VerificationResult | None = None
        try:
            if self.when_advertised and await _unadvertised(pk_wait, version):
                # The packument is attacker data, but leaving `dist.attestations` out can only
                # make the verdict less favourable: the package is `unattested`, exactly as if
                # the endpoint had answered 404 (which that attacker could answer anyway), and
                # never `verified`.  When attestations are advertised the endpoint is fetched
                # and stripping is decided as before; a packument that failed or lacks the
                # version takes the plain path (its failure stays `error`).
                fetched = Fetched(found=False)
            else:
                fetched = await fetcher.attestations(name, version, registry)
        except FetchError as exc:
            self.progress.fetched()
            failed = (exc.reason, f"attestations: {exc.message}")
            if not answered_without_attestations(exc.reason):
                _forget(pk_wait)
                return _error(package, *failed, registry)
            status, reason, message = Status.ERROR, None, None
        else:
            self.progress.fetched()
            if fetched.found:
                outcome = await self.verifier.verify(name, version, package.integrity, fetched.body)
                if isinstance(outcome, tuple):
                    failed = outcome
                    if not answered_without_attestations(outcome[0]):
                        _forget(pk_wait)
                        return _error(package, *failed, registry)
                    status, reason, message = Status.ERROR, None, None
                else:
                    verification = outcome
                    status, reason, message = outcome.status, outcome.reason, outcome.message
                    if registry is not None:
                        fetcher.evidence.add(registry)  # it serves attestations
            else:
                # An integrity npm would not pin one sha512 by is said on the package, too.
                status, reason, message = (
                    Status.UNATTESTED,
                    package.integrity_reason,
                    package.integrity_problem,
                )

        try:
            packument = await pk_wait
        except FetchError as exc:
            if failed is not None:
                return _error(package, *failed, registry)
            return _error(package, exc.reason, f"packument: {exc.message}", registry)
        info = packument.versions.get(version) if packument is not None else None
        kept = packument if full else None  # the policy reads only full packuments

        # Stripping cross-check for every registry package the endpoint served no
        # provenance for: what did the registry's own metadata advertise?
        if status in (Status.PUBLISH_ONLY, Status.UNATTESTED, Status.ERROR):
            if info is None and status is Status.PUBLISH_ONLY:
                return _error(
                    package,
                    "PACKUMENT_VERSION_MISSING",
                    "the registry's packument does not list this version; "
                    "cannot check for stripped provenance",
                    registry,
                )
            served = Served.PUBLISH_ONLY if status is Status.PUBLISH_ONLY else Served.NOTHING
            why = stripped(info, served)
            if why is not None:
                if failed is not None:
                    why += f" ({failed[0]})"
                signature = await self._signature(package, registry, packument, info, verification)
                return PackageResult(
                    package,
                    Status.INVALID,
                    PROVENANCE_STRIPPED,
                    why,
                    verification,
                    kept,
                    registry,
                    signature if isinstance(signature, RegistrySignature) else None,
                )
            if failed is not None:
                return _error(package, *failed, registry)

        signature = await self._signature(package, registry, packument, info, verification)
        if signature is None:
            return _error(
                package, "TRUST_UNAVAILABLE", "the trust material could not be loaded", registry
            )
        if isinstance(signature, FetchError):
            return _error(
                package,
                signature.reason,
                f"packument (publish time): {signature.message}",
                registry,
            )

        # Provenance alone is not registry acceptance: anyone controlling the response can
        # mint CI-signed provenance for any name.  The registry's publish attestation or
        # its signature must bind name@version:integrity.
        if (
            status is Status.VERIFIED
            and verification is not None
            and not _has_publish(verification)
            and signature.status is not SignatureStatus.VERIFIED
        ):
            return PackageResult(
                package,
                Status.INVALID,
                "PUBLISH_ATTESTATION_MISSING",
                "provenance without a publish attestation, and no verified registry signature "
                f"binds {package.spec} to its integrity ({signature.reason or 'no signature'})",
                verification,
                kept,
                registry,
                signature,
            )
        return PackageResult(
            package, status, reason, message, verification, kept, registry, signature
        )

    async def _signature(
        self,
        package: Package,
        registry: str | None,
        packument: Packument | None,
        info: VersionInfo | None,
        verification: VerificationResult | None,
    ) -> RegistrySignature | FetchError | None:
        """The registry-signature verdict (None: no trust material)."""
        from auditor.verify import key_needs_time, verify_registry_signature

        trust = await self.verifier.loaded_trust()
        if trust is None:
            return None
        published = _publish_log_time(verification)
        if published is None and info is not None and key_needs_time(info, trust):
            # The signing key has an end of validity: judge it at the publish time, which
            # only the full packument carries.
            if packument is not None and packument.full:
                published = info.published
            else:
                try:
                    full = await self.fetcher.packument(package.name, registry, True)
                except FetchError as exc:
                    return exc
                got = full.versions.get(package.version) if full is not None else None
                published = got.published if got is not None else None
        return verify_registry_signature(
            package.name, package.version, package.integrity, info, trust, published
        )


def signing_registries(results: Iterable[PackageResult]) -> frozenset[str]:
    """Registries that sign packages: any package from them carries dist.signatures.

    A registry that signs every version does not drop one; a registry that signs none (a
    mirror, a private registry) cannot be held to it.  Keys are `PackageResult.registry`
    ("" when unknown)."""
    return frozenset(
        r.registry or ""
        for r in results
        if r.registry_signature is not None
        and r.registry_signature.status is not SignatureStatus.MISSING
    )


def explain_unsigned(results: list[PackageResult], signing: frozenset[str]) -> list[PackageResult]:
    """Say why a missing signature is not a finding when the registry signs nothing."""
    out = []
    for r in results:
        sig = r.registry_signature
        if (
            sig is not None
            and sig.status is SignatureStatus.MISSING
            and (r.registry or "") not in signing
        ):
            where = r.registry or "the registry"
            sig = replace(
                sig,
                message=f"{where} serves no registry signatures for any audited package "
                "(it publishes no signing keys): registry-signature-missing does not apply",
            )
            r = replace(r, registry_signature=sig)
        out.append(r)
    return out


async def _unadvertised(pk_wait: Awaitable[Packument | None], version: str) -> bool:
    """The registry's packument lists `version` without `dist.attestations`."""
    try:
        packument = await pk_wait
    except FetchError:
        return False  # decided on the plain path: a packument failure is `error`
    info = packument.versions.get(version) if packument is not None else None
    return info is not None and not info.attestations_advertised


def _has_publish(verification: VerificationResult) -> bool:
    return any(a.predicate_type == PUBLISH_PREDICATE for a in verification.attestations)


def _publish_log_time(verification: VerificationResult | None) -> datetime | None:
    """The verified log time of the publish attestation: when the registry accepted it."""
    if verification is None or verification.status is Status.INVALID:
        return None
    for a in verification.attestations:
        if a.predicate_type == PUBLISH_PREDICATE and a.signed_at is not None:
            return a.signed_at
    return None


def _forget(awaitable: Awaitable[Any]) -> None:
    """Drop interest in a shared future without leaving 'exception never retrieved'."""
    if isinstance(awaitable, asyncio.Future):
        awaitable.add_done_callback(_consume)


def _consume(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


# --------------------------------------------------------------------------- entry points


def _sort_key(r: PackageResult) -> tuple[str, str, str]:
    return (r.package.name, r.package.version, r.package.integrity or "")


def _configured_registries(config: NpmConfig | None) -> tuple[str, ...]:
    if config is None:
        return ()
    return tuple(dict.fromkeys([config.registry, *sorted(config.scopes.values())]))


def _resolve_config(
    lockfile_path: Path,
    registry: str | None,
    env: Mapping[str, str] | None,
    npm: str | bool | None,
    options: AuditOptions | None = None,
) -> NpmConfig:
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


def _make_cache(
    use_cache: bool, cache_dir: Path | None, env: Mapping[str, str] | None
) -> ResponseCache | None:
    if not use_cache:
        return None
    # The MAC key lives in the user's data directory, outside the (untrusted) cache; without
    # it the run goes uncached rather than trusting entries it cannot authenticate.
    key = load_cache_key(default_key_path(env))
    if key is None:
        return None
    return ResponseCache(cache_dir or default_cache_dir(env), key=key)


def run_audit(lockfile_path: Path, policy: Policy, options: AuditOptions) -> Report:
    """Audit a lockfile (sync; runs its own event loop).  Raises only `AuditorError`s."""
    from auditor.lockfile import parse_lockfile

    schema_check = start_schema_check(options)
    try:
        lockfile = parse_lockfile(lockfile_path)
    except BaseException:
        if schema_check is not None:
            schema_check.cancel()
        raise
    return audit_lockfile(lockfile, lockfile_path, policy, options, schema_check=schema_check)


def audit_lockfile(
    lockfile: Lockfile,
    lockfile_path: Path,
    policy: Policy,
    options: AuditOptions,
    *,
    schema_check: SideCheck | None = None,
) -> Report:
    """`run_audit` after parsing (tests hand in a `Lockfile` directly)."""
    if schema_check is None:
        schema_check = start_schema_check(options)
    try:
        return _audit_parsed(lockfile, lockfile_path, policy, options, schema_check)
    finally:
        if schema_check is not None:
            schema_check.cancel()


def _audit_parsed(
    lockfile: Lockfile,
    lockfile_path: Path,
    policy: Policy,
    options: AuditOptions,
    schema_check: SideCheck | None,
) -> Report:
    from auditor.policy import PolicyContext, evaluate_waived

    plan = None
    if options.base is not None or options.base_ref is not None:
        from auditor.diff import plan_diff, read_base_lockfile

        base = read_base_lockfile(options.base, options.base_ref, lockfile_path)
        if base is not None:
            plan = plan_diff(lockfile, base, audit_all=options.audit_all)
    head_packages: Sequence[Package] = plan.audit if plan else lockfile.packages
    base_packages: Sequence[Package] = plan.base_audit if plan else ()

    load_trust_fn, verify_fn = _verification(options)
    progress = options.progress or make_progress(quiet=options.quiet, verbose=options.verbose)

    config: NpmConfig | None
    if options.offline is not None:
        directory = OfflineDirectory(options.offline)
        # Offline, the configuration only labels results (same report as the live run).
        try:
            config = _resolve_config(lockfile_path, options.registry, options.env, None, options)
        except ConfigError:
            config = None
    else:
        directory = None
        config = _resolve_config(lockfile_path, options.registry, options.env, options.npm, options)
        progress.note(f"registry {config.registry} (from {config.origin})")
    if options.announce is not None:
        options.announce(_start_line(lockfile, lockfile_path, plan, config, options))

    run = RunLevel(attestations_registry=_attestations_registry(options, policy))
    n_registry = sum(1 for p in (*head_packages, *base_packages) if p.source is SourceKind.REGISTRY)
    verifier = Verifier(load_trust_fn, verify_fn, auto_workers(n_registry, options.verify_workers))
    verifier.start()
    try:
        if options.offline is not None or n_registry == 0:
            verifier.trust()  # nothing to overlap with: report a TrustError right away
        head_results, base_results = asyncio.run(
            _audit_async(
                head_packages,
                base_packages,
                config,
                directory,
                verifier,
                policy.needs_packuments,
                options,
                progress,
                run,
            )
        )
        verifier.trust()  # a TrustError is the answer even when nothing needed verifying
        if schema_check is not None:
            schema_check.result()  # an invalid --trusted-root fails the run (TrustError)
    finally:
        verifier.close()
        progress.finish()

    head_results.sort(key=_sort_key)
    base_results.sort(key=_sort_key)
    signing = signing_registries([*head_results, *base_results])
    head_results = explain_unsigned(head_results, signing)
    base_results = explain_unsigned(base_results, signing)
    now = options.now or datetime.now(UTC)
    context = PolicyContext(
        now=now,
        registries=_configured_registries(config),
        base_results=base_results if plan else None,
        signing_registries=signing,
        attestation_less=tuple(run.attestation_less),
    )
    findings, waived = evaluate_waived(policy, head_results, context)
    if plan is not None:
        from auditor.diff import evaluate_changes
        from auditor.policy import finding_sort_key, sort_waived, split_waived

        changes = evaluate_changes(
            plan.changes,
            {r.package.spec: r for r in head_results},
            {r.package.spec: r for r in base_results},
            policy,
        )
        # Exceptions apply to change-* findings too.
        kept_changes, waived_changes = split_waived(policy, changes, now)
        findings += kept_changes
        findings.sort(key=finding_sort_key)
        waived = sort_waived([*waived, *waived_changes])
    if options.base_config is not None:
        from auditor.policy import finding_sort_key

        findings += options.base_config.findings(policy)
        findings.sort(key=finding_sort_key)
    return Report(
        tool_version=__version__,
        lockfile=str(lockfile_path),
        lockfile_format=lockfile.format,
        results=tuple(head_results),
        findings=tuple(findings),
        policy=str(options.policy_path) if options.policy_path else None,
        changes=tuple(plan.changes) if plan else (),
        generated_at=now,
        waived=tuple(waived),
        rule_levels=policy.rule_levels(),
        trust=options.trust_files,
        failures=tuple(run.failures),
        base=_base_label(options),
    )


def _start_line(
    lockfile: Lockfile,
    lockfile_path: Path,
    plan: Any,
    config: NpmConfig | None,
    options: AuditOptions,
) -> str:
    """`package-lock.json: 3,012 packages (41 to audit against origin/main); registry ...`."""
    where = _shown_path(lockfile_path)
    line = f"{where}: {len(lockfile.packages):,} packages"
    if plan is not None:
        line += f" ({len(plan.audit):,} to audit against the base {_base_label(options)})"
    elif options.base is not None or options.base_ref is not None:
        line += " (no base lockfile: every package counts as added)"
    if options.offline is not None:
        line += f"; offline directory {options.offline}"
    elif config is not None:
        # scheme://host[:port] only: a registry path or query could carry a secret.
        line += f"; registry {display_origin(config.registry)} (from {config.origin})"
    return line


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _base_label(options: AuditOptions) -> str | None:
    """What the pull-request mode compared with, as the reports name it."""
    if options.base_ref is not None:
        return options.base_ref
    return str(options.base) if options.base is not None else None


def _verification(options: AuditOptions) -> tuple[Callable[[], Any], VerifyFn]:
    """(trust loader, verify function); the loader runs in the background."""
    injected = options.trust
    if injected is not None and options.verifier is not None:
        return (lambda: injected), options.verifier
    from auditor.verify import load_trust, verify_attestations

    def load() -> Any:
        if injected is not None:
            return injected
        # The sigstore schema check of a user-supplied root runs beside the audit
        # (start_schema_check); our own parser validates everything verification uses.
        return load_trust(options.trusted_root, options.npm_keys, schema_check=False)

    return load, options.verifier or verify_attestations


class SideCheck:
    """A one-off check in a short-lived process of its own.

    Started before the lockfile is parsed, it runs on the core that is otherwise idle while
    this process imports and parses, and shares no GIL with the event loop that feeds the
    verification workers.  `result()` re-raises what the check raised; a check that could
    not run fails closed (TrustError).
    """

    def __init__(self, fn: Callable[..., None], *args: Any) -> None:
        self._thread: concurrent.futures.Future[None] | None = None
        self._proc: Any = None
        if "fork" not in multiprocessing.get_all_start_methods():
            # Spawning a fresh interpreter would cost more than the check: use a thread.
            pool = concurrent.futures.ThreadPoolExecutor(1, "auditor-check")
            self._thread = pool.submit(fn, *args)
            pool.shutdown(wait=False)
            return
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_side_main, args=(child, fn, args), daemon=True)
        self._proc.start()
        child.close()

    def result(self) -> None:
        if self._thread is not None:
            self._thread.result()
            return
        kind, value = "error", None
        try:
            if self._conn.poll(SIDE_CHECK_TIMEOUT_S):
                kind, value = self._conn.recv()
                self._proc.join(5.0)  # it exits right after answering
        except (EOFError, OSError):
            pass
        finally:
            self._conn.close()
            self.cancel()
        if kind == "ok":
            return
        if isinstance(value, BaseException):
            raise value
        from auditor.errors import TrustError

        raise TrustError("the trusted-root schema check did not complete")

    def cancel(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join()


def _side_main(conn: Any, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # sent back and re-raised by SideCheck.result
        try:
            conn.send(("error", exc))
        except Exception:  # not picklable: keep the message
            conn.send(("error", RuntimeError(str(exc)[:300])))
    else:
        conn.send(("ok", None))
    finally:
        conn.close()


def start_schema_check(options: AuditOptions) -> SideCheck | None:
    """Check a user-supplied trusted root against sigstore's model beside the audit.

    Importing the model (pydantic) costs about 0.1 s of CPU: in this process it would hold
    the GIL the event loop needs, and it is not needed before the verdicts are final."""
    if options.trusted_root is None or options.trust is not None:
        return None
    from auditor.verify import check_trusted_root

    return SideCheck(check_trusted_root, options.trusted_root)


async def _audit_async(
    head: Sequence[Package],
    base: Sequence[Package],
    config: NpmConfig | None,
    directory: OfflineDirectory | None,
    verifier: Verifier,
    needs_packuments: bool,
    options: AuditOptions,
    progress: ProgressSink,
    run: RunLevel | None = None,
) -> tuple[list[PackageResult], list[PackageResult]]:
    run = run if run is not None else RunLevel()
    settings = _settings(options.network, options.concurrency)
    progress.start(len(head) + len(base))
    att_registry = run.attestations_registry[0] if run.attestations_registry else None

    def auditor_for(fetcher: Fetcher) -> Auditor:
        return Auditor(
            fetcher,
            verifier,
            needs_packuments=needs_packuments,
            progress=progress,
            when_advertised=options.attestations_when_advertised,
        )

    if directory is not None:
        source: Source = OfflineSource(directory, settings)
        fetcher = Fetcher(source, config, att_registry)
        fetcher.plan([*head, *base])
        auditor = auditor_for(fetcher)
        return await _both(auditor, head, base)
    cache = _make_cache(options.use_cache, options.cache_dir, options.env)
    if options.use_cache and cache is None:
        progress.note(f"response cache off: no private key file at {default_key_path(options.env)}")
    async with RegistryClient(config, settings) as client:
        fetcher = Fetcher(RegistrySource(client, cache), config, att_registry)
        fetcher.plan([*head, *base])
        auditor = auditor_for(fetcher)
        results = await _both(auditor, head, base)
        _settle(fetcher)
        if client.unreachable:
            run.failures += run_failures(
                client.unreachable, config, [*results[0], *results[1]], run
            )
        run.attestation_less += await attestation_less(client, fetcher, config, run)
        progress.note(
            f"{client.stats.requests} requests, {client.stats.retries} retries, "
            f"{client.stats.bytes} bytes"
            + (f"; cache {cache.hits} hits, {cache.misses} misses" if cache else "")
        )
    if cache is not None and cache.errors and options.warn is not None:
        # Once per run, not once per entry: the audit itself is unaffected.
        options.warn(
            f"cannot write the response cache in {cache.root.parent} ({cache.first_error}); "
            f"{cache.errors} responses not cached (--cache-dir DIR or --no-cache)"
        )
    return results


@dataclass
class RunLevel:
    """What a run finds about its registries rather than its packages."""

    attestations_registry: tuple[str, str] | None = None  # (URL, configured by)
    failures: list[RunFailure] = field(default_factory=list)
    attestation_less: list[tuple[str, str]] = field(default_factory=list)

    def configured_by(self, config: NpmConfig | None, registries: set[str]) -> str:
        att = self.attestations_registry
        if att is not None and registries == {att[0]}:
            return att[1]
        return _configured_by(config, registries)


def _attestations_registry(options: AuditOptions, policy: Policy) -> tuple[str, str] | None:
    """(URL, where it was configured) of the attestations registry, if one is set.  The
    command line wins over the policy; the transport rule (https, or http on loopback) holds."""
    if options.attestations_registry:
        url, origin = options.attestations_registry, "--attestations-registry"
    elif policy.attestations_registry:
        url, origin = policy.attestations_registry, "the policy's [registry] attestations"
    else:
        return None
    clean, _credential = normalize_registry_url(url, origin)  # credentials are never sent
    return clean, origin


KEYS_PATH = "-/npm/v1/keys"


async def attestation_less(
    client: RegistryClient, fetcher: Fetcher, config: NpmConfig | None, run: RunLevel
) -> list[tuple[str, str]]:
    """Registries that served no attestations, no signed or attested version in any
    packument, and no signing keys: a mirror that strips them (or a registry without any).
    The keys endpoint is asked only for registries that showed no evidence at all."""
    out = []
    for registry in sorted(fetcher.asked - fetcher.evidence):
        if display_origin(registry) in client.unreachable:
            continue  # reported as unreachable already
        try:
            resp = await client.get(registry + KEYS_PATH, max_bytes=1 << 20)
        except FetchError:
            resp = None
        if resp is not None and resp.status == 200 and _lists_keys(resp.body):
            continue
        out.append((registry, run.configured_by(config, {registry})))
    return out


def _lists_keys(body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return False
    keys = doc.get("keys") if isinstance(doc, dict) else None
    return isinstance(keys, list) and any(isinstance(k, dict) and k.get("key") for k in keys)


def run_failures(
    unreachable: Mapping[str, str],
    config: NpmConfig | None,
    results: Sequence[PackageResult],
    run: RunLevel | None = None,
) -> list[RunFailure]:
    """One RunFailure per host given up on, naming where its registry was configured."""
    out = []
    for host, why in sorted(unreachable.items()):
        affected = [
            r
            for r in results
            if r.status is Status.ERROR
            and r.reason == "FETCH_CONNECTION"
            and r.registry is not None
            and display_origin(r.registry) == host
        ]
        registries = {r.registry for r in affected if r.registry}
        out.append(
            RunFailure(
                registry=host,
                source=(run or RunLevel()).configured_by(config, registries),
                message=why,
                packages=frozenset(r.package.spec for r in affected),
            )
        )
    return out


def _configured_by(config: NpmConfig | None, registries: set[str]) -> str:
    """Where the registries were configured: the origin of the default registry (never a
    value, so never an expanded environment variable), or the scope keys naming them."""
    if config is None:
        return "unknown"
    where = []
    if config.registry in registries or not registries:
        where.append(config.origin or "npm's default")
    where += sorted(
        f"{scope}:registry" for scope, url in config.scopes.items() if url in registries
    )
    return ", ".join(where) or "a lockfile resolved URL"


async def _both(
    auditor: Auditor, head: Sequence[Package], base: Sequence[Package]
) -> tuple[list[PackageResult], list[PackageResult]]:
    async with asyncio.TaskGroup() as tg:
        h = tg.create_task(auditor.audit(head))
        b = tg.create_task(auditor.audit(base))
    return h.result(), b.result()


def _settle(fetcher: Fetcher) -> None:
    for task in fetcher.drain():
        if task.done():
            _consume(task)
        else:
            task.cancel()


def _settings(network: NetworkSettings | None, concurrency: int | None) -> NetworkSettings:
    settings = network or NetworkSettings()
    if concurrency is not None and concurrency != settings.concurrency:
        from dataclasses import replace

        settings = replace(settings, concurrency=concurrency)
    return settings


# --------------------------------------------------------------------------- audit fetch


async def fetch_into(lockfile: Lockfile, options: FetchOptions) -> FetchSummary:
    """Write the offline layout for `lockfile` into `options.into` from the live registry.

    Attestation responses and the full packument of every registry package (its registry
    signature, and publish times for any policy); `manifest.json` records every answer (404s
    included) with each file's SHA-256, written last.
    """
    config = await asyncio.to_thread(
        _resolve_config, Path(lockfile.path), options.registry, options.env, options.npm
    )
    settings = _settings(options.network, options.concurrency)
    progress = options.progress or make_progress(
        quiet=options.quiet, verbose=options.verbose, counting="fetched"
    )
    cache = _make_cache(options.use_cache, options.cache_dir, options.env)
    into = options.into
    try:
        (into / "attestations").mkdir(parents=True, exist_ok=True)
        (into / "packuments").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--into {into}: {exc.strerror or exc}") from None

    registry_pkgs = [
        p
        for p in lockfile.packages
        if p.source is SourceKind.REGISTRY and p.alias_problem is None  # never fetched
    ]
    skipped = len(lockfile.packages) - len(registry_pkgs)
    distinct = {(p.name, p.version): p for p in registry_pkgs}
    counts = {"att": 0, "missing": 0, "pack": 0}
    errors: list[str] = []
    written_packs: set[str] = set()
    # What the registry answered, for manifest.json (a directory fetched before keeps its
    # records when they still check out: several lockfiles can share one directory).
    previous = await asyncio.to_thread(_previous_manifest, into)
    att_records: dict[str, Recorded] = dict(previous.attestations) if previous else {}
    pack_records: dict[str, Recorded] = dict(previous.packuments) if previous else {}
    progress.start(len(distinct))

    async with RegistryClient(config, settings) as client:
        fetcher = Fetcher(RegistrySource(client, cache), config)

        async def packument(pkg: Package) -> None:
            if pkg.name in written_packs:
                return
            written_packs.add(pkg.name)
            registry = fetcher.registry_for(pkg)
            try:
                got = await fetcher.raw_packument(pkg.name, registry, True)
            except FetchError as exc:
                errors.append(f"{pkg.name} (packument): {exc.reason}")
                return
            finally:
                fetcher.forget_packument(pkg.name, registry, True)
            try:
                if not got.found:
                    pack_records[pkg.name] = Recorded.of(404, None, registry)
                elif await write(packument_path(into, pkg.name), got.body, pkg.name):
                    pack_records[pkg.name] = Recorded.of(200, got.body, registry)
                    counts["pack"] += 1
            finally:
                fetcher.done_with(got)

        async def write(path: Path, body: bytes, what: str) -> bool:
            try:
                await asyncio.to_thread(write_atomic, path, body)
            except OSError as exc:
                errors.append(f"{what}: WRITE_FAILED {exc.strerror or exc}")
                return False
            return True

        async def one(pkg: Package) -> None:
            try:
                target = attestations_path(into, pkg.name, pkg.version)
            except UnsafeName as exc:
                errors.append(f"{pkg.spec[:100]}: INVALID_NAME {exc}")
                progress.fetched()
                return
            registry = fetcher.registry_for(pkg)
            if fetcher.refused(registry) is not None:
                errors.append(f"{pkg.spec}: INSECURE_REGISTRY")
                progress.fetched()
                return
            try:
                got = await fetcher.attestations(pkg.name, pkg.version, registry)
            except FetchError as exc:
                errors.append(f"{pkg.spec}: {exc.reason}")
                progress.fetched()
                return
            finally:
                fetcher.release(pkg.name, pkg.version, registry)
            progress.fetched()
            if got.found:
                if not await write(target, got.body, pkg.spec):
                    return
                att_records[pkg.spec] = Recorded.of(200, got.body, registry)
                counts["att"] += 1
            else:
                att_records[pkg.spec] = Recorded.of(404, None, registry)
                counts["missing"] += 1
            # Every package's packument: its registry signature is in it.
            await packument(pkg)
            progress.verified()

        fetcher.plan(distinct.values())
        try:
            async with asyncio.TaskGroup() as tg:
                for pkg in distinct.values():
                    tg.create_task(one(pkg))
        finally:
            _settle(fetcher)
            progress.finish()
    manifest = Manifest(
        tool_version=__version__,
        fetched_at=manifest_now(),
        registries=tuple(config.sources()),
        attestations=att_records,
        packuments=pack_records,
    )
    try:
        await asyncio.to_thread(_seal, into, manifest)
    except OSError as exc:
        raise ConfigError(
            f"--into {into}: cannot write {MANIFEST}: {exc.strerror or exc}"
        ) from None
    return FetchSummary(
        into=into,
        attestations=counts["att"],
        not_found=counts["missing"],
        packuments=counts["pack"],
        skipped=skipped,
        errors=tuple(sorted(errors)),
    )


def _previous_manifest(into: Path) -> Manifest | None:
    """The directory's manifest when it and its files check out, else None."""
    if not (into / MANIFEST).exists():
        return None
    try:
        return load_manifest(into)
    except UsageError:
        return None


def _seal(into: Path, manifest: Manifest) -> None:
    """Remove the files the manifest does not list (left by an earlier fetch whose
    manifest no longer checks out: they would make the directory unusable), then write
    the manifest last, so that an interrupted fetch leaves no manifest behind."""
    listed = {rel for rel, _ in manifest.files()}
    for sub in (ATTESTATIONS_DIR, PACKUMENTS_DIR):
        with os.scandir(into / sub) as entries:
            for entry in entries:
                if f"{sub}/{entry.name}" not in listed and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
    write_manifest(into, manifest)


__all__ = [
    "DEFAULT_CONCURRENCY",
    "AuditOptions",
    "Auditor",
    "FetchOptions",
    "FetchSummary",
    "Fetcher",
    "NullProgress",
    "Verifier",
    "fetch_into",
    "run_audit",
    "verify_one",
]
