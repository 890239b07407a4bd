"""The HTTP client against the loopback registry: every fault kind, bounds, credentials."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from auditor.registry.client import FetchError, RegistryClient, retry_after_seconds
from auditor.registry.config import Credential, NpmConfig, Secret
from auditor.registry.sources import RegistrySource, attestations_url
from tests.registry.conftest import FAST
from tests.support.registry import Fault, LoopbackRegistry, RegistryData

BODY = json.dumps({"attestations": [{"predicateType": "x", "bundle": {}}]}).encode()


def _data(n: int = 3) -> RegistryData:
    data = RegistryData()
    for i in range(n):
        data.add_version(f"pkg{i}", "1.0.0", tarball=b"t%d" % i, attestations=BODY)
    data.add_version("@scope/s", "2.0.0", tarball=b"s", attestations=BODY)
    data.add_version("none", "1.0.0", tarball=b"n")
    return data


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _config(reg: LoopbackRegistry, **kw: object) -> NpmConfig:
    return NpmConfig(registry=reg.url + "/", **kw)  # type: ignore[arg-type]


async def _get(reg: LoopbackRegistry, name: str = "pkg0", version: str = "1.0.0", **kw: object):  # type: ignore[no-untyped-def]
    sleeps = Sleeps()
    settings = kw.pop("settings", FAST)
    async with RegistryClient(_config(reg), settings, sleep=sleeps) as client:  # type: ignore[arg-type]
        resp = await client.get(
            attestations_url(reg.url + "/", name, version),
            max_bytes=settings.max_attestation_bytes,  # type: ignore[attr-defined]
        )
    return resp, sleeps, client.stats


@pytest.mark.asyncio
async def test_success_and_404() -> None:
    async with LoopbackRegistry(_data()) as reg:
        resp, _, stats = await _get(reg)
        assert (resp.status, resp.body) == (200, BODY)
        resp, _, _ = await _get(reg, "none")
        assert resp.status == 404
        assert stats.retries == 0


@pytest.mark.asyncio
async def test_429_with_retry_after_then_success() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.rate_limited(times=1, retry_after="2"), endpoint="attestations")
        resp, sleeps, stats = await _get(reg)
        assert resp.status == 200 and stats.retries == 1
        assert sleeps.delays == [2.0]  # Retry-After honoured
        assert reg.count("attestations") == 2


@pytest.mark.asyncio
async def test_retry_after_is_capped() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.rate_limited(times=1, retry_after="3600"), endpoint="attestations")
        resp, sleeps, _ = await _get(reg)
        assert resp.status == 200 and sleeps.delays == [FAST.retry_after_cap]


@pytest.mark.asyncio
async def test_503_twice_then_success() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.server_error(503, times=2), endpoint="attestations")
        resp, sleeps, stats = await _get(reg)
        assert resp.status == 200 and stats.retries == 2 and len(sleeps.delays) == 2
        assert reg.count("attestations") == 3


@pytest.mark.asyncio
async def test_permanent_500_fails_after_all_attempts() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.server_error(500, times=None), endpoint="attestations")
        with pytest.raises(FetchError) as err:
            await _get(reg)
        assert err.value.reason == "FETCH_HTTP_500"
        assert reg.count("attestations") == FAST.attempts


@pytest.mark.asyncio
async def test_401_is_not_retried() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.require_auth("tok")
        with pytest.raises(FetchError) as err:
            await _get(reg)
        assert err.value.reason == "FETCH_HTTP_401" and reg.count() == 1


@pytest.mark.asyncio
async def test_timeout() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.timeout(5.0), endpoint="attestations")
        settings = replace(FAST, attempts=2, read_timeout=0.2, request_timeout=0.3)
        with pytest.raises(FetchError) as err:
            await _get(reg, settings=settings)
        assert err.value.reason == "FETCH_TIMEOUT"


@pytest.mark.asyncio
async def test_budget_stops_retries() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.timeout(5.0), endpoint="attestations")
        settings = replace(FAST, attempts=10, read_timeout=5, request_timeout=5, budget=0.3)
        with pytest.raises(FetchError) as err:
            await _get(reg, settings=settings)
        assert err.value.reason in ("FETCH_BUDGET", "FETCH_TIMEOUT")
        assert reg.count("attestations") <= 2


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "reason"),
    [(Fault.reset(), "FETCH_"), (Fault.truncated(), "FETCH_TRUNCATED")],
)
async def test_reset_and_truncated_body_are_retried_then_fail(fault: Fault, reason: str) -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(fault, endpoint="attestations")
        with pytest.raises(FetchError) as err:
            await _get(reg)
        assert err.value.reason.startswith(reason)
        assert err.value.reason in ("FETCH_CONNECTION", "FETCH_TRUNCATED")
        assert reg.count("attestations") == FAST.attempts


@pytest.mark.asyncio
async def test_reset_once_then_success() -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.reset(times=1), endpoint="attestations")
        resp, _, _ = await _get(reg)
        assert resp.body == BODY


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [200 * 1024, 20 * 1024 * 1024])
async def test_oversized_body_is_refused_without_reading_it_all(size: int) -> None:
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(Fault.oversized(size), endpoint="attestations")
        sleeps = Sleeps()
        async with RegistryClient(_config(reg), FAST, sleep=sleeps) as client:
            url = attestations_url(reg.url + "/", "pkg0", "1.0.0")
            with pytest.raises(FetchError) as err:
                await client.get(url, max_bytes=FAST.max_attestation_bytes)
        assert err.value.reason == "FETCH_TOO_LARGE"
        assert client.stats.requests == 1 and not sleeps.delays  # not retried


@pytest.mark.asyncio
@pytest.mark.parametrize("fault", [Fault.malformed_json(), Fault.html()])
async def test_malformed_and_html_bodies_pass_through_the_client(fault: Fault) -> None:
    # The client returns bytes; deciding that they are not JSON is the engine's job.
    async with LoopbackRegistry(_data()) as reg:
        reg.inject(fault, endpoint="attestations")
        resp, _, _ = await _get(reg)
        assert resp.status == 200 and resp.body != BODY


@pytest.mark.asyncio
async def test_concurrency_is_bounded_server_side() -> None:
    data = _data(40)
    async with LoopbackRegistry(data, latency_ms=20) as reg:
        settings = replace(FAST, concurrency=5)
        async with RegistryClient(_config(reg), settings) as client:
            urls = [attestations_url(reg.url + "/", f"pkg{i}", "1.0.0") for i in range(40)]
            resps = await asyncio.gather(*(client.get(u, max_bytes=1 << 20) for u in urls))
        assert all(r.status == 200 for r in resps)
        assert reg.max_in_flight <= 5
        assert reg.max_in_flight >= 2  # actually concurrent
        assert client.stats.max_in_flight <= 5


@pytest.mark.asyncio
async def test_token_is_sent_only_to_its_own_registry() -> None:
    async with LoopbackRegistry(_data()) as a, LoopbackRegistry(_data()) as b:
        a.require_auth("secret-a")
        cfg = NpmConfig(
            registry=a.url + "/",
            scopes={"@scope": b.url + "/"},
            credentials={
                f"//127.0.0.1:{a.port}/": Credential("Bearer", Secret("secret-a")),
            },
        )
        async with RegistryClient(cfg, FAST) as client:
            src = RegistrySource(client)
            got_a = await src.attestations("pkg0", "1.0.0", cfg.registry_for_name("pkg0"))
            got_b = await src.attestations("@scope/s", "2.0.0", cfg.registry_for_name("@scope/s"))
        assert got_a.found and got_b.found
        assert a.authorization_headers == ["Bearer secret-a"]
        assert b.authorization_headers == [None]
        assert b.count("attestations", name="@scope/s") == 1 and a.count(name="@scope/s") == 0


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_redirect_targets() -> None:
    from auditor.registry.client import _redirect_target

    base = "https://reg.example.test/a/b"
    assert _redirect_target(base, "/c") == "https://reg.example.test/c"
    assert _redirect_target("http://127.0.0.1:1/x", "/y") == "http://127.0.0.1:1/y"
    for bad in ("http://evil.example.test/x", "ftp://x/", None, ""):
        with pytest.raises(FetchError):
            _redirect_target(base, bad)


@pytest.mark.asyncio
async def test_large_bodies_wait_for_a_slot_of_the_gate() -> None:
    """Bodies over 1 MiB are read only under a gate slot, kept until the caller releases it:
    large bodies in memory are bounded by the gate, not by the requests in flight."""
    gate = asyncio.Semaphore(1)
    async with LoopbackRegistry(RegistryData()) as reg:
        reg.inject(Fault.oversized(2 * 1024 * 1024), endpoint="packument")
        async with RegistryClient(_config(reg), FAST) as client:
            urls = [f"{reg.url}/big-{i}" for i in range(2)]
            tasks = [
                asyncio.ensure_future(client.get(u, max_bytes=4 * 1024 * 1024, gate=gate))
                for u in urls
            ]
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.sleep(0.2)
            assert len(done) == 1 and all(not t.done() for t in pending)  # still waiting
            first = next(iter(done)).result()
            assert first.gated and len(first.body) == 2 * 1024 * 1024
            gate.release()
            second = await next(iter(pending))
            assert second.gated
            gate.release()
            # A body that fails (over the cap) gives its slot back.
            with pytest.raises(FetchError) as info:
                await client.get(f"{reg.url}/big-2", max_bytes=1536 * 1024, gate=gate)
            assert info.value.reason == "FETCH_TOO_LARGE"
            assert not gate.locked()
            # Small bodies never take a slot.
            small = await client.get(f"{reg.url}/-/npm/v1/keys", max_bytes=1024, gate=gate)
            assert not small.gated
