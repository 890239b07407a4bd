"""A loopback npm registry (aiohttp) with fault injection, for tests and benchmarks.

Async tests::

    async with LoopbackRegistry(data) as reg:
        ...  # reg.url == "http://127.0.0.1:<port>" (no trailing slash)

Sync tests (the CLI runs its own event loop, so the server needs its own thread)::

    with running_registry(data) as reg:
        main(["--registry", reg.url, ...])

Routes, as the real registry serves them:

* ``GET /<name>`` packument; ``<name>`` raw (``@s/x``) or encoded (``@s%2fx``, ``@s%2Fx``).
  With ``Accept: application/vnd.npm.install-v1+json`` the abbreviated document.  ETag and
  ``If-None-Match`` (304) are supported.
* ``GET /-/npm/v1/attestations/<name>@<version>`` (name raw or encoded); 404
  ``{"error":"Not found"}`` when there are none.
* ``GET /<name>/<version or dist-tag>``: one version document (endpoint "manifest").
* ``GET /-/npm/v1/keys``; ``GET /<name>/-/<file>`` tarballs.

``strip_attestations=True`` makes it a mirror that strips the evidence, as many proxies do:
keys and attestations answer 404 and packuments lose ``dist.attestations`` and
``dist.signatures``; tarballs are served unchanged.

Faults are injected per package and endpoint (or globally) with `LoopbackRegistry.inject`;
every request is recorded (`requests`, `count`, `max_in_flight`).  The string
``{{REGISTRY}}`` in packuments is replaced by the server's base URL, like the
npm-audit-signatures rig does, so one `RegistryData` can be served on any port.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

from aiohttp import web

__all__ = [
    "ABBREVIATED",
    "PLACEHOLDER",
    "Endpoint",
    "Fault",
    "LoopbackRegistry",
    "RegistryData",
    "RequestRecord",
    "encode_name",
    "running_registry",
    "tarball_filename",
]

ABBREVIATED = "application/vnd.npm.install-v1+json"
PLACEHOLDER = "{{REGISTRY}}"
NOT_FOUND = b'{"error":"Not found"}'
PROVENANCE_V1 = "https://slsa.dev/provenance/v1"

Endpoint = Literal["packument", "manifest", "attestations", "tarball", "keys", "other"]

# Fields of a version document that survive in the abbreviated ("corgi") packument.
_CORGI_FIELDS = (
    "name",
    "version",
    "deprecated",
    "dependencies",
    "optionalDependencies",
    "devDependencies",
    "peerDependencies",
    "peerDependenciesMeta",
    "bundleDependencies",
    "bin",
    "directories",
    "engines",
    "os",
    "cpu",
    "funding",
    "license",
    "dist",
    "_hasShrinkwrap",
    "hasInstallScript",
)


def encode_name(name: str) -> str:
    """`@scope/pkg` -> `@scope%2fpkg` (the registry's path form; also the export file name)."""
    return name.replace("/", "%2f")


def tarball_filename(name: str, version: str) -> str:
    """`@scope/pkg`, `1.0.0` -> `pkg-1.0.0.tgz` (what npm publish names it)."""
    return f"{name.rsplit('/', 1)[-1]}-{version}.tgz"


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- data


@dataclass
class RegistryData:
    """Everything the registry serves.  Mutable on purpose: it is a builder for tests.

    * ``packuments``: name -> full packument (may contain ``{{REGISTRY}}``)
    * ``attestations``: ``name@version`` -> the attestations endpoint body
    * ``tarballs``: (name, file name) -> bytes
    * ``keys``: entries of ``GET /-/npm/v1/keys`` (``{keyid, keytype, scheme, key, expires}``)
    * ``signer``: makes ``dist.signatures`` entries (``{"keyid","sig"}``) for
      ``"<name>@<version>:<integrity>"``; `add_version` uses it when set.
    """

    packuments: dict[str, dict[str, Any]] = field(default_factory=dict)
    attestations: dict[str, bytes] = field(default_factory=dict)
    tarballs: dict[tuple[str, str], bytes] = field(default_factory=dict)
    keys: list[dict[str, Any]] = field(default_factory=list)
    signer: Callable[[str], dict[str, str]] | None = None

    def add_version(
        self,
        name: str,
        version: str,
        *,
        tarball: bytes | None = None,
        integrity: str | None = None,
        published: datetime | None = None,
        attestations: bytes | None = None,
        provenance: bool | None = None,
        provenance_predicate: str = PROVENANCE_V1,
        trusted_publisher: bool = False,
        install_script: bool = False,
        dependencies: dict[str, str] | None = None,
        optional_dependencies: dict[str, str] | None = None,
        deprecated: str | None = None,
        latest: bool = True,
        signature: bool = True,
        advertise: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add (or replace) one version with a realistic `dist`; returns its version document.

        `integrity` defaults to the sha512 SRI of `tarball`.  `provenance` (default: whether
        `attestations` is given and names a provenance predicate) sets
        `dist.attestations.provenance`, the flag a stripping attack removes.  `advertise`
        adds `dist.attestations` without storing a body (history versions nobody fetches;
        the endpoint then answers 404).
        """
        if integrity is None:
            if tarball is None:
                raise ValueError("add_version needs a tarball or an integrity")
            integrity = sri_sha512(tarball)
        file = tarball_filename(name, version)
        dist: dict[str, Any] = {
            "integrity": integrity,
            "shasum": hashlib.sha1(tarball).hexdigest() if tarball is not None else "0" * 40,
            "tarball": f"{PLACEHOLDER}/{name}/-/{file}",
            "fileCount": 3,
            "unpackedSize": len(tarball) * 3 if tarball is not None else 1024,
        }
        if signature and self.signer is not None:
            dist["signatures"] = [self.signer(f"{name}@{version}:{integrity}")]
        if attestations is not None or advertise:
            if attestations is not None:
                self.attestations[f"{name}@{version}"] = attestations
            dist["attestations"] = {
                "url": f"{PLACEHOLDER}/-/npm/v1/attestations/{encode_name(name)}@{version}"
            }
            if provenance is None:
                provenance = attestations is not None and b"slsa.dev/provenance" in attestations
            if provenance:
                dist["attestations"]["provenance"] = {"predicateType": provenance_predicate}
        if tarball is not None:
            self.tarballs[(name, file)] = tarball
        doc: dict[str, Any] = {
            "name": name,
            "version": version,
            "description": f"{name} test package",
            "license": "MIT",
            "dependencies": dict(dependencies or {}),
            "dist": dist,
            "_id": f"{name}@{version}",
            "_nodeVersion": "20.11.0",
            "_npmVersion": "10.2.4",
        }
        if optional_dependencies:
            doc["optionalDependencies"] = dict(optional_dependencies)
        if install_script:
            doc["scripts"] = {"install": "exit 0"}  # harmless if a rig ever runs it
            doc["hasInstallScript"] = True
        if deprecated:
            doc["deprecated"] = deprecated
        if trusted_publisher:
            doc["_npmUser"] = {
                "name": "GitHub Actions",
                "email": "npm-oidc-no-reply@github.com",
                "trustedPublisher": {"id": "github", "oidcConfigId": f"oidc:{encode_name(name)}"},
            }
        else:
            doc["_npmUser"] = {"name": "maintainer", "email": "maintainer@example.test"}
        if extra:
            doc.update(extra)
        pack = self.packuments.setdefault(
            name,
            {
                "_id": name,
                "name": name,
                "description": f"{name} test package",
                "dist-tags": {},
                "versions": {},
                "time": {},
                "maintainers": [{"name": "maintainer", "email": "maintainer@example.test"}],
                "license": "MIT",
                "readme": "",
            },
        )
        pack["versions"][version] = doc
        when = _iso(published or datetime.now(UTC))
        times = pack["time"]
        times[version] = when
        times.setdefault("created", when)
        times["created"] = min(times["created"], when)
        times["modified"] = max(times.get("modified", when), when)
        if latest:
            pack["dist-tags"]["latest"] = version
        return doc


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def abbreviate(packument: dict[str, Any]) -> dict[str, Any]:
    """The abbreviated (install) document npm requests by default."""
    versions = {
        v: {k: doc[k] for k in _CORGI_FIELDS if k in doc}
        for v, doc in packument.get("versions", {}).items()
    }
    out: dict[str, Any] = {
        "name": packument.get("name"),
        "dist-tags": packument.get("dist-tags", {}),
        "versions": versions,
    }
    modified = packument.get("time", {}).get("modified")
    if modified:
        out["modified"] = modified
    return out


def strip_evidence(packument: dict[str, Any]) -> dict[str, Any]:
    """The packument as a stripping mirror serves it: no dist.attestations, no signatures."""
    doc: dict[str, Any] = json.loads(json.dumps(packument))
    for version in doc.get("versions", {}).values():
        dist = version.get("dist")
        if isinstance(dist, dict):
            dist.pop("attestations", None)
            dist.pop("signatures", None)
    return doc


# --------------------------------------------------------------------------- faults


FaultKind = Literal[
    "latency",
    "status",
    "timeout",
    "reset",
    "truncate",
    "malformed",
    "html",
    "empty",
    "oversize",
    "redirect",
]


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour.  Build with the class methods.

    `times`: how many matching requests it affects before the registry behaves again
    (None: forever).  Latency faults delay and then let the request go on (other faults
    still apply); every other kind replaces the response.
    """

    kind: FaultKind
    times: int | None = None
    status: int = 200
    delay_ms: float = 0.0
    retry_after: str | None = None
    size: int = 0
    location: str = ""

    @classmethod
    def latency(cls, ms: float, times: int | None = None) -> Fault:
        return cls("latency", times, delay_ms=ms)

    @classmethod
    def not_found(cls, times: int | None = None) -> Fault:
        return cls("status", times, status=404)

    @classmethod
    def rate_limited(cls, times: int | None = 1, retry_after: str | None = "0") -> Fault:
        """429 `times` times (then success); `retry_after` seconds or an HTTP date, or None."""
        return cls("status", times, status=429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500, times: int | None = 1) -> Fault:
        """500/502/503 `times` times then success; `times=None`: permanently."""
        return cls("status", times, status=status)

    @classmethod
    def http_status(cls, status: int, times: int | None = None) -> Fault:
        return cls("status", times, status=status)

    @classmethod
    def timeout(cls, seconds: float = 30.0, times: int | None = None) -> Fault:
        """Sleep longer than any sane client timeout (released early when the server stops)."""
        return cls("timeout", times, delay_ms=seconds * 1000)

    @classmethod
    def reset(cls, times: int | None = None) -> Fault:
        """Send the headers and part of the body, then reset the connection (RST)."""
        return cls("reset", times)

    @classmethod
    def truncated(cls, times: int | None = None) -> Fault:
        """Content-Length larger than the bytes sent, then a clean close."""
        return cls("truncate", times)

    @classmethod
    def malformed_json(cls, times: int | None = None) -> Fault:
        return cls("malformed", times)

    @classmethod
    def html(cls, times: int | None = None) -> Fault:
        """200 with a text/html body (a captive portal or a misconfigured proxy)."""
        return cls("html", times)

    @classmethod
    def empty(cls, times: int | None = None) -> Fault:
        """200 application/json with an empty body."""
        return cls("empty", times)

    @classmethod
    def redirect(cls, location: str, status: int = 302, times: int | None = None) -> Fault:
        """A redirect to `location`, sent as is (hostile: a bad IPv6 literal or port)."""
        return cls("redirect", times, status=status, location=location)

    @classmethod
    def oversized(cls, size: int = 20 * 1024 * 1024, times: int | None = None) -> Fault:
        """200 application/json with a `size`-byte body, streamed (valid JSON)."""
        return cls("oversize", times, size=size)


@dataclass
class _Rule:
    fault: Fault
    name: str | None
    endpoint: Endpoint | None
    version: str | None
    remaining: int | None
    hits: int = 0

    def matches(self, endpoint: Endpoint, name: str | None, version: str | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.endpoint is not None and self.endpoint != endpoint:
            return False
        if self.name is not None and self.name != name:
            return False
        return self.version is None or self.version == version


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it."""

    method: str
    raw_path: str  # as sent (percent-encoding kept)
    path: str  # decoded
    endpoint: Endpoint
    name: str | None
    version: str | None
    authorization: str | None
    accept: str | None
    if_none_match: str | None
    status: int  # 0 when the connection was reset or cut, or the request abandoned
    fault: str | None = None  # the injected fault's kind, if one applied


@dataclass(frozen=True, slots=True)
class _Route:
    endpoint: Endpoint
    name: str | None = None
    version: str | None = None
    file: str | None = None


def _route(raw_path: str) -> _Route:
    path = raw_path.split("?", 1)[0]
    if path == "/-/npm/v1/keys":
        return _Route("keys")
    prefix = "/-/npm/v1/attestations/"
    if path.startswith(prefix):
        spec = unquote(path[len(prefix) :])
        name, sep, version = spec.rpartition("@")
        if not sep or not name or not version:
            return _Route("attestations")
        return _Route("attestations", name, version)
    if path.startswith("/-/"):
        return _Route("other")
    if "/-/" in path:
        name_part, _, file = path.partition("/-/")
        return _Route("tarball", unquote(name_part.lstrip("/")), None, unquote(file))
    name = unquote(path.lstrip("/"))
    parts = name.split("/")
    scoped = name.startswith("@")
    if len(parts) == (3 if scoped else 2) and parts[-1]:
        # GET /<name>/<version or dist-tag>: one version document.
        return _Route("manifest", "/".join(parts[:-1]), parts[-1])
    if not name or len(parts) > (2 if scoped else 1):
        return _Route("packument")
    return _Route("packument", name)


# --------------------------------------------------------------------------- server


def _json(status: int, body: bytes, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


class LoopbackRegistry:
    """The registry server.  Also usable from another thread (see `running_registry`):
    `inject`, `require_auth`, the counters and `reset_stats` are thread-safe enough for tests.
    """

    def __init__(
        self,
        data: RegistryData | None = None,
        *,
        latency_ms: float = 0.0,
        etags: bool = True,
        attestation_etags: bool = False,
        strip_attestations: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the loopback registry binds loopback only")
        self.data = data if data is not None else RegistryData()
        self.latency_ms = latency_ms
        self.etags = etags
        self.attestation_etags = attestation_etags
        # A mirror as many proxies behave: no keys, no attestations endpoint, and packuments
        # without dist.attestations and dist.signatures (tarballs still served).
        self.strip_attestations = strip_attestations
        self.host = host
        self.port = 0
        self.requests: list[RequestRecord] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._auth: tuple[str, frozenset[Endpoint] | None, frozenset[str] | None] | None = None
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None
        self._body_cache: dict[tuple[str, bool], tuple[bytes, str]] = {}

    # ----------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        """Base URL without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def write_npmrc(
        self, directory: Path, *, token: str | None = None, scope: str | None = None
    ) -> Path:
        """Write `directory/.npmrc` pointing npm (and the tool) at this registry: the default
        registry, or only `scope` (`@acme`), plus `//127.0.0.1:<port>/:_authToken`."""
        lines = [f"{scope}:registry={self.url}/" if scope else f"registry={self.url}/"]
        if token is not None:
            lines.append(f"//{self.host}:{self.port}/:_authToken={token}")
        path = directory / ".npmrc"
        path.write_text("\n".join(lines) + "\n")
        return path

    async def start(self) -> None:
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, backlog=1024)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LoopbackRegistry:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- control

    def inject(
        self,
        fault: Fault,
        *,
        name: str | None = None,
        endpoint: Endpoint | None = None,
        version: str | None = None,
    ) -> None:
        """Apply `fault` to matching requests (None matches everything).  Rules are tried in
        the order injected; the first non-latency rule that matches wins."""
        with self._lock:
            self._rules.append(_Rule(fault, name, endpoint, version, fault.times))

    def clear_faults(self) -> None:
        with self._lock:
            self._rules.clear()

    def require_auth(
        self,
        token: str | None,
        *,
        endpoints: set[Endpoint] | None = None,
        names: set[str] | None = None,
    ) -> None:
        """Require `Authorization: Bearer <token>` (401 otherwise) on the given endpoints and
        packages (None: all).  `token=None` removes the requirement."""
        with self._lock:
            if token is None:
                self._auth = None
            else:
                self._auth = (
                    token,
                    frozenset(endpoints) if endpoints is not None else None,
                    frozenset(names) if names is not None else None,
                )

    def reset_stats(self) -> None:
        with self._lock:
            self.requests = []
            self.max_in_flight = self.in_flight

    def invalidate(self, name: str | None = None) -> None:
        """Forget cached packument bodies (call after editing `data.packuments`)."""
        with self._lock:
            if name is None:
                self._body_cache.clear()
            else:
                self._body_cache.pop((name, False), None)
                self._body_cache.pop((name, True), None)

    # ----------------------------------------------------------------- stats

    def count(
        self,
        endpoint: Endpoint | None = None,
        name: str | None = None,
        version: str | None = None,
        status: int | None = None,
    ) -> int:
        with self._lock:
            records = list(self.requests)
        return sum(
            1
            for r in records
            if (endpoint is None or r.endpoint == endpoint)
            and (name is None or r.name == name)
            and (version is None or r.version == version)
            and (status is None or r.status == status)
        )

    def counts_by_path(self) -> Counter[str]:
        with self._lock:
            return Counter(r.path for r in self.requests)

    @property
    def authorization_headers(self) -> list[str | None]:
        with self._lock:
            return [r.authorization for r in self.requests]

    # ----------------------------------------------------------------- handling

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        route = _route(request.raw_path)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        status = 0
        fault: list[str] = []
        try:
            response = await self._respond(request, route, fault)
            if not fault or fault[0] not in ("reset", "truncate"):
                status = response.status
            return response
        finally:
            with self._lock:
                self.in_flight -= 1
                self.requests.append(
                    RequestRecord(
                        method=request.method,
                        raw_path=request.raw_path,
                        path=unquote(request.raw_path.split("?", 1)[0]),
                        endpoint=route.endpoint,
                        name=route.name,
                        version=route.version,
                        authorization=request.headers.get("Authorization"),
                        accept=request.headers.get("Accept"),
                        if_none_match=request.headers.get("If-None-Match"),
                        status=status,
                        fault=fault[0] if fault else None,
                    )
                )

    def _pick_faults(self, route: _Route) -> tuple[float, Fault | None]:
        delay = self.latency_ms
        chosen: Fault | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(route.endpoint, route.name, route.version):
                    continue
                if rule.fault.kind == "latency":
                    delay += rule.fault.delay_ms
                    self._consume(rule)
                    continue
                chosen = rule.fault
                self._consume(rule)
                break
        return delay, chosen

    @staticmethod
    def _consume(rule: _Rule) -> None:
        rule.hits += 1
        if rule.remaining is not None:
            rule.remaining -= 1

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up when the server shuts down (no hanging teardown)."""
        if seconds <= 0:
            return
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _auth_ok(self, request: web.Request, route: _Route) -> bool:
        with self._lock:
            auth = self._auth
        if auth is None:
            return True
        token, endpoints, names = auth
        if endpoints is not None and route.endpoint not in endpoints:
            return True
        if names is not None and route.name not in names:
            return True
        return request.headers.get("Authorization") == f"Bearer {token}"

    async def _respond(
        self, request: web.Request, route: _Route, applied: list[str]
    ) -> web.StreamResponse:
        delay, fault = self._pick_faults(route)
        await self._sleep(delay / 1000)
        if not self._auth_ok(request, route):
            return _json(
                401,
                b'{"error":"Unauthorized"}',
                {"WWW-Authenticate": 'Bearer realm="loopback"'},
            )
        if request.method not in ("GET", "HEAD"):
            return _json(405, b'{"error":"Method not allowed"}')
        if fault is not None:
            applied.append(fault.kind)
            return await self._fault(request, fault)
        return self._serve(request, route)

    async def _fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "status":
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            body = (
                NOT_FOUND
                if fault.status == 404
                else json.dumps({"error": f"injected {fault.status}"}).encode()
            )
            return _json(fault.status, body, headers)
        if fault.kind == "timeout":
            await self._sleep(fault.delay_ms / 1000)
            return _json(503, b'{"error":"timeout fault"}')
        if fault.kind == "malformed":
            return _json(200, b'{"attestations": [{"predicateType": "https://slsa.dev/prov')
        if fault.kind == "html":
            return web.Response(
                status=200,
                body=b"<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>",
                content_type="text/html",
            )
        if fault.kind == "empty":
            return _json(200, b"")
        if fault.kind == "oversize":
            return await self._stream_oversize(request, fault.size)
        if fault.kind == "redirect":
            return web.Response(status=fault.status, headers={"Location": fault.location})
        # reset / truncate: announce a body, send part of it, then drop the connection.
        response = web.StreamResponse(status=200)
        response.content_type = "application/json"
        response.content_length = 4096
        await response.prepare(request)
        await response.write(b'{"attestations": [')
        transport = request.transport
        if transport is not None:
            if fault.kind == "reset":
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    # SO_LINGER 0 makes close() send RST instead of FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            else:
                transport.close()
        return response

    async def _stream_oversize(self, request: web.Request, size: int) -> web.StreamResponse:
        head, tail = b'{"pad":"', b'"}'
        response = web.StreamResponse(status=200)
        response.content_type = "application/json"
        response.content_length = size
        await response.prepare(request)
        await response.write(head)
        left = size - len(head) - len(tail)
        chunk = b"a" * 65536
        try:
            while left > 0:
                n = min(left, len(chunk))
                await response.write(chunk[:n])
                left -= n
            await response.write(tail)
        except (ConnectionError, RuntimeError):
            pass  # the client gave up early, which is what a bounded client does
        return response

    def _serve(self, request: web.Request, route: _Route) -> web.StreamResponse:
        data = self.data
        if self.strip_attestations and route.endpoint in ("keys", "attestations"):
            return _json(404, NOT_FOUND)
        if route.endpoint == "keys":
            return _json(200, json.dumps({"keys": data.keys}).encode())
        if route.endpoint == "attestations":
            key = f"{route.name}@{route.version}"
            body = data.attestations.get(key) if route.name else None
            if body is None:
                return _json(404, NOT_FOUND)
            if self.attestation_etags:
                return self._with_etag(request, body, "application/json")
            return _json(200, body)
        if route.endpoint == "tarball" and route.name and route.file:
            tgz = data.tarballs.get((route.name, route.file))
            if tgz is None:
                return _json(404, NOT_FOUND)
            return web.Response(status=200, body=tgz, content_type="application/octet-stream")
        if route.endpoint == "manifest" and route.name and route.version:
            pack = data.packuments.get(route.name)
            if pack is None:
                return _json(404, NOT_FOUND)
            version = pack.get("dist-tags", {}).get(route.version, route.version)
            doc = pack.get("versions", {}).get(version)
            if doc is None:
                return _json(404, NOT_FOUND)
            body = json.dumps(doc, separators=(",", ":")).encode()
            return _json(200, body.replace(PLACEHOLDER.encode(), self.url.encode()))
        if route.endpoint == "packument" and route.name:
            abbreviated = ABBREVIATED in request.headers.get("Accept", "")
            cached = self._packument_body(route.name, abbreviated)
            if cached is None:
                return _json(404, NOT_FOUND)
            body, ctype = cached
            if self.etags:
                return self._with_etag(request, body, ctype)
            return web.Response(status=200, body=body, headers={"Content-Type": ctype})
        return _json(404, NOT_FOUND)

    def _packument_body(self, name: str, abbreviated: bool) -> tuple[bytes, str] | None:
        with self._lock:
            hit = self._body_cache.get((name, abbreviated))
        if hit is not None:
            return hit
        pack = self.data.packuments.get(name)
        if pack is None:
            return None
        doc = abbreviate(pack) if abbreviated else pack
        if self.strip_attestations:
            doc = strip_evidence(doc)
        body = json.dumps(doc, separators=(",", ":")).encode()
        body = body.replace(PLACEHOLDER.encode(), self.url.encode())
        ctype = ABBREVIATED if abbreviated else "application/json"
        with self._lock:
            self._body_cache[(name, abbreviated)] = (body, ctype)
        return body, ctype

    @staticmethod
    def _with_etag(request: web.Request, body: bytes, ctype: str) -> web.Response:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        inm = request.headers.get("If-None-Match", "")
        if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(status=200, body=body, headers={"Content-Type": ctype, "ETag": etag})


# --------------------------------------------------------------------------- sync variant


@contextlib.contextmanager
def running_registry(
    data: RegistryData | None = None, **options: Any
) -> Iterator[LoopbackRegistry]:
    """Run a `LoopbackRegistry` in a background thread with its own event loop."""
    loop = asyncio.new_event_loop()
    registry = LoopbackRegistry(data, **options)
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(registry.start())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="loopback-registry", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        thread.join()
        loop.close()
        raise failure[0]
    try:
        yield registry
    finally:
        asyncio.run_coroutine_threadsafe(registry.close(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


@contextlib.asynccontextmanager
async def serving(
    data: RegistryData | None = None, **options: Any
) -> AsyncIterator[LoopbackRegistry]:
    """`async with serving(data) as reg:` — same as `async with LoopbackRegistry(data)`."""
    async with LoopbackRegistry(data, **options) as registry:
        yield registry


def quote_name(name: str, upper: bool = False) -> str:
    """Percent-encode a package name as clients do (`@s%2fx`; `upper` for `%2F`)."""
    encoded = quote(name, safe="@")
    return encoded if upper else encoded.replace("%2F", "%2f")
