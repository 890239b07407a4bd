"""Fail fast and once: a registry that refuses connections is given up after a few requests,
reported in one stderr line and as a SARIF tool-execution notification, never per package."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from auditor.cli import main
from auditor.engine import audit_lockfile
from auditor.models import Status
from auditor.policy import default_policy
from tests.engine.scenario import build
from tests.engine.test_cli_live import write_lockfile
from tests.engine.test_engine import _options

REPO = Path(__file__).resolve().parents[2]


def refused_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
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
    doc = json.loads(out)
    statuses = {p["status"] for p in doc["packages"] if p["source"] == "registry"}
    assert statuses == {"error"}
    run = json.loads(sarif.read_text())["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error"]
    assert f"127.0.0.1:{port}" in notes[0]["message"]["text"]
    assert not [r for r in run["results"] if r["ruleId"] == "incomplete"]
