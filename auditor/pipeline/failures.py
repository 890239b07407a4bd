"""What a run finds about its registries rather than its packages: hosts given up on
(`RunFailure`, exit 2 with `failures` in the report) and registries that serve no
attestations at all (registry-no-attestations)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from auditor.models import PackageResult, RunFailure, Status
from auditor.pipeline.fetch import Fetcher
from auditor.registry.client import FetchError, RegistryClient, display_origin
from auditor.registry.config import NpmConfig, normalize_registry_url

if TYPE_CHECKING:
    from auditor.pipeline.options import AuditOptions
    from auditor.policy import Policy

KEYS_PATH = "-/npm/v1/keys"


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
        return configured_by(config, registries)


def attestations_registry(options: AuditOptions, policy: Policy) -> tuple[str, str] | None:
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


def configured_by(config: NpmConfig | None, registries: set[str]) -> str:
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
