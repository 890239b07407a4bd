"""The loopback registry: routes, encodings, faults, auth, counters, ETags."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.registry import (
    ABBREVIATED,
    Fault,
    LoopbackRegistry,
    RegistryData,
    _Route,
    _route,
    quote_name,
    running_registry,
    sri_sha512,
)

ATT = b'{"attestations":[{"predicateType":"https://slsa.dev/provenance/v1","bundle":{}}]}'


def make_data() -> RegistryData:
    data = RegistryData(keys=[{"keyid": "SHA256:x", "keytype": "ecdsa-sha2-nistp256"}])
    data.signer = lambda msg: {"keyid": "SHA256:x", "sig": msg[:8]}
    when = datetime(2024, 5, 1, tzinfo=UTC)
    data.add_version("plain", "1.0.0", tarball=b"plain-1", published=when)
    data.add_version(
        "@s/x",
        "2.0.0",
        tarball=b"scoped-2",
        published=when,
        attestations=ATT,
        trusted_publisher=True,
    )
    return data


def timeout(total: float = 5.0) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total)


@pytest.mark.asyncio
async def test_packument_full_and_abbreviated_with_encodings() -> None:
    async with LoopbackRegistry(make_data()) as reg, aiohttp.ClientSession(timeout=timeout()) as s:
        assert reg.url.startswith("http://127.0.0.1:")
        for path in ("/@s/x", "/@s%2fx", "/@s%2Fx"):
            async with s.get(reg.url + path) as r:
                assert r.status == 200
                doc = await r.json()
        v = doc["versions"]["2.0.0"]
        assert v["dist"]["integrity"] == sri_sha512(b"scoped-2")
        assert v["dist"]["tarball"] == f"{reg.url}/@s/x/-/x-2.0.0.tgz"
        assert v["dist"]["attestations"] == {
            "url": f"{reg.url}/-/npm/v1/attestations/@s%2fx@2.0.0",
            "provenance": {"predicateType": "https://slsa.dev/provenance/v1"},
        }
        assert v["dist"]["signatures"][0]["keyid"] == "SHA256:x"
        assert v["_npmUser"]["trustedPublisher"]["id"] == "github"
        assert doc["time"]["2.0.0"] == "2024-05-01T00:00:00.000Z"
        async with s.get(reg.url + "/@s%2fx", headers={"Accept": ABBREVIATED}) as r:
            assert r.headers["Content-Type"].startswith(ABBREVIATED)
            abbr = await r.json(content_type=None)
        assert "time" not in abbr and "_npmUser" not in abbr["versions"]["2.0.0"]
        assert abbr["versions"]["2.0.0"]["dist"] == v["dist"]
        async with s.get(reg.url + "/nope") as r:
            assert r.status == 404
            assert await r.json() == {"error": "Not found"}
        assert reg.count("packument", "@s/x") == 4


@pytest.mark.asyncio
async def test_attestations_tarballs_keys() -> None:
    async with LoopbackRegistry(make_data()) as reg, aiohttp.ClientSession(timeout=timeout()) as s:
        for spec in ("@s/x@2.0.0", "@s%2fx@2.0.0", "@s%2Fx@2.0.0"):
            async with s.get(f"{reg.url}/-/npm/v1/attestations/{spec}") as r:
                assert r.status == 200
                assert await r.read() == ATT
        async with s.get(f"{reg.url}/-/npm/v1/attestations/plain@1.0.0") as r:
            assert r.status == 404
            assert await r.json() == {"error": "Not found"}
        async with s.get(f"{reg.url}/@s/x/-/x-2.0.0.tgz") as r:
            assert await r.read() == b"scoped-2"
        async with s.get(f"{reg.url}/@s%2fx/-/x-2.0.0.tgz") as r:
            assert await r.read() == b"scoped-2"
        async with s.get(f"{reg.url}/-/npm/v1/keys") as r:
            assert (await r.json())["keys"][0]["keyid"] == "SHA256:x"
        assert reg.count("attestations", "@s/x", "2.0.0") == 3
        assert reg.count("attestations", status=404) == 1


@pytest.mark.asyncio
async def test_status_faults_then_success() -> None:
    async with LoopbackRegistry(make_data()) as reg, aiohttp.ClientSession(timeout=timeout()) as s:
        reg.inject(Fault.rate_limited(times=2, retry_after="3"), name="plain")
        reg.inject(Fault.server_error(503, times=1), name="plain")
        got = []
        for _ in range(4):
            async with s.get(reg.url + "/plain") as r:
                got.append((r.status, r.headers.get("Retry-After")))
        assert got == [(429, "3"), (429, "3"), (503, None), (200, None)]
        reg.inject(Fault.server_error(500, times=None), endpoint="attestations")
        for _ in range(3):
            async with s.get(f"{reg.url}/-/npm/v1/attestations/@s%2fx@2.0.0") as r:
                assert r.status == 500
        reg.inject(Fault.not_found(), name="@s/x", endpoint="packument")
        async with s.get(reg.url + "/@s%2fx") as r:
            assert r.status == 404
        reg.clear_faults()
        async with s.get(reg.url + "/@s%2fx") as r:
            assert r.status == 200


@pytest.mark.asyncio
async def test_body_faults() -> None:
    async with LoopbackRegistry(make_data()) as reg, aiohttp.ClientSession(timeout=timeout()) as s:
        url = f"{reg.url}/-/npm/v1/attestations/@s%2fx@2.0.0"
        reg.inject(Fault.malformed_json(times=1))
        async with s.get(url) as r:
            assert r.status == 200
            with pytest.raises(json.JSONDecodeError):
                json.loads(await r.read())
        reg.inject(Fault.html(times=1))
        async with s.get(url) as r:
            assert r.status == 200 and r.content_type == "text/html"
        reg.inject(Fault.truncated(times=1))
        with pytest.raises(aiohttp.ClientPayloadError):
            async with s.get(url) as r:
                await r.read()
        reg.inject(Fault.reset(times=1))
        with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ClientOSError)):
            async with s.get(url) as r:
                await r.read()
        assert [(r.fault, r.status) for r in reg.requests[-2:]] == [("truncate", 0), ("reset", 0)]
        reg.inject(Fault.oversized(size=3 * 1024 * 1024, times=1))
        async with s.get(url) as r:
            assert r.content_length == 3 * 1024 * 1024
            assert len(await r.read()) == 3 * 1024 * 1024
        async with s.get(url) as r:
            assert await r.read() == ATT


@pytest.mark.asyncio
async def test_timeout_fault_and_latency() -> None:
    async with LoopbackRegistry(make_data()) as reg, aiohttp.ClientSession() as s:
        reg.inject(Fault.timeout(seconds=30, times=1), name="plain")
        with pytest.raises(asyncio.TimeoutError):
            async with s.get(reg.url + "/plain", timeout=aiohttp.ClientTimeout(total=0.2)) as r:
                await r.read()
        reg.inject(Fault.latency(1, times=1), name="plain")
        async with s.get(reg.url + "/plain", timeout=timeout()) as r:
            assert r.status == 200


@pytest.mark.asyncio
async def test_in_flight_maximum_and_reset() -> None:
    async with LoopbackRegistry(make_data(), latency_ms=50) as reg:
        async with aiohttp.ClientSession(timeout=timeout()) as s:

            async def one() -> int:
                async with s.get(reg.url + "/plain") as r:
                    return r.status

            assert await asyncio.gather(*(one() for _ in range(8))) == [200] * 8
        assert reg.max_in_flight == 8
        assert reg.counts_by_path()["/plain"] == 8
        reg.reset_stats()
        assert reg.max_in_flight == 0 and reg.count() == 0


@pytest.mark.asyncio
async def test_auth_required_for_some_paths() -> None:
    async with LoopbackRegistry(make_data()) as reg, aiohttp.ClientSession(timeout=timeout()) as s:
        reg.require_auth("s3cret", endpoints={"attestations"})
        url = f"{reg.url}/-/npm/v1/attestations/@s%2fx@2.0.0"
        async with s.get(url) as r:
            assert r.status == 401
        async with s.get(url, headers={"Authorization": "Bearer wrong"}) as r:
            assert r.status == 401
        async with s.get(url, headers={"Authorization": "Bearer s3cret"}) as r:
            assert r.status == 200
        async with s.get(reg.url + "/plain") as r:
            assert r.status == 200
        assert reg.authorization_headers == [None, "Bearer wrong", "Bearer s3cret", None]


@pytest.mark.asyncio
async def test_etag_revalidation() -> None:
    reg = LoopbackRegistry(make_data(), attestation_etags=True)
    async with reg, aiohttp.ClientSession(timeout=timeout()) as s:
        for url in (reg.url + "/plain", f"{reg.url}/-/npm/v1/attestations/@s%2fx@2.0.0"):
            async with s.get(url) as r:
                etag = r.headers["ETag"]
            async with s.get(url, headers={"If-None-Match": etag}) as r:
                assert r.status == 304
                assert await r.read() == b""
            async with s.get(url, headers={"If-None-Match": '"other"'}) as r:
                assert r.status == 200


def test_sync_variant_in_background_thread() -> None:
    with running_registry(make_data()) as reg:
        with urllib.request.urlopen(reg.url + "/@s%2fx", timeout=5) as r:
            assert json.load(r)["name"] == "@s/x"
        reg.inject(Fault.not_found(times=1), name="plain")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(reg.url + "/plain", timeout=5)
        err.value.close()
        assert reg.count() == 2


@pytest.mark.asyncio
async def test_misc_routes_and_cache_invalidation() -> None:
    data = make_data()
    async with LoopbackRegistry(data) as reg, aiohttp.ClientSession(timeout=timeout()) as s:
        async with s.head(reg.url + "/plain") as r:
            assert r.status == 200
        async with s.put(reg.url + "/plain", data=b"{}") as r:
            assert r.status == 405
        async with s.get(f"{reg.url}/@s%2Fx/-/x-2.0.0.tgz") as r:
            assert await r.read() == b"scoped-2"
        async with s.get(reg.url + "/-/whoami") as r:
            assert r.status == 404
        reg.inject(Fault.http_status(418, times=1), endpoint="keys")
        async with s.get(reg.url + "/-/npm/v1/keys") as r:
            assert r.status == 418
        async with s.get(reg.url + "/plain") as r:
            full_etag = r.headers["ETag"]
        async with s.get(reg.url + "/plain", headers={"Accept": ABBREVIATED}) as r:
            assert r.headers["ETag"] != full_etag
        data.add_version("plain", "1.1.0", tarball=b"plain-1.1")
        reg.invalidate("plain")
        async with s.get(reg.url + "/plain") as r:
            assert set((await r.json())["versions"]) == {"1.0.0", "1.1.0"}
        assert reg.count("keys", status=418) == 1
        assert reg.count("other") == 1


def test_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LoopbackRegistry(host="0.0.0.0")


def test_write_npmrc(tmp_path: Path) -> None:
    with running_registry(RegistryData()) as reg:
        text = reg.write_npmrc(tmp_path, token="t0k").read_text()
        assert text == f"registry={reg.url}/\n//127.0.0.1:{reg.port}/:_authToken=t0k\n"
        scoped = reg.write_npmrc(tmp_path, scope="@acme").read_text()
        assert scoped == f"@acme:registry={reg.url}/\n"


@pytest.mark.asyncio
async def test_version_documents() -> None:
    async with LoopbackRegistry(make_data()) as reg, aiohttp.ClientSession(timeout=timeout()) as s:
        for path in ("/@s/x/2.0.0", "/@s%2fx/latest", "/plain/1.0.0"):
            async with s.get(reg.url + path) as r:
                assert r.status == 200, path
                doc = await r.json()
                assert doc["dist"]["tarball"].startswith(reg.url)
        async with s.get(reg.url + "/plain/9.9.9") as r:
            assert r.status == 404
        assert reg.count("manifest") == 4


NAME_PART = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(scope=st.none() | NAME_PART, base=NAME_PART, upper=st.booleans())
def test_routes_decode_every_name_encoding(scope: str | None, base: str, upper: bool) -> None:
    name = f"@{scope}/{base}" if scope else base
    for encoded in (name, quote_name(name, upper=upper)):
        assert _route(f"/{encoded}") == _Route("packument", name)
        assert _route(f"/-/npm/v1/attestations/{encoded}@1.0.0-rc.1") == _Route(
            "attestations", name, "1.0.0-rc.1"
        )
        assert _route(f"/{encoded}/-/{base}-1.0.0.tgz") == _Route(
            "tarball", name, None, f"{base}-1.0.0.tgz"
        )
        assert _route(f"/{encoded}/1.0.0") == _Route("manifest", name, "1.0.0")
