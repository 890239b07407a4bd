"""The HTTP client: one aiohttp session, bounded concurrency, retries, size caps.

Every failure becomes a `FetchError` carrying a stable reason code (FETCH_TIMEOUT,
FETCH_CONNECTION, FETCH_TRUNCATED, FETCH_TOO_LARGE, FETCH_HTTP_<status>, FETCH_REDIRECT,
FETCH_BUDGET); the engine turns it into `Status.ERROR`, never into "unattested".
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from auditor import __version__
from auditor.models import MAX_ATTESTATIONS_BYTES, MAX_PACKUMENT_BYTES
from auditor.registry.config import NpmConfig, is_loopback_host

if TYPE_CHECKING:
    import aiohttp

# Chosen by measurement (`make bench`, 3,000 packages at 50 ms latency on 2 cores):
# 16 -> 11.5 s, 32 -> 6.1 s, 64 -> 3.5 s, 128 -> 2.5 s, 256 -> 2.45 s.  Beyond 128 the
# verification CPU, not the network, is the limit.
DEFAULT_CONCURRENCY = 128
MIB = 1 << 20
USER_AGENT = f"npm-provenance-auditor/{__version__}"
ABBREVIATED = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """Timeouts (seconds), retry schedule and size limits.  Tests inject small values."""

    concurrency: int = DEFAULT_CONCURRENCY
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # between bytes
    request_timeout: float = 60.0  # one attempt, start to last byte
    budget: float = 900.0  # the whole run; requests after it fail with FETCH_BUDGET
    attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_cap: float = 30.0
    max_attestation_bytes: int = MAX_ATTESTATIONS_BYTES  # one limit, see auditor.models
    max_packument_bytes: int = MAX_PACKUMENT_BYTES  # see auditor.models
    max_redirects: int = 3
    # Connection failures in a row to one host (no answer in between) after which one
    # request probes it with its retries while the others wait; if the probe fails too the
    # host is given up for the run (every later request to it fails at once).
    give_up_after: int = 3


class FetchError(Exception):
    """A request that could not produce a usable response."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int  # 200, 304 or 404
    body: bytes = b""
    etag: str | None = None
    gated: bool = False  # holds a slot of the `gate` passed to `get`: the caller releases it


# A body larger than this needs a slot of the caller's gate (see `RegistryClient.get`).
LARGE_BODY = 1 * MIB


@dataclass(slots=True)
class ClientStats:
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

Sleep = Callable[[float], Awaitable[None]]


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header (delta-seconds or HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RegistryClient:
    """Async context manager owning the session.  `get` is safe to call concurrently."""

    def __init__(
        self,
        config: NpmConfig | None,
        settings: NetworkSettings | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self.settings = settings or NetworkSettings()
        self.stats = ClientStats()
        self._sleep = sleep
        self._rng = rng
        self._session: aiohttp.ClientSession | None = None
        self._entered = False
        self._sem = asyncio.Semaphore(self.settings.concurrency)
        self._deadline = 0.0
        self._proxies: dict[tuple[str, str, int | None], tuple[str | None, Any]] = {}
        self._conn_failures: dict[tuple[str, str, int | None], int] = {}
        self._probes: dict[tuple[str, str, int | None], asyncio.Event] = {}
        # Hosts given up on: "scheme://host[:port]" -> the connection error that did it.
        self.unreachable: dict[str, str] = {}

    async def __aenter__(self) -> RegistryClient:
        self._entered = True
        self._deadline = time.monotonic() + self.settings.budget
        return self

    def _open_session(self) -> aiohttp.ClientSession:
        """The session, created on the first request: a run answered entirely from the
        cache never imports aiohttp (a sixth of a warm run's start-up)."""
        if not self._entered:
            raise RuntimeError("RegistryClient used outside 'async with'")
        if self._session is not None:
            return self._session
        import aiohttp

        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=s.concurrency, limit_per_host=s.concurrency, ttl_dns_cache=300
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=s.request_timeout, sock_connect=s.connect_timeout, sock_read=s.read_timeout
            ),
            headers={"User-Agent": USER_AGENT},
            # Not trust_env: aiohttp then sends ~/.netrc credentials to any host they name,
            # redirect targets included, and npm never does (tests/engine/test_fail_closed.py);
            # it also costs two thread hops per request.  Proxies (HTTP(S)_PROXY, NO_PROXY)
            # are resolved once per origin by `env_proxy` instead.
            trust_env=False,
            raise_for_status=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # registries need no cookies
        )
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _proxy(self, url: str) -> tuple[str | None, dict[str, str] | None]:
        """HTTP(S)_PROXY / NO_PROXY from the environment, as npm honours them."""
        origin = _origin(url)
        if origin not in self._proxies:
            self._proxies[origin] = env_proxy(url)
        return self._proxies[origin]

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    async def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str = "application/json",
        etag: str | None = None,
        gate: asyncio.Semaphore | None = None,
    ) -> HttpResponse:
        """GET with retries.  Returns 200/304/404 responses; raises FetchError otherwise.

        Fail fast and once: after `give_up_after` connection failures in a row to one host
        (no answer in between), one request goes on as a probe with its retries while every
        other request to that host waits; if the probe cannot connect either, the host is
        given up for the run and everyone waiting fails at once without a request.

        `gate`: a body over LARGE_BODY is read only while holding one of its slots, which the
        response keeps (`gated`) until the caller releases it; so large bodies in memory
        are bounded by the gate, not by the number of requests in flight."""
        s = self.settings
        origin = _origin(url)
        last: FetchError | None = None
        probe: asyncio.Event | None = None  # set when this request is the host's probe
        try:
            attempt = 0
            while attempt < s.attempts:
                self._check_reachable(origin)
                if self._remaining() <= 0:
                    raise FetchError("FETCH_BUDGET", f"overall time budget of {s.budget:g}s spent")
                delay: float | None = None
                try:
                    response = await self._attempt(
                        url,
                        max_bytes=max_bytes,
                        accept=accept,
                        etag=etag,
                        probe=probe,
                        gate=gate,
                    )
                except _Hold as hold:
                    await hold.verdict.wait()  # another request is probing the host
                    continue  # not an attempt of ours
                except _Retry as r:
                    last = r.error
                    delay = r.retry_after
                except _GivenUp:
                    raise
                except FetchError:
                    self._answered(origin)
                    raise
                else:
                    self._answered(origin)
                    return response
                attempt += 1
                if last.reason == "FETCH_CONNECTION":
                    if self._connection_failed(origin) and probe is None:
                        probe = self._probes.setdefault(origin, asyncio.Event())
                else:
                    self._answered(origin)  # it answered, slowly or badly
                if attempt >= s.attempts:
                    break
                self.stats.retries += 1
                backoff = min(s.backoff_max, s.backoff_base * (2 ** (attempt - 1)))
                backoff *= 0.5 + self._rng() / 2
                if delay is not None:
                    backoff = max(backoff, min(delay, s.retry_after_cap))
                backoff = min(backoff, max(0.0, self._remaining()))
                await self._sleep(backoff)
            assert last is not None
            if (
                probe is not None
                and last.reason == "FETCH_CONNECTION"
                and self._probes.get(origin) is probe  # nobody got an answer meanwhile
            ):
                self.unreachable.setdefault(_display_origin(origin), last.message)
            if s.attempts > 1:
                raise FetchError(last.reason, f"{last.message} (after {s.attempts} attempts)")
            raise last
        finally:
            if probe is not None and self._probes.get(origin) is probe:
                del self._probes[origin]  # verdict given (or the probe was cancelled)
                probe.set()

    def _check_reachable(self, origin: tuple[str, str, int | None]) -> None:
        if self.unreachable:
            why = self.unreachable.get(_display_origin(origin))
            if why is not None:
                raise _GivenUp("FETCH_CONNECTION", f"registry unreachable, not asked: {why}")

    def _answered(self, origin: tuple[str, str, int | None]) -> None:
        """The host answered: it is up, whoever was waiting on a probe goes on."""
        self._conn_failures.pop(origin, None)
        probe = self._probes.pop(origin, None)
        if probe is not None:
            probe.set()

    def _connection_failed(self, origin: tuple[str, str, int | None]) -> bool:
        """Count a failed connection; True once `give_up_after` failed in a row."""
        count = self._conn_failures.get(origin, 0) + 1
        self._conn_failures[origin] = count
        return count >= self.settings.give_up_after

    async def _attempt(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str,
        etag: str | None,
        probe: asyncio.Event | None = None,
        gate: asyncio.Semaphore | None = None,
    ) -> HttpResponse:
        import aiohttp

        session = self._open_session()
        s = self.settings
        first_origin = _origin(url)
        async with self._sem:
            # Asked again once through the queue: the host may have been given up, or be
            # under probe, meanwhile.
            self._check_reachable(first_origin)
            held = self._probes.get(first_origin)
            if held is not None and held is not probe:
                raise _Hold(held)
            self.stats.in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
            try:
                for _hop in range(s.max_redirects + 1):
                    headers = {"Accept": accept}
                    # Credentials go only to the origin they were configured for.
                    auth = self.config.auth_header(url) if self.config else None
                    if auth and _origin(url) == first_origin:
                        headers["Authorization"] = auth
                    if etag:
                        headers["If-None-Match"] = etag
                    self.stats.requests += 1
                    timeout = aiohttp.ClientTimeout(
                        total=max(0.001, min(s.request_timeout, self._remaining())),
                        sock_connect=s.connect_timeout,
                        sock_read=s.read_timeout,
                    )
                    proxy, proxy_headers = self._proxy(url)
                    try:
                        async with session.get(
                            url,
                            headers=headers,
                            allow_redirects=False,
                            timeout=timeout,
                            proxy=proxy,
                            proxy_headers=proxy_headers,
                        ) as resp:
                            if resp.status in _REDIRECTS:
                                url = _redirect_target(url, resp.headers.get("Location"))
                                continue
                            return await self._handle(resp, max_bytes, gate)
                    except (TimeoutError, aiohttp.ServerTimeoutError):
                        raise _Retry(FetchError("FETCH_TIMEOUT", "request timed out")) from None
                    except aiohttp.ClientPayloadError:
                        raise _Retry(
                            FetchError("FETCH_TRUNCATED", "response body ended early")
                        ) from None
                    except aiohttp.ClientError as exc:  # connection, protocol, bad headers
                        raise _Retry(
                            FetchError("FETCH_CONNECTION", f"connection failed: {_describe(exc)}")
                        ) from None
                raise FetchError("FETCH_REDIRECT", "too many redirects")
            finally:
                self.stats.in_flight -= 1

    async def _handle(
        self, resp: aiohttp.ClientResponse, max_bytes: int, gate: asyncio.Semaphore | None = None
    ) -> HttpResponse:
        status = resp.status
        if status in (404, 410):
            return HttpResponse(404)
        if status == 304:
            return HttpResponse(304, etag=resp.headers.get("ETag"))
        if status in _RETRY_STATUSES:
            raise _Retry(
                FetchError(f"FETCH_HTTP_{status}", f"registry answered HTTP {status}"),
                retry_after_seconds(resp.headers.get("Retry-After")),
            )
        if status != 200:
            raise FetchError(f"FETCH_HTTP_{status}", f"registry answered HTTP {status}")
        length = resp.content_length
        if length is not None and length > max_bytes:
            raise FetchError("FETCH_TOO_LARGE", f"response of {length} bytes exceeds {max_bytes}")
        held = False
        try:
            if gate is not None and length is not None and length > LARGE_BODY:
                await gate.acquire()
                held = True
            buf = bytearray()
            async for chunk in resp.content.iter_chunked(1 << 16):
                buf += chunk
                if len(buf) > max_bytes:
                    raise FetchError("FETCH_TOO_LARGE", f"response exceeds {max_bytes} bytes")
                if gate is not None and not held and len(buf) > LARGE_BODY:
                    await gate.acquire()
                    held = True
            body = bytes(buf)
        except BaseException:
            if held:
                assert gate is not None
                gate.release()
            raise
        del buf
        self.stats.bytes += len(body)
        return HttpResponse(200, body, resp.headers.get("ETag"), held)


class _Hold(Exception):
    """Another request is probing this host: wait for its verdict, then try again."""

    def __init__(self, verdict: asyncio.Event) -> None:
        super().__init__("host under probe")
        self.verdict = verdict


class _GivenUp(FetchError):
    """The host was given up on earlier in the run; nothing was sent."""


class _Retry(Exception):
    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def env_proxy(url: str) -> tuple[str | None, dict[str, str] | None]:
    """The proxy for `url` from HTTP(S)_PROXY / NO_PROXY (lower or upper case), or None."""
    from urllib.request import getproxies, proxy_bypass  # heavy; only when fetching

    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or proxy_bypass(host):
        return None, None
    proxy = getproxies().get(parts.scheme)
    if not proxy:
        return None, None
    p = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    headers = None
    if p.username is not None:
        raw = f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
        headers = {"Proxy-Authorization": "Basic " + base64.b64encode(raw).decode()}
    netloc = p.hostname or ""
    if p.port:
        netloc += f":{p.port}"
    return urlunsplit((p.scheme, netloc, p.path, "", "")), headers


def _origin(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    return (p.scheme, (p.hostname or "").lower(), p.port)


def _display_origin(origin: tuple[str, str, int | None]) -> str:
    """scheme://host[:port]: what messages may name (no path, query or credentials)."""
    scheme, host, port = origin
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def display_origin(url: str) -> str:
    return _display_origin(_origin(url))


def _redirect_target(current: str, location: str | None) -> str:
    if not location:
        raise FetchError("FETCH_REDIRECT", "redirect without a Location")
    try:
        target = urljoin(current, location)
        p = urlsplit(target)
        p.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:  # a bad IPv6 literal or port: the registry's text, not our bug
        raise FetchError("FETCH_REDIRECT", "redirect to an invalid URL") from None
    if p.scheme == "https" or (p.scheme == "http" and is_loopback_host(p.hostname)):
        return target
    raise FetchError("FETCH_REDIRECT", "redirect to a non-https URL refused")


def _describe(exc: BaseException) -> str:
    """What went wrong, in words: never aiohttp's class names, `ssl:default` or its repr.

    The connection's origin is named by the caller; the OS reason (refused, no route, name
    not resolved) is what a user can act on.
    """
    import aiohttp  # already imported: only a session's requests fail this way

    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "TLS certificate not trusted"
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError):
        return "TLS handshake failed"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "host name not resolved"
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return f"cannot connect to the proxy{_os_reason(exc)}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect{_os_reason(exc)}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(exc, aiohttp.ClientResponseError):
        return "invalid HTTP response"
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid URL"
    if isinstance(exc, OSError):
        return f"network error{_os_reason(exc)}"
    return "network error"


def _os_reason(exc: BaseException) -> str:
    """`: connection refused` from the underlying OSError's errno text, else nothing."""
    import os

    os_error = getattr(exc, "os_error", exc)
    number = getattr(os_error, "errno", None)
    # asyncio's strerror is "Connect call failed ('127.0.0.1', 9)": the errno's text is not.
    reason = os.strerror(number) if isinstance(number, int) else getattr(os_error, "strerror", None)
    if not isinstance(reason, str) or not reason:
        return ""
    return f": {reason[:1].lower()}{reason[1:80]}"
