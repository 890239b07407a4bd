"""Orchestration: lockfile → plan → fetch → verify → evaluate → report.

`run_audit` is what `audit LOCKFILE` runs (sync; it runs its own event loop).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from auditor import __version__
from auditor.errors import ConfigError
from auditor.models import Lockfile, Package, PackageResult, Report
from auditor.pipeline.failures import (
    RunLevel,
    attestation_less,
    attestations_registry,
    run_failures,
)
from auditor.pipeline.fetch import Fetcher, network_settings, npm_config, open_cache, open_source
from auditor.pipeline.options import AuditOptions, VerifyFn
from auditor.pipeline.plan import Plan, plan_run
from auditor.pipeline.schedule import TrustLoader, Verifier, auto_workers
from auditor.pipeline.verdict import Auditor, explain_unsigned, signing_registries
from auditor.progress import ProgressSink, make_progress
from auditor.registry.cache import default_key_path
from auditor.registry.client import display_origin
from auditor.registry.config import NpmConfig
from auditor.registry.offline import OfflineDirectory

if TYPE_CHECKING:
    from auditor.policy import Policy
    from auditor.verify import TrustMaterial

log = logging.getLogger(__name__)


def run_audit(lockfile_path: Path, policy: Policy, options: AuditOptions) -> Report:
    """Audit a lockfile (sync; runs its own event loop).  Raises only `AuditorError`s."""
    from auditor.lockfile import parse_lockfile

    return audit_lockfile(parse_lockfile(lockfile_path), lockfile_path, policy, options)


def audit_lockfile(
    lockfile: Lockfile, lockfile_path: Path, policy: Policy, options: AuditOptions
) -> Report:
    """`run_audit` after parsing (tests hand in a `Lockfile` directly)."""
    return audit_lockfiles([(lockfile, lockfile_path)], policy, options)[0]


def audit_lockfiles(
    items: Sequence[tuple[Lockfile, Path]], policy: Policy, options: AuditOptions
) -> list[Report]:
    """Audit several lockfiles in one run (`audit -r DIR`): a report per lockfile, each
    as an audit of that lockfile alone would give it, while every distinct package of all
    of them (`audit_key`) is fetched and verified once, through one fetcher per registry
    configuration (lockfiles whose projects configure the same registries share one)."""
    plans = [plan_run(lockfile, path, options) for lockfile, path in items]
    progress = options.progress or make_progress(quiet=options.quiet, verbose=options.verbose)

    directory: OfflineDirectory | None = None
    configs: list[NpmConfig | None] = []
    if options.offline is not None:
        directory = OfflineDirectory(options.offline)
    for (lockfile, path), plan in zip(items, plans, strict=True):
        config = _config(path, options)
        configs.append(config)
        if options.announce is not None:
            options.announce(_start_line(lockfile, path, plan, config, options))

    groups = _share_config(configs)
    unions = [_union([plans[i] for i in members]) for _, members in groups]
    runs = [RunLevel(attestations_registry=attestations_registry(options, policy)) for _ in groups]
    n_registry = sum(u.registry_count() for u in unions)
    verifier = Verifier(*_verification(options), auto_workers(n_registry, options.verify_workers))
    verifier.start()  # before any thread of ours: its workers may be forked (worker_context)
    schema_check = _start_schema_check(options)
    verdicts: list[tuple[dict[Package, PackageResult], dict[Package, PackageResult]]] = []
    try:
        if options.offline is not None or n_registry == 0:
            verifier.trust()  # nothing to overlap with: report a TrustError right away
        for (config, _), union, run in zip(groups, unions, runs, strict=True):
            head, base = asyncio.run(
                _fetch_and_verify(
                    union, config, directory, verifier, policy.needs_packuments, options,
                    progress, run,
                )
            )  # fmt: skip
            verdicts.append(
                ({audit_key(r.package): r for r in head}, {audit_key(r.package): r for r in base})
            )
        verifier.trust()  # a TrustError is the answer even when nothing needed verifying
        if schema_check is not None:
            schema_check.result()  # an invalid --trusted-root fails the run (TrustError)
    finally:
        verifier.close()
        progress.finish()
    reports: list[Report | None] = [None] * len(items)
    for (config, members), run, (head_by, base_by) in zip(groups, runs, verdicts, strict=True):
        for i in members:
            lockfile, path = items[i]
            head = [_own(head_by, p) for p in plans[i].head]
            base = [_own(base_by, p) for p in plans[i].base]
            reports[i] = _evaluate(lockfile, path, policy, options, plans[i], config, run, head,
                                   base)  # fmt: skip
    return [r for r in reports if r is not None]


def audit_key(package: Package) -> Package:
    """What a package's verdict depends on: the package without the fields that only say
    where and how a lockfile lists it (install paths, line, flags, graph).  Two lockfiles'
    entries with the same key get the same fetches and the same verification.  A package
    bound through its packument (Yarn Berry) is keyed as the lockfile lists it, unbound."""
    if package.integrity_source == "packument":
        package = replace(
            package, integrity=None, hashes=(), integrity_reason=None, integrity_problem=None
        )
    return replace(
        package,
        paths=(),
        line=0,
        dev=False,
        optional=False,
        dev_optional=False,
        peer=False,
        direct=False,
        dependencies=(),
    )


def _own(verdicts: dict[Package, PackageResult], package: Package) -> PackageResult:
    """The shared verdict, carrying this lockfile's own entry (its line, paths, flags) and
    the integrity the verdict bound it by (`verdict.Auditor._bind_packument`)."""
    verdict = verdicts[audit_key(package)]
    bound = verdict.package
    if package.integrity_source == "packument":
        package = replace(
            package,
            integrity=bound.integrity,
            hashes=bound.hashes,
            integrity_reason=bound.integrity_reason,
            integrity_problem=bound.integrity_problem,
        )
    return replace(verdict, package=package)


def _union(plans: Sequence[Plan]) -> Plan:
    """Every distinct package (by `audit_key`) the plans fetch, each once."""
    head = {audit_key(p): p for plan in reversed(plans) for p in plan.head}
    base = {audit_key(p): p for plan in reversed(plans) for p in plan.base}
    return Plan(tuple(head.values()), tuple(base.values()), None)


def _config(path: Path, options: AuditOptions) -> NpmConfig | None:
    if options.offline is not None:
        # Offline, the configuration only labels results (same report as the live run).
        try:
            return npm_config(path, options.registry, options.env, None, options)
        except ConfigError:
            return None
    config = npm_config(path, options.registry, options.env, options.npm, options)
    log.info("registry %s (from %s)", config.registry, config.origin)
    return config


def _share_config(
    configs: Sequence[NpmConfig | None],
) -> list[tuple[NpmConfig | None, list[int]]]:
    """Lockfiles grouped by registry configuration (where each setting came from aside)."""
    groups: list[tuple[NpmConfig | None, list[int]]] = []
    for i, config in enumerate(configs):
        same = _settings_of(config)
        for first, members in groups:
            if _settings_of(first) == same:
                members.append(i)
                break
        else:
            groups.append((config, [i]))
    return groups


def _settings_of(config: NpmConfig | None) -> NpmConfig | None:
    return None if config is None else replace(config, origin="", scope_origins={})


def _evaluate(
    lockfile: Lockfile,
    lockfile_path: Path,
    policy: Policy,
    options: AuditOptions,
    plan: Plan,
    config: NpmConfig | None,
    run: RunLevel,
    head_results: list[PackageResult],
    base_results: list[PackageResult],
) -> Report:
    """The policy over the results, and the report."""
    from auditor.policy import PolicyContext, evaluate_waived, finding_sort_key

    head_results.sort(key=_sort_key)
    base_results.sort(key=_sort_key)
    signing = signing_registries([*head_results, *base_results])
    head_results = explain_unsigned(head_results, signing)
    base_results = explain_unsigned(base_results, signing)
    now = options.now or options.clock()
    context = PolicyContext(
        now=now,
        registries=_configured_registries(config),
        signing_registries=signing,
        attestation_less=tuple(run.attestation_less),
        identity_lock=options.identity_lock,
    )
    findings, waived = evaluate_waived(policy, head_results, context)
    if plan.diff is not None:
        from auditor.diff import evaluate_changes
        from auditor.policy import sort_waived, split_waived

        changes = evaluate_changes(
            plan.diff.changes,
            {r.package.spec: r for r in head_results},
            {r.package.spec: r for r in base_results},
            policy,
            head=plan.diff.head,
            now=now,
        )
        # Exceptions apply to change-* findings too.
        kept_changes, waived_changes = split_waived(policy, changes, now)
        findings += kept_changes
        findings.sort(key=finding_sort_key)
        waived = sort_waived([*waived, *waived_changes])
    if options.base_config is not None:
        findings += options.base_config.findings(policy)
        findings.sort(key=finding_sort_key)
    return Report(
        tool_version=__version__,
        lockfile=str(lockfile_path),
        lockfile_format=lockfile.format,
        results=tuple(head_results),
        findings=tuple(findings),
        policy=str(options.policy_path) if options.policy_path else None,
        changes=tuple(plan.diff.changes) if plan.diff else (),
        generated_at=now,
        waived=tuple(waived),
        rule_levels=policy.rule_levels(),
        trust=options.trust_files,
        failures=tuple(run.failures),
        base=_base_label(options),
    )


async def _fetch_and_verify(
    plan: Plan,
    config: NpmConfig | None,
    directory: OfflineDirectory | None,
    verifier: Verifier,
    needs_packuments: bool,
    options: AuditOptions,
    progress: ProgressSink,
    run: RunLevel,
) -> tuple[list[PackageResult], list[PackageResult]]:
    settings = network_settings(options.network, options.concurrency)
    progress.start(len(plan.head) + len(plan.base))
    att_registry = run.attestations_registry[0] if run.attestations_registry else None
    cache = None
    if directory is None:
        cache = open_cache(options.cache, options.use_cache, options.cache_dir, options.env)
        if options.use_cache and cache is None:
            log.info("response cache off: no private key file at %s", default_key_path(options.env))
    async with open_source(config, settings, offline=directory, cache=cache) as (source, client):
        fetcher = Fetcher(source, config, att_registry)
        fetcher.plan([*plan.head, *plan.base])
        auditor = Auditor(
            fetcher,
            verifier,
            needs_packuments=needs_packuments,
            progress=progress,
            when_advertised=options.attestations_when_advertised,
        )
        results = await _both(auditor, plan.head, plan.base)
        if client is None:
            return results
        fetcher.settle()
        if client.unreachable:
            run.failures += run_failures(
                client.unreachable, config, [*results[0], *results[1]], run
            )
        run.attestation_less += await attestation_less(client, fetcher, config, run)
        log.info(
            "%s requests, %s retries, %s bytes%s",
            client.stats.requests,
            client.stats.retries,
            client.stats.bytes,
            f"; cache {cache.hits} hits, {cache.misses} misses" if cache else "",
        )
    if cache is not None and cache.errors:
        # Once per run, not once per entry: the audit itself is unaffected.
        log.warning(
            "cannot write the response cache in %s (%s); %s responses not cached "
            "(--cache-dir DIR or --no-cache)",
            cache.root.parent,
            cache.first_error,
            cache.errors,
        )
    return results


async def _both(
    auditor: Auditor, head: Sequence[Package], base: Sequence[Package]
) -> tuple[list[PackageResult], list[PackageResult]]:
    async with asyncio.TaskGroup() as tg:
        h = tg.create_task(auditor.audit(head))
        b = tg.create_task(auditor.audit(base))
    return h.result(), b.result()


def _verification(options: AuditOptions) -> tuple[TrustLoader, VerifyFn]:
    """(trust loader, verify function); the loader runs in the background."""
    injected = options.trust
    if injected is not None and options.verifier is not None:
        return (lambda: injected), options.verifier
    from auditor.verify import load_trust, verify_attestations

    def load() -> TrustMaterial:
        if injected is not None:
            return injected
        # The sigstore schema check of a user-supplied root runs beside the audit
        # (_start_schema_check); our own parser validates everything verification uses.
        return load_trust(options.trusted_root, options.npm_keys, schema_check=False)

    return load, options.verifier or verify_attestations


def _start_schema_check(options: AuditOptions) -> concurrent.futures.Future[None] | None:
    """Check a user-supplied trusted root against sigstore's model beside the audit, in a
    thread: it is not needed before the verdicts are final, and nothing waits for it."""
    if options.trusted_root is None or options.trust is not None:
        return None
    from auditor.verify import check_trusted_root

    pool = concurrent.futures.ThreadPoolExecutor(1, "auditor-check")
    check = pool.submit(check_trusted_root, options.trusted_root)
    pool.shutdown(wait=False)
    return check


def _sort_key(r: PackageResult) -> tuple[str, str, str]:
    return (r.package.name, r.package.version, r.package.integrity or "")


def _configured_registries(config: NpmConfig | None) -> tuple[str, ...]:
    if config is None:
        return ()
    return tuple(dict.fromkeys([config.registry, *sorted(config.scopes.values())]))


def _start_line(
    lockfile: Lockfile,
    lockfile_path: Path,
    plan: Plan,
    config: NpmConfig | None,
    options: AuditOptions,
) -> str:
    """`package-lock.json: 3,012 packages (41 to audit against origin/main); registry ...`."""
    where = _shown_path(lockfile_path)
    line = f"{where}: {len(lockfile.packages):,} packages"
    if plan.diff is not None:
        line += f" ({len(plan.diff.audit):,} to audit against the base {_base_label(options)})"
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
