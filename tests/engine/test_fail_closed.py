"""The fail-closed paths of the pipeline, through the loopback registry: a verifier that
raises or a worker that dies (VERIFY_CRASHED), trust material that cannot be loaded
(TRUST_UNAVAILABLE) and a publish-only answer for a version the packument does not list
(PACKUMENT_VERSION_MISSING) are `error`, never `verified`, and the audit is incomplete."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.cli import exit_code_for
from auditor.errors import TrustError
from auditor.models import PackageResult, Status, VerificationResult
from auditor.pipeline.fetch import Fetcher, npm_config
from auditor.pipeline.schedule import Verifier
from auditor.pipeline.verdict import Auditor
from auditor.progress import NullProgress
from auditor.registry.client import RegistryClient
from auditor.registry.sources import RegistrySource
from auditor.verify import TrustMaterial
from tests.engine.scenario import Scenario, build, verify
from tests.engine.test_engine import FAST, _audit, _options
from tests.support.registry import LoopbackRegistry, running_registry

# The scenario's packages whose endpoint serves attestations (each goes to the verifier).
ATTESTED = {"alpha@1.0.0", "@acme/widget@2.1.0", "beta@1.0.0", "stripped@3.0.0"}


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return build(tmp_path)


def crashing_verifier(
    name: str, version: str, integrity: str | None, body: bytes, trust: TrustMaterial
) -> VerificationResult:
    """Breaks the verifier's promise never to raise (module level: workers import it)."""
    raise RuntimeError(f"unexpected failure on {name}")


def dying_verifier(
    name: str, version: str, integrity: str | None, body: bytes, trust: TrustMaterial
) -> VerificationResult:
    os._exit(9)  # the worker process is killed (out of memory, a signal)


def _by_spec(results: tuple[PackageResult, ...] | list[PackageResult]) -> dict[str, PackageResult]:
    return {r.package.spec: r for r in results}


@pytest.mark.parametrize("workers", [0, 2])
def test_a_verifier_that_raises_is_verify_crashed(
    scenario: Scenario, tmp_path: Path, workers: int
) -> None:
    with running_registry(scenario.data) as reg:
        opts = _options(
            reg,
            scenario,
            tmp_path,
            use_cache=False,
            verifier=crashing_verifier,
            verify_workers=workers,
        )
        report = _audit(scenario, opts)
    got = _by_spec(report.results)
    for spec in ATTESTED:
        assert (got[spec].status, got[spec].reason) == (Status.ERROR, "VERIFY_CRASHED"), spec
        assert got[spec].message == "verifier failed: RuntimeError"
    # The unattested package never reached the verifier; the rest is unaffected.
    assert got["gamma@0.1.0"].status is Status.UNATTESTED
    assert not any(r.status is Status.VERIFIED for r in report.results)
    assert exit_code_for(report, fail_on="error") == 3  # incomplete


def test_a_worker_that_dies_is_verify_crashed(scenario: Scenario, tmp_path: Path) -> None:
    with running_registry(scenario.data) as reg:
        opts = _options(
            reg, scenario, tmp_path, use_cache=False, verifier=dying_verifier, verify_workers=2
        )
        report = _audit(scenario, opts)
    got = _by_spec(report.results)
    for spec in ATTESTED:
        assert (got[spec].status, got[spec].reason) == (Status.ERROR, "VERIFY_CRASHED"), spec
    assert not any(r.status is Status.VERIFIED for r in report.results)
    assert exit_code_for(report, fail_on="error") == 3


def _unloadable() -> TrustMaterial:
    raise TrustError("invalid trusted root: not loadable")


async def _audit_without_trust(sc: Scenario, reg: LoopbackRegistry) -> list[PackageResult]:
    """The per-package stage with a trust loader that fails (the run itself raises the
    TrustError afterwards; here each package's own verdict is checked)."""
    config = npm_config(Path(sc.lockfile.path), reg.url, {}, None)
    verifier = Verifier(_unloadable, verify, 0)
    verifier.start()
    try:
        async with RegistryClient(config, FAST) as client:
            fetcher = Fetcher(RegistrySource(client), config)
            fetcher.plan(sc.lockfile.packages)
            auditor = Auditor(fetcher, verifier, needs_packuments=False, progress=NullProgress())
            results = await auditor.audit(sc.lockfile.packages)
            fetcher.settle()
            return results
    finally:
        verifier.close()


def test_unloadable_trust_makes_every_registry_package_trust_unavailable(
    scenario: Scenario,
) -> None:
    with running_registry(scenario.data) as reg:
        results = asyncio.run(_audit_without_trust(scenario, reg))
    for r in results:
        if r.package.spec == "gitdep@1.0.0":
            assert r.status is Status.NOT_APPLICABLE
            continue
        # Attested ones at verification, the unattested one at its registry signature.
        assert (r.status, r.reason) == (Status.ERROR, "TRUST_UNAVAILABLE"), r.package.spec
        assert r.message == "the trust material could not be loaded"


@pytest.mark.parametrize("workers", [0, 2])
def test_unloadable_trust_fails_the_run(scenario: Scenario, tmp_path: Path, workers: int) -> None:
    bad = tmp_path / "trusted_root.json"
    bad.write_text("{not json")
    with running_registry(scenario.data) as reg:
        opts = _options(
            reg,
            scenario,
            tmp_path,
            use_cache=False,
            trust=None,
            verifier=None,
            trusted_root=bad,
            npm_keys=scenario.keys,
            verify_workers=workers,
        )
        with pytest.raises(TrustError, match="invalid trusted root"):
            _audit(scenario, opts)


@pytest.mark.parametrize("when_advertised", [True, False])
def test_publish_only_for_a_version_the_packument_lacks_is_packument_version_missing(
    scenario: Scenario, tmp_path: Path, when_advertised: bool
) -> None:
    """The endpoint serves a publish-only set, the packument does not list the version: the
    stripping check has nothing to read, so the package is undecided, not publish-only."""
    del scenario.data.packuments["beta"]["versions"]["1.0.0"]
    with running_registry(scenario.data) as reg:
        opts = _options(reg, scenario, tmp_path, use_cache=False)
        report = _audit(scenario, replace(opts, attestations_when_advertised=when_advertised))
    beta = _by_spec(report.results)["beta@1.0.0"]
    assert (beta.status, beta.reason) == (Status.ERROR, "PACKUMENT_VERSION_MISSING")
    assert beta.message == (
        "the registry's packument does not list this version; cannot check for stripped provenance"
    )
    assert beta.verification is None
    assert _by_spec(report.results)["alpha@1.0.0"].status is Status.VERIFIED
    assert exit_code_for(report, fail_on="error") == 3


def test_netrc_credentials_are_never_sent(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials come from the npm configuration only (as npm).  The HTTP session does not
    trust the environment wholesale (aiohttp's `trust_env` also reads ~/.netrc for every
    request's host: credentials npm would not send, to any host, redirect targets included);
    proxies are read from HTTP(S)_PROXY / NO_PROXY by auditor.registry.client.env_proxy."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with running_registry(scenario.data) as reg:
        report = _audit(scenario, _options(reg, scenario, tmp_path, use_cache=False))
        sent = reg.authorization_headers
    assert sent and set(sent) == {None}
    assert {r.package.spec: r.status.value for r in report.results} == scenario.expected
