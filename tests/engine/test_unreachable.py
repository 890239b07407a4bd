"""Fail fast and once: a registry that refuses connections is given up after a few requests,
reported in one stderr line and as a SARIF tool-execution notification, never per package."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.models import Status
from auditor.pipeline import audit_lockfile
from auditor.policy import default_policy
from tests.engine.scenario import build
from tests.engine.test_cli_live import write_lockfile
from tests.engine.test_engine import _options
from tests.report.validators import validate_report_json

REPO = Path(__file__).resolve().parents[2]


_HELD: list[socket.socket] = []


@pytest.fixture(autouse=True, scope="module")
def _release_held_ports() -> Iterator[None]:
    yield
    while _HELD:
        _HELD.pop().close()


def refused_port() -> int:
    """A loopback port nothing listens on (connections are refused at once).  The socket
    stays bound, unlistening, for the test process's life: a port merely released could be
    taken by a concurrent test's loopback server, which would answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return int(s.getsockname()[1])


def test_engine_stops_asking_a_host_that_refuses_connections(tmp_path: Path) -> None:
    sc = build(tmp_path / "sc", extra_unattested=60)
    url = f"http://127.0.0.1:{refused_port()}"
    opts = _options(None, sc, tmp_path, registry=url, use_cache=False)
    report = audit_lockfile(sc.lockfile, Path(sc.lockfile.path), default_policy(), opts)
    registry = [r for r in report.results if r.package.source.value == "registry"]
    assert registry and all(r.status is Status.ERROR for r in registry)
    assert all(r.reason == "FETCH_CONNECTION" for r in registry)
    not_asked = [r for r in registry if "not asked" in (r.message or "")]
    # At most the requests in flight when the host was given up tried to connect.
    assert len(not_asked) >= len(registry) - 8 - 3
    (failure,) = report.failures
    assert failure.registry == url
    assert failure.source == "--registry"
    assert failure.packages == {r.package.spec for r in registry}


@pytest.mark.parametrize("policy", ["baseline.toml", "recommended.toml"])
def test_cli_one_line_exit_3_and_a_sarif_notification_not_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: str
) -> None:
    sc = build(tmp_path / "sc", extra_unattested=40)
    proj = tmp_path / "proj"
    proj.mkdir()
    lock = write_lockfile(sc, proj / "package-lock.json")
    port = refused_port()
    # Configured in the project's .npmrc: the message names that file, never a secret.
    (proj / ".npmrc").write_text(
        f"registry=http://127.0.0.1:{port}/secret-path/\n"
        f"//127.0.0.1:{port}/secret-path/:_authToken=TOPSECRET\n"
    )
    sarif = tmp_path / "out.sarif"
    code = main(
        [
            str(lock),
            "--policy",
            str(REPO / "policies" / policy),
            "--no-cache",
            "--format",
            "json",
            "--sarif",
            str(sarif),
            "--trusted-root",
            str(sc.root),
            "--npm-keys",
            str(sc.keys),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 3
    # The run's first line and its summary line, and the failure exactly once between them.
    lines = [line for line in err.strip().splitlines() if "unreachable" in line]
    assert len(lines) == 1 and len(err.strip().splitlines()) == 3, err
    assert f"registry http://127.0.0.1:{port} " in lines[0]
    assert str(proj / ".npmrc") in lines[0]
    assert "TOPSECRET" not in err and "secret-path" not in err
    # Words, not aiohttp internals (class names, `ssl:default`, reprs).
    assert "connection failed: cannot connect: connection refused" in lines[0]
    assert "ClientConnectorError" not in err and "ssl:default" not in err
    doc = json.loads(out)
    validate_report_json(doc)
    (failure,) = doc["run_failures"]
    assert failure["registry"] == f"http://127.0.0.1:{port}"
    assert failure["configured_by"] == str(proj / ".npmrc")
    assert failure["packages"] == len([p for p in doc["packages"] if p["source"] == "registry"])
    statuses = {p["status"] for p in doc["packages"] if p["source"] == "registry"}
    assert statuses == {"error"}
    run = json.loads(sarif.read_text())["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error"]
    assert f"127.0.0.1:{port}" in notes[0]["message"]["text"]
    assert not [r for r in run["results"] if r["ruleId"] == "incomplete"]


def test_a_dead_host_costs_a_bounded_number_of_connection_attempts() -> None:
    """One probe retries; everyone else waits for its verdict and then fails unasked."""
    import asyncio

    from auditor.registry.client import FetchError, RegistryClient
    from auditor.registry.config import NpmConfig
    from tests.registry.conftest import FAST

    url = f"http://127.0.0.1:{refused_port()}/"

    async def run() -> tuple[list[BaseException | object], RegistryClient]:
        async with RegistryClient(NpmConfig(registry=url), FAST) as client:
            got = await asyncio.gather(
                *(client.get(f"{url}p{i}", max_bytes=1024) for i in range(500)),
                return_exceptions=True,
            )
            return list(got), client

    got, client = asyncio.run(run())
    assert all(isinstance(g, FetchError) and g.reason == "FETCH_CONNECTION" for g in got)
    # Without the probe: 500 requests x 3 attempts.  With it: what got through the queue
    # before the failures piled up (a few waves of `concurrency`), plus the probe's retries.
    assert client.stats.requests <= 3 * FAST.concurrency + FAST.attempts
    assert list(client.unreachable) == [url.rstrip("/")]


def test_a_host_that_drops_some_connections_is_not_given_up() -> None:
    """Transient failures on a host that answers are retried as before, never given up."""
    import asyncio

    from auditor.registry.client import RegistryClient
    from auditor.registry.config import NpmConfig
    from tests.registry.conftest import FAST
    from tests.support.registry import Fault, LoopbackRegistry, RegistryData

    async def run() -> tuple[list[object], dict[str, str]]:
        data = RegistryData()
        data.attestations["a@1.0.0"] = b'{"attestations": []}'
        async with LoopbackRegistry(data) as reg:
            reg.inject(Fault.reset(times=4), endpoint="attestations")
            async with RegistryClient(NpmConfig(registry=reg.url + "/"), FAST) as client:
                got = await asyncio.gather(
                    *(
                        client.get(f"{reg.url}/-/npm/v1/attestations/a@1.0.0", max_bytes=1 << 16)
                        for _ in range(6)
                    ),
                    return_exceptions=True,
                )
                return list(got), dict(client.unreachable)

    got, unreachable = asyncio.run(run())
    assert unreachable == {}
    assert all(getattr(g, "status", None) == 200 for g in got), got
