"""`audit` and `audit fetch` through the CLI against the loopback registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from tests.engine.scenario import Scenario, build
from tests.support.registry import running_registry


def write_lockfile(sc: Scenario, path: Path) -> Path:
    packages: dict[str, dict[str, object]] = {"": {"name": "project", "version": "1.0.0"}}
    for p in sc.lockfile.packages:
        entry: dict[str, object] = {"version": p.version, "resolved": p.resolved}
        if p.integrity:
            entry["integrity"] = p.integrity
        packages[f"node_modules/{p.name}"] = entry
    doc = {"name": "project", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    path.write_text(json.dumps(doc, indent=2))
    return path


@pytest.fixture
def project(tmp_path: Path) -> tuple[Scenario, Path]:
    sc = build(tmp_path / "sc")
    proj = tmp_path / "proj"
    proj.mkdir()
    return sc, write_lockfile(sc, proj / "package-lock.json")


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_live_then_fetch_then_offline_same_json_report(
    project: tuple[Scenario, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc, lock = project
    trust = ["--trusted-root", str(sc.root), "--npm-keys", str(sc.keys)]
    with running_registry(sc.data) as reg:
        code, live, err = _run(
            capsys, [str(lock), "--registry", reg.url, "--format", "json", "--no-cache", *trust]
        )
        # Not a terminal: no progress bar, only the first line and the summary line.
        first, last = err.splitlines()
        assert first.startswith(f"audit: {lock}: 6 packages; registry {reg.url}")
        assert "(from --registry); policy built-in default" in first
        assert last.startswith("audit: ") and last.endswith(f"exit {code} (failing findings)")
        statuses = {
            f"{p['name']}@{p['version']}": p["status"] for p in json.loads(live)["packages"]
        }
        assert statuses == sc.expected
        fcode, _, ferr = _run(
            capsys,
            ["fetch", str(lock), "--into", str(tmp_path / "off"), "--registry", reg.url],
        )
        assert fcode == 0 and "attestation responses" in ferr
    code2, offline, _ = _run(
        capsys,
        [
            str(lock),
            "--offline",
            str(tmp_path / "off"),
            "--registry",
            reg.url,
            "--format",
            "json",
            *trust,
        ],
    )
    assert code2 == code

    def strip(text: str) -> object:
        doc = json.loads(text)
        doc.pop("generated_at", None)
        return doc

    assert strip(offline) == strip(live)


def test_no_registry_configured_is_exit_2(
    project: tuple[Scenario, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, lock = project
    monkeypatch.setenv("PATH", "/nonexistent")  # no npm to ask
    code, out, err = _run(capsys, [str(lock)])
    assert code == 2 and out == ""
    assert "no npm registry configured" in err and len(err.strip().splitlines()) == 1


def test_fetch_error_exit_3(
    project: tuple[Scenario, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lock = project
    # Nothing listens there: every request fails (fast: connection refused).
    code, _, err = _run(
        capsys,
        [
            "fetch",
            str(lock),
            "--into",
            str(tmp_path / "o"),
            "--registry",
            "http://127.0.0.1:9",
            "--no-cache",
        ],
    )
    assert code == 3 and "FETCH_CONNECTION" in err


def test_npmrc_token_and_scope_routing_without_leaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = build(tmp_path / "sc")
    proj = tmp_path / "proj"
    proj.mkdir()
    lock = write_lockfile(sc, proj / "package-lock.json")
    token = "s3cr3t-t0ken-value"
    monkeypatch.setenv("REG_TOKEN", token)
    cache = tmp_path / "cache"
    with running_registry(sc.data) as a, running_registry(sc.data) as b:
        a.require_auth(token)
        (proj / ".npmrc").write_text(
            f"registry={a.url}/\n@acme:registry={b.url}/\n"
            f"//127.0.0.1:{a.port}/:_authToken=${{REG_TOKEN}}\n"
        )
        code, out, err = _run(
            capsys,
            [
                str(lock),
                "--format",
                "json",
                "--cache-dir",
                str(cache),
                "-v",
                "--trusted-root",
                str(sc.root),
                "--npm-keys",
                str(sc.keys),
            ],
        )
        assert code in (0, 1), err
        assert set(a.authorization_headers) == {f"Bearer {token}"}
        assert b.authorization_headers == [None, None]  # attestations, packument: no token
        assert b.count("attestations", name="@acme/widget") == 1
        assert a.count(name="@acme/widget") == 0
    statuses = {f"{p['name']}@{p['version']}": p["status"] for p in json.loads(out)["packages"]}
    assert statuses == sc.expected
    assert token not in out and token not in err
    assert "registry" in err  # -v notes on stderr
    for f in cache.rglob("*"):
        if f.is_file():
            assert token.encode() not in f.read_bytes()


def test_a_run_answered_from_the_cache_never_opens_a_connection(
    project: tuple[Scenario, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Warm runs are CPU-bound: no HTTP session (nor the aiohttp import) when every
    response comes from the cache.  Checked in a fresh interpreter, with the registry gone.
    (A 404 is never cached, so the project here has only packages with attestations.)"""
    import subprocess
    import sys
    from dataclasses import replace

    sc, _ = project
    attested = tuple(p for p in sc.lockfile.packages if p.spec in sc.data.attestations)
    sc = replace(sc, lockfile=replace(sc.lockfile, packages=attested))
    sc.expected = {k: v for k, v in sc.expected.items() if k in sc.data.attestations}
    lock = write_lockfile(sc, tmp_path / "attested-lock.json")
    args = [
        str(lock), "--format", "json", "--cache-dir", str(tmp_path / "cache"),
        "--trusted-root", str(sc.root), "--npm-keys", str(sc.keys),
    ]  # fmt: skip
    with running_registry(sc.data) as reg:
        args += ["--registry", reg.url]
        code, warm_up, _ = _run(capsys, args)
    probe = (
        "import sys; from auditor.cli import main; code = main(sys.argv[1:]); "
        "print('aiohttp' in sys.modules, file=sys.stderr); sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == code, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"
    assert json.loads(done.stdout)["packages"] == json.loads(warm_up)["packages"]


def test_unwritable_cache_dir_warns_once(
    project: tuple[Scenario, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc, lock = project
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the cache's MAC key
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    trust = ["--trusted-root", str(sc.root), "--npm-keys", str(sc.keys)]
    with running_registry(sc.data) as reg:
        _, out, err = _run(
            capsys,
            [str(lock), "--registry", reg.url, "--format", "json", "--cache-dir",
             str(blocker / "cache"), *trust],
        )  # fmt: skip
    warnings = [line for line in err.splitlines() if "warning:" in line]
    assert len(warnings) == 1, err
    assert warnings[0].startswith(
        f"audit: warning: cannot write the response cache in {blocker / 'cache'} ("
    )
    # The audit itself is the same as without a cache.
    assert {p["status"] for p in json.loads(out)["packages"]} >= {"verified"}
