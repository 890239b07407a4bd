"""`audit fetch LOCKFILE --into DIR`: record the registry's answers as an offline directory
(`auditor.registry.offline` reads it back)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from auditor import __version__
from auditor.errors import ConfigError, UsageError
from auditor.fileio import write_atomic
from auditor.models import Lockfile, Package
from auditor.pipeline.fetch import Fetcher, network_settings, npm_config, open_cache, open_source
from auditor.pipeline.options import FetchOptions
from auditor.pipeline.plan import fetchable
from auditor.progress import make_progress
from auditor.registry.client import FetchError
from auditor.registry.offline import (
    ATTESTATIONS_DIR,
    MANIFEST,
    PACKUMENTS_DIR,
    Manifest,
    Recorded,
    UnsafeName,
    attestations_path,
    load_manifest,
    packument_path,
    write_manifest,
)


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


async def fetch_into(lockfile: Lockfile, options: FetchOptions) -> FetchSummary:
    """Write the offline layout for `lockfile` into `options.into` from the live registry.

    Attestation responses and the full packument of every registry package (its registry
    signature, and publish times for any policy); `manifest.json` records every answer (404s
    included) with each file's SHA-256, written last.
    """
    config = await asyncio.to_thread(
        npm_config, Path(lockfile.path), options.registry, options.env, options.npm
    )
    settings = network_settings(options.network, options.concurrency)
    progress = options.progress or make_progress(
        quiet=options.quiet, verbose=options.verbose, counting="fetched"
    )
    cache = open_cache(options.cache, options.use_cache, options.cache_dir, options.env)
    into = options.into
    try:
        (into / ATTESTATIONS_DIR).mkdir(parents=True, exist_ok=True)
        (into / PACKUMENTS_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--into {into}: {exc.strerror or exc}") from None

    registry_pkgs = [p for p in lockfile.packages if fetchable(p)]
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

    async with open_source(config, settings, offline=None, cache=cache) as (source, _client):
        fetcher = Fetcher(source, config)

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
            fetcher.settle()
            progress.finish()
    manifest = Manifest(
        tool_version=__version__,
        fetched_at=options.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
