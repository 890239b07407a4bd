"""What `audit` and `audit fetch` take besides the lockfile and the policy, and the seams
(clock, cache, trust material, verifier) the pipeline is built from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from auditor.models import TrustFile, VerificationResult
from auditor.progress import ProgressSink
from auditor.registry.cache import ResponseCache
from auditor.registry.client import NetworkSettings

if TYPE_CHECKING:
    from auditor.diff.baseconfig import BaseConfig
    from auditor.signals.identity_lock import IdentityLock
    from auditor.verify import TrustMaterial


class VerifyFn(Protocol):
    """`auditor.verify.verify_attestations`'s signature.  It runs in worker processes, so an
    injected one must be picklable (a module-level function)."""

    def __call__(
        self, name: str, version: str, integrity: str | None, body: bytes, trust: TrustMaterial, /
    ) -> VerificationResult: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


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
    # Configuration from the base: npmrc files inside the repository are read at its ref,
    # and what the work tree changed is a finding.
    base_config: BaseConfig | None = None
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
    # What trust material `trusted_root`/`npm_keys` are (for the report; see trustupdate).
    trust_files: tuple[TrustFile, ...] = ()
    # The identity lock the policy's `[identity_lock] file` names, loaded by the caller
    # (in pull-request mode at the base ref).
    identity_lock: IdentityLock | None = None
    # Seams (not on the command line; tests and benchmarks inject them):
    network: NetworkSettings | None = None
    # The run's instant (policy cooldowns, exception expiry, the report's generated_at):
    # `now` when given, else read once from `clock`.
    now: datetime | None = None
    clock: Callable[[], datetime] = utc_now
    # The response cache; None: built from `use_cache`/`cache_dir`/`env` (the user's key).
    cache: ResponseCache | None = None
    env: Mapping[str, str] | None = None
    npm: str | bool | None = True  # True: npm from PATH; None/False: never run npm
    progress: ProgressSink | None = None
    verify_workers: int | None = None  # None: automatic; 0: verify in a thread
    verifier: VerifyFn | None = None  # default: auditor.verify.verify_attestations
    trust: TrustMaterial | None = None  # default: load_trust(trusted_root, npm_keys)


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
    clock: Callable[[], datetime] = utc_now  # the manifest's fetched_at
    cache: ResponseCache | None = None  # None: built from use_cache/cache_dir/env
