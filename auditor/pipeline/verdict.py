"""Fetch and verify each package into its `PackageResult` (the per-package verdict).

Per package: its packument (abbreviated unless the policy reads history), and a request to
the attestations endpoint unless the packument lists the version without `dist.attestations`
(as npm does; then, or on a 404: unattested).  For every package the endpoint served no
provenance for, `auditor.registry.stripping` decides whether the registry advertised what the
endpoint lacks.  Anything that could not be fetched or decoded is `error` with a FETCH_*
reason: a failure never becomes "unattested" or "verified".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from auditor.models import (
    Package,
    PackageResult,
    Packument,
    RegistrySignature,
    SignatureStatus,
    Status,
    VerificationResult,
    VersionInfo,
    check_integrity,
)
from auditor.pipeline.fetch import Fetcher, forget
from auditor.pipeline.plan import decided_without_fetching, error
from auditor.pipeline.schedule import TRUST_UNAVAILABLE, Undecided, Verifier
from auditor.progress import ProgressSink
from auditor.registry.client import FetchError
from auditor.registry.sources import Fetched
from auditor.registry.stripping import answered_without_attestations, endpoint_skipped, judge

# The npm publish attestation's predicate type (auditor.verify.statement.PUBLISH_TYPE; not
# imported from there to keep the verifier's imports off the start-up path).
PUBLISH_PREDICATE = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"


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
        decided = decided_without_fetching(package)
        if decided is not None:
            self.progress.fetched()
            return decided
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
            return error(package, "INSECURE_REGISTRY", refused, registry)
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
        if package.integrity_source == "packument" and package.sha512 is None:
            package = await self._bind_packument(package, registry, pk_wait)
        # An endpoint that answered with something other than attestations (another status,
        # an HTML page, an empty body) is `error` unless the packument advertised
        # attestations: then it is stripping (`invalid`), decided below with the 404 case.
        failed: Undecided | None = None
        verification: VerificationResult | None = None
        try:
            if self.when_advertised and await _skips_endpoint(pk_wait, version):
                fetched = Fetched(found=False)
            else:
                fetched = await fetcher.attestations(name, version, registry)
        except FetchError as exc:
            self.progress.fetched()
            failed = Undecided(exc.reason, f"attestations: {exc.message}")
            if not answered_without_attestations(exc.reason):
                forget(pk_wait)
                return error(package, *failed, registry)
            status, reason, message = Status.ERROR, None, None
        else:
            self.progress.fetched()
            if fetched.found:
                outcome = await self.verifier.verify(name, version, package.integrity, fetched.body)
                if isinstance(outcome, Undecided):
                    failed = outcome
                    if not answered_without_attestations(outcome.reason):
                        forget(pk_wait)
                        return error(package, *failed, registry)
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
                return error(package, *failed, registry)
            return error(package, exc.reason, f"packument: {exc.message}", registry)
        info = packument.versions.get(version) if packument is not None else None
        kept = packument if full else None  # the policy reads only full packuments

        # Stripping cross-check for every registry package the endpoint served no
        # provenance for: what did the registry's own metadata advertise?
        verdict = judge(info, status, failed.reason if failed is not None else None)
        if verdict is not None and verdict.status is Status.ERROR:
            return error(package, verdict.reason, verdict.message, registry)
        if verdict is not None:
            signature = await self._signature(package, registry, packument, info, verification)
            return PackageResult(
                package,
                verdict.status,
                verdict.reason,
                verdict.message,
                verification,
                kept,
                registry,
                signature if isinstance(signature, RegistrySignature) else None,
            )
        if failed is not None:
            return error(package, *failed, registry)

        signature = await self._signature(package, registry, packument, info, verification)
        if signature is None:
            return error(package, *TRUST_UNAVAILABLE, registry)
        if isinstance(signature, FetchError):
            return error(
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

    async def _bind_packument(
        self, package: Package, registry: str | None, pk_wait: Awaitable[Packument | None]
    ) -> Package:
        """A package whose lockfile pins no tarball (Yarn Berry: its checksum hashes Yarn's
        own zip) takes the registry's `dist.integrity` for its version, only when the
        registry's signature over name@version:integrity verifies with the pinned keys: the
        packument is attacker data, the signature is not.  Otherwise it stays unbound (never
        `verified`), saying why; a packument that cannot be fetched is decided later."""
        try:
            packument = await pk_wait
        except FetchError:
            return package
        info = packument.versions.get(package.version) if packument is not None else None
        signature = await self._signature(package, registry, packument, info, None)
        if not isinstance(signature, RegistrySignature):
            return package  # trust or the publish time unavailable: decided later
        if signature.status is SignatureStatus.VERIFIED and info is not None and info.integrity:
            check = check_integrity(info.integrity)
            if check.reason is None:
                return replace(
                    package,
                    integrity=info.integrity,
                    hashes=check.hashes,
                    integrity_reason=None,
                    integrity_problem=None,
                )
            why = f"the registry's signed dist.integrity does not pin one sha512: {check.problem}"
        else:
            why = (
                "the registry's dist.integrity is not bound by a verified registry signature "
                f"({signature.reason or 'no integrity'})"
            )
        return replace(package, integrity_problem=f"{package.integrity_problem}; {why}")

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


async def _skips_endpoint(pk_wait: Awaitable[Packument | None], version: str) -> bool:
    """The packument says the endpoint has nothing for `version` (see `endpoint_skipped`)."""
    try:
        packument = await pk_wait
    except FetchError:
        return False  # decided on the plain path: a packument failure is `error`
    return endpoint_skipped(packument.versions.get(version) if packument is not None else None)


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
