"""Verify: scheduling verification off the event loop.

One thread for small runs; for large ones a process pool (both cores), fed in batches.
Workers are forked only while this process runs a single thread (then the child inherits
no lock another thread holds); otherwise they start from a `forkserver`, a clean
single-threaded process.  Trust material loads in the
background while fetching starts.  A verifier that raises, or a worker that dies, makes the
package `error` VERIFY_CRASHED: never verified.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, NamedTuple

from auditor.models import Status, VerificationResult

if TYPE_CHECKING:
    from auditor.pipeline.options import VerifyFn
    from auditor.verify import TrustMaterial

# Below this many registry packages a process pool costs more (start-up) than it saves.
POOL_THRESHOLD = 150
# Jobs go to worker processes in batches: one task per response costs more in pickling and
# queue hand-offs than the ~1.5 ms the verification itself takes.
BATCH = 16
BATCH_WAIT_S = 0.005


class Undecided(NamedTuple):
    """A response that could not be verified at all: the package is `error`."""

    reason: str
    message: str


Outcome = VerificationResult | Undecided
Job = tuple[str, str, "str | None", bytes]  # name, version, lockfile integrity, response
TrustLoader = Callable[[], "TrustMaterial"]

TRUST_UNAVAILABLE = Undecided("TRUST_UNAVAILABLE", "the trust material could not be loaded")


def verify_one(
    fn: VerifyFn, trust: TrustMaterial, name: str, version: str, integrity: str | None, body: bytes
) -> Outcome:
    """Verify one response; Undecided when it is not JSON (fetch-level failure)."""
    try:
        result = fn(name, version, integrity, body, trust)
    except Exception as exc:  # the verifier promises not to raise; fail closed if it does
        return Undecided("VERIFY_CRASHED", f"verifier failed: {type(exc).__name__}")
    if result.status is Status.ERROR:  # over the size limit (a cache entry): undecided
        return Undecided(result.reason or "VERIFY_ERROR", result.message or "not verifiable")
    if result.status is Status.INVALID and result.reason == "RESPONSE_MALFORMED":
        # Not even a JSON object (an HTML error page, a cut-off body): the data could not
        # be decoded, so the package is undecided (error), not "invalid".  Checked only
        # here so that the common case parses the response once.
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            return Undecided("FETCH_MALFORMED", "the attestations response is not valid JSON")
        if not isinstance(doc, dict):
            return Undecided("FETCH_MALFORMED", "the attestations response is not a JSON object")
    return result


def verify_batch(fn: VerifyFn, trust: TrustMaterial, jobs: Sequence[Job]) -> list[Outcome]:
    """Worker-process entry point.  `trust` travels with every batch: it pickles as its two
    source documents and is rebuilt once per process (memoised), so that is cheap."""
    return [verify_one(fn, trust, *job) for job in jobs]


def worker_context() -> multiprocessing.context.BaseContext:
    """`fork` while this process runs one thread, else `forkserver` (POSIX) or `spawn`.

    Forking a process that runs threads (the event loop's executors, the trust loader) may
    deadlock in the child, and Python 3.12+ warns about it.  With a single thread it is
    safe, and ProcessPoolExecutor forks every worker before it starts its own manager
    thread; the pool is started before any other thread of the run (`run.py`).  A forked
    worker inherits the imported verifier: a warm run of 3,000 packages costs a second
    less than with forkserver workers that import it again (`make bench`, engine suite)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    # No preloading in the server: Python 3.11's forkserver ignores the parent's sys.path,
    # so it could import another copy of `auditor` than this process runs.  Each worker
    # imports the verifier itself (the workers start while the first responses download).
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class Verifier:
    """Runs verification off the event loop: one thread for small runs, a process pool (both
    cores) for large ones.  Trust material loads in the background while fetching starts."""

    def __init__(self, load: TrustLoader, fn: VerifyFn, workers: int) -> None:
        self._load = load
        self.fn = fn
        self.workers = workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._thread = concurrent.futures.ThreadPoolExecutor(1, "auditor-verify")
        self._trust: concurrent.futures.Future[TrustMaterial] | None = None
        self._pending: list[tuple[Job, asyncio.Future[Outcome]]] = []
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Start the workers and the loading of the trust material (both in the background)."""
        if self.workers > 0:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=worker_context()
            )
            for _ in range(self.workers):
                self._pool.submit(int)  # launches every worker now
        self._trust = self._thread.submit(self._load)

    def trust(self) -> TrustMaterial:
        """The loaded trust material (raises TrustError when it cannot be loaded)."""
        assert self._trust is not None
        return self._trust.result()

    async def loaded_trust(self) -> TrustMaterial | None:
        """The trust material once loaded, or None when it cannot be loaded (the run raises
        the TrustError itself)."""
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
        if pending.exception() is not None:  # the run raises the TrustError itself later
            return TRUST_UNAVAILABLE
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

    def _flush(self, trust: TrustMaterial) -> None:
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
            fut.set_result(Undecided("VERIFY_CRASHED", "a verification worker process failed"))


def auto_workers(n_registry: int, requested: int | None) -> int:
    if requested is not None:
        return max(0, requested)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if n_registry < POOL_THRESHOLD or (cpus or 1) < 2:
        return 0
    return min(cpus or 1, 8)
