"""The engine end to end: loopback registry -> fetch -> verify -> PackageResults."""

from __future__ import annotations

import asyncio
import io
import socket
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.models import Package, Report, SourceKind, Status
from auditor.pipeline import AuditOptions, FetchOptions, FetchSummary, audit_lockfile, fetch_into
from auditor.policy import default_policy
from auditor.progress import NullProgress, StderrProgress, make_progress
from auditor.registry.cache import ResponseCache
from auditor.registry.client import NetworkSettings
from tests.engine.scenario import Scenario, build, statuses, verify
from tests.support.offline import empty_offline, forget
from tests.support.registry import Fault, LoopbackRegistry, running_registry

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FAST = NetworkSettings(
    concurrency=8,
    read_timeout=0.5,
    request_timeout=2.0,
    attempts=3,
    backoff_base=0.001,
    backoff_max=0.01,
    max_attestation_bytes=256 * 1024,
    max_packument_bytes=1024 * 1024,
)


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return build(tmp_path)


def _options(reg: LoopbackRegistry | None, sc: Scenario, tmp: Path, **kw: Any) -> AuditOptions:
    base: dict[str, Any] = {
        "registry": reg.url if reg else None,
        "network": FAST,
        "now": NOW,
        "npm": None,
        "trust": sc.trust,
        "verifier": verify,
        "cache_dir": tmp / "cache",
        "verify_workers": 0,
        "progress": NullProgress(),
    }
    base.update(kw)
    return AuditOptions(**base)


def _audit(sc: Scenario, opts: AuditOptions) -> Report:
    return audit_lockfile(sc.lockfile, Path(sc.lockfile.path), default_policy(), opts)


def _fetch_into(sc: Scenario, reg: LoopbackRegistry, into: Path, **kw: Any) -> FetchSummary:
    """`audit fetch` of the scenario's lockfile from the loopback registry."""
    options = FetchOptions(
        into=into,
        registry=reg.url,
        network=FAST,
        use_cache=False,
        npm=None,
        progress=NullProgress(),
        **kw,
    )
    return asyncio.run(fetch_into(sc.lockfile, options))


def test_statuses_end_to_end(scenario: Scenario, tmp_path: Path) -> None:
    with running_registry(scenario.data) as reg:
        report = _audit(scenario, _options(reg, scenario, tmp_path, use_cache=False))
        assert statuses(report.results) == scenario.expected
        stripped = next(r for r in report.results if r.package.name == "stripped")
        assert stripped.reason == "PROVENANCE_STRIPPED"
        # One packument per name (its registry signature), and the attestations endpoint
        # for each package whose packument advertises attestations (gamma's does not).
        assert reg.count("attestations") == 4
        assert reg.count("attestations", name="gamma") == 0
        assert reg.count("packument") == 5
        assert reg.count(name="gitdep") == 0  # non-registry: no request at all
        assert all(
            "application/vnd.npm.install-v1+json" in (r.accept or "")
            for r in reg.requests
            if r.endpoint == "packument"
        )
    assert [r.package.spec for r in report.results] == sorted(
        (r.package.spec for r in report.results), key=lambda s: s.rsplit("@", 1)[0]
    )
    verified = next(r for r in report.results if r.package.name == "alpha")
    assert verified.registry == reg.url + "/"
    assert verified.identity is not None and verified.identity.source_repository


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.server_error(500, times=None), "FETCH_HTTP_500"),
        (Fault.timeout(5.0), "FETCH_TIMEOUT"),
        (Fault.reset(), "FETCH_CONNECTION"),
        (Fault.truncated(), "FETCH_TRUNCATED"),
        (Fault.malformed_json(), "FETCH_MALFORMED"),
        (Fault.html(), "FETCH_MALFORMED"),
        (Fault.oversized(2 * 1024 * 1024), "FETCH_TOO_LARGE"),
    ],
)
def test_fetch_failures_are_errors_never_unattested(
    scenario: Scenario, tmp_path: Path, fault: Fault, reason: str
) -> None:
    with running_registry(scenario.data) as reg:
        reg.inject(fault, name="alpha", endpoint="attestations")
        reg.inject(fault, name="gamma", endpoint="attestations")
        # The plain path: gamma's endpoint is asked although its packument advertises nothing.
        plain = _options(reg, scenario, tmp_path, use_cache=False)
        report = _audit(scenario, replace(plain, attestations_when_advertised=False))
    by_name = {r.package.name: r for r in report.results}
    # gamma's packument advertises nothing: an undecided package.
    # A reset (RST) may reach the client before it has read the headers, and Linux then
    # discards what it had received: a connection failure instead of a cut-off body.  Only
    # that fault has two outcomes (both undecided); a clean close mid-body is FETCH_TRUNCATED.
    expected = {reason, "FETCH_TRUNCATED"} if reason == "FETCH_CONNECTION" else {reason}
    assert by_name["gamma"].status is Status.ERROR
    assert by_name["gamma"].reason in expected
    # alpha's advertises provenance: an answer that is not attestations (a status, a body
    # that is not JSON) is stripping; a failed transfer stays undecided.
    alpha = by_name["alpha"]
    if reason.startswith(("FETCH_HTTP_", "FETCH_MALFORMED")):
        assert (alpha.status, alpha.reason) == (Status.INVALID, "PROVENANCE_STRIPPED")
        assert alpha.message is not None and reason in alpha.message
    else:
        assert alpha.status is Status.ERROR
        assert alpha.reason in expected
    assert by_name["beta"].status is Status.PUBLISH_ONLY  # the rest is unaffected


@pytest.mark.parametrize(("size", "status"), [(9 * 2**20, "verified"), (10 * 2**20 + 1, "error")])
def test_one_size_limit_live_and_cached(
    scenario: Scenario, tmp_path: Path, size: int, status: str
) -> None:
    """A genuine response padded to 9 MiB verifies (it used to be `invalid`: the verifier
    capped at 8 MiB, the client at 10); over the limit is `error` FETCH_TOO_LARGE, from the
    network and from a planted cache entry alike."""
    body = scenario.data.attestations["alpha@1.0.0"]
    scenario.data.attestations["alpha@1.0.0"] = body[:-1] + b" " * (size - len(body)) + b"}"
    network = replace(FAST, max_attestation_bytes=NetworkSettings().max_attestation_bytes)
    with running_registry(scenario.data) as reg:
        opts = _options(reg, scenario, tmp_path, use_cache=False, network=network)
        alpha = next(r for r in _audit(scenario, opts).results if r.package.name == "alpha")
        assert alpha.status == status
        if status == "error":
            assert alpha.reason == "FETCH_TOO_LARGE"
            # An oversized entry under the cache's own key (say, stored by a version with
            # another limit): still too large when read back.
            cache = ResponseCache(tmp_path / "cache", key=b"k" * 32)  # the injected cache
            cached = _options(reg, scenario, tmp_path, network=network, cache=cache)
            cache.put(
                reg.url + "/",
                "attestations",
                "alpha@1.0.0",
                200,
                scenario.data.attestations["alpha@1.0.0"],
                None,
            )
            reg.reset_stats()
            results = _audit(scenario, cached).results
            assert reg.count("attestations", name="alpha") == 0  # judged from the cache
            alpha = next(r for r in results if r.package.name == "alpha")
            assert (alpha.status, alpha.reason) == (Status.ERROR, "FETCH_TOO_LARGE")


def test_transient_faults_recover(scenario: Scenario, tmp_path: Path) -> None:
    with running_registry(scenario.data) as reg:
        reg.inject(Fault.rate_limited(times=1, retry_after="0"), name="alpha")
        reg.inject(Fault.server_error(503, times=2), name="beta", endpoint="attestations")
        report = _audit(scenario, _options(reg, scenario, tmp_path, use_cache=False))
    assert statuses(report.results) == scenario.expected


def test_packument_failure_in_cross_check_fails_closed(scenario: Scenario, tmp_path: Path) -> None:
    with running_registry(scenario.data) as reg:
        reg.inject(Fault.server_error(500, times=None), name="beta", endpoint="packument")
        report = _audit(scenario, _options(reg, scenario, tmp_path, use_cache=False))
    beta = next(r for r in report.results if r.package.name == "beta")
    assert beta.status is Status.ERROR and beta.reason == "FETCH_HTTP_500"


def test_one_request_per_distinct_name_version(scenario: Scenario, tmp_path: Path) -> None:
    alpha = next(p for p in scenario.lockfile.packages if p.name == "alpha")
    twin = replace(alpha, integrity="sha512-" + "A" * 86 + "==", hashes=(), paths=("x",))
    lock = replace(scenario.lockfile, packages=(*scenario.lockfile.packages, twin))
    sc = replace(scenario, lockfile=lock)
    with running_registry(scenario.data) as reg:
        report = _audit(sc, _options(reg, sc, tmp_path, use_cache=False))
        assert reg.count("attestations", name="alpha") == 1
    alphas = [r for r in report.results if r.package.name == "alpha"]
    assert sorted(r.status.value for r in alphas) == ["invalid", "verified"]


def test_process_pool_gives_the_same_results_as_sequential(tmp_path: Path) -> None:
    sc = build(tmp_path, extra_unattested=10)
    with running_registry(sc.data) as reg:
        seq = _audit(sc, _options(reg, sc, tmp_path, use_cache=False, verify_workers=0))
        par = _audit(sc, _options(reg, sc, tmp_path, use_cache=False, verify_workers=2))
    assert seq.results == par.results


def test_cache_hit_makes_no_request_and_corruption_is_refetched(
    scenario: Scenario, tmp_path: Path
) -> None:
    with running_registry(scenario.data) as reg:
        opts = _options(reg, scenario, tmp_path)
        first = _audit(scenario, opts)
        reg.reset_stats()
        second = _audit(scenario, opts)
        # Nothing asked: 404s are never cached (test_cache_poison), but gamma's packument
        # (from the cache) advertises no attestations, so its endpoint is not asked at all.
        assert reg.count() == 0
        assert second.results == first.results
        # Corrupt every cached file: all ignored and fetched again, same verdicts.
        for f in (tmp_path / "cache").rglob("*"):
            if f.is_file():
                f.write_bytes(f.read_bytes()[:-3] + b"xyz")
        reg.reset_stats()
        third = _audit(scenario, opts)
        assert reg.count("attestations") == 4  # not gamma's (its packument advertises none)
        assert third.results == first.results


def test_packument_revalidates_with_etag_after_ttl(scenario: Scenario, tmp_path: Path) -> None:
    from auditor.registry import cache as cache_mod

    with running_registry(scenario.data) as reg:
        opts = _options(reg, scenario, tmp_path)
        _audit(scenario, opts)
        reg.reset_stats()
        # Age every entry past the packument TTL (but attestations never expire).
        real = cache_mod.ResponseCache.__init__

        def aged(self: Any, root: Path, **kw: Any) -> None:
            real(self, root, **kw)
            self._clock = lambda: datetime.now(UTC).timestamp() + 3600 * 24

        cache_mod.ResponseCache.__init__ = aged  # type: ignore[method-assign]
        try:
            _audit(scenario, opts)
        finally:
            cache_mod.ResponseCache.__init__ = real  # type: ignore[method-assign]
        assert reg.count("attestations", status=200) == 0  # immutable
        packs = [r for r in reg.requests if r.endpoint == "packument"]
        assert packs and all(r.if_none_match and r.status == 304 for r in packs)


def test_fetch_then_offline_gives_the_same_report_with_network_forbidden(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    into = tmp_path / "offline"
    with running_registry(scenario.data) as reg:
        live = _audit(scenario, _options(reg, scenario, tmp_path, use_cache=False))
        summary = _fetch_into(scenario, reg, into)
    assert not summary.errors
    assert summary.attestations == 4 and summary.not_found == 1 and summary.skipped == 1
    assert "4 attestation responses" in summary.describe()
    assert (into / "attestations" / "@acme%2fwidget@2.1.0.json").is_file()

    def no_network(*a: object, **k: object) -> None:
        raise AssertionError("network used in offline mode")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    offline = _audit(scenario, _options(None, scenario, tmp_path, offline=into, registry=reg.url))
    assert offline.results == live.results
    assert offline == live


def test_offline_missing_packument_for_cross_check_is_an_error(
    scenario: Scenario, tmp_path: Path
) -> None:

    into = tmp_path / "offline"
    with running_registry(scenario.data) as reg:
        _fetch_into(scenario, reg, into)
    forget(into, "packuments", "beta")  # as if fetching it had failed
    report = _audit(scenario, _options(None, scenario, tmp_path, offline=into))
    beta = next(r for r in report.results if r.package.name == "beta")
    assert beta.status is Status.ERROR and beta.reason == "OFFLINE_MISSING"


def test_fetch_into_reports_errors(scenario: Scenario, tmp_path: Path) -> None:

    with running_registry(scenario.data) as reg:
        reg.inject(Fault.server_error(500, times=None), name="alpha")
        summary = _fetch_into(scenario, reg, tmp_path / "o")
    assert summary.errors == ("alpha@1.0.0: FETCH_HTTP_500",)
    assert "1 failed" in summary.describe()


def test_unsafe_names_never_become_paths(scenario: Scenario, tmp_path: Path) -> None:
    evil = Package(name="../../etc/passwd", version="1.0.0", source=SourceKind.REGISTRY)
    lock = replace(scenario.lockfile, packages=(evil,))
    sc = replace(scenario, lockfile=lock)
    empty_offline(tmp_path / "off")
    report = _audit(sc, _options(None, sc, tmp_path, offline=tmp_path / "off"))
    assert report.results[0].status is Status.ERROR
    assert report.results[0].reason == "INVALID_NAME"


def test_progress_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(make_progress(quiet=False, verbose=0, stream=io.StringIO()), NullProgress)
    assert isinstance(make_progress(quiet=True, verbose=0, stream=Tty()), NullProgress)
    tty = Tty()
    bar = make_progress(quiet=False, verbose=0, stream=tty)
    assert isinstance(bar, StderrProgress)
    bar.start(2)
    bar.fetched()
    bar.verified()
    bar.finish()
    assert "fetched" in tty.getvalue() and tty.getvalue().endswith("\r\x1b[K")


@pytest.mark.parametrize("workers", [0, 2])
def test_bad_trust_material_is_a_trust_error_not_a_traceback(
    scenario: Scenario, tmp_path: Path, workers: int
) -> None:
    from auditor.errors import TrustError

    bad = tmp_path / "bad-root.json"
    bad.write_text("{}")
    with running_registry(scenario.data) as reg:
        opts = _options(
            reg,
            scenario,
            tmp_path,
            trust=None,
            verifier=None,
            trusted_root=bad,
            verify_workers=workers,
            use_cache=False,
        )
        with pytest.raises(TrustError):
            _audit(scenario, opts)


def test_insecure_scoped_registry_fails_only_its_packages(
    scenario: Scenario, tmp_path: Path
) -> None:
    project = Path(scenario.lockfile.path).parent
    with running_registry(scenario.data) as reg:
        (project / ".npmrc").write_text(
            f"registry={reg.url}/\n@acme:registry=http://acme.example.test/\n"
        )
        report = _audit(scenario, _options(None, scenario, tmp_path, use_cache=False))
        assert reg.count(name="@acme/widget") == 0
    by_name = {r.package.name: r for r in report.results}
    assert by_name["@acme/widget"].status is Status.ERROR
    assert by_name["@acme/widget"].reason == "INSECURE_REGISTRY"
    assert by_name["alpha"].status is Status.VERIFIED


def test_policy_needing_packuments_live_and_offline_agree(
    scenario: Scenario, tmp_path: Path
) -> None:

    from auditor.policy import parse_policy

    policy = parse_policy(
        'version = 1\n[rules]\nrelease-age = "error"\ntrust-downgrade = "warning"\n'
        "[release_age]\ndays = 3\n",
        "policy.toml",
    )
    assert policy.needs_packuments
    into = tmp_path / "offline"
    lock = Path(scenario.lockfile.path)
    with running_registry(scenario.data) as reg:
        live = audit_lockfile(
            scenario.lockfile, lock, policy, _options(reg, scenario, tmp_path, use_cache=False)
        )
        # Full packuments, one per name, none for the git dependency.
        assert reg.count("packument") == 5
        _fetch_into(scenario, reg, into, packuments=True)
    assert len(list((into / "packuments").iterdir())) == 5
    registry_results = [r for r in live.results if r.package.source is SourceKind.REGISTRY]
    assert all(r.packument is not None for r in registry_results)
    offline = audit_lockfile(
        scenario.lockfile,
        lock,
        policy,
        _options(None, scenario, tmp_path, offline=into, registry=reg.url),
    )
    assert offline == live


@pytest.mark.parametrize("workers", [0, 2])
def test_schema_check_of_a_supplied_root_runs_beside_verification_and_still_fails_the_run(
    scenario: Scenario, tmp_path: Path, workers: int
) -> None:
    """The sigstore schema check is off the critical path, not off the decision: a root our
    own parser reads (it ignores an unknown key) but sigstore's model rejects fails the run."""
    import json

    from auditor.errors import TrustError

    root = json.loads(scenario.root.read_text())
    root["surprise"] = 1
    scenario.root.write_text(json.dumps(root))
    with running_registry(scenario.data) as reg:
        opts = _options(
            reg,
            scenario,
            tmp_path,
            trust=None,
            verifier=None,
            trusted_root=scenario.root,
            npm_keys=scenario.keys,
            verify_workers=workers,
            use_cache=False,
        )
        with pytest.raises(TrustError, match=r"invalid trusted root .*surprise"):
            _audit(scenario, opts)
