"""A malformed alias (an invalid real name, a malformed `npm:` spec) is a per-package `error`
(ALIAS_INVALID), never fetched under any name, live, offline and by `audit fetch`; an
invalid install name stays a lockfile error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.cli import main
from auditor.lockfile import parse_lockfile_bytes
from tests.support.registry import RegistryData, running_registry, sri_sha512

POLICY = str(Path(__file__).resolve().parents[2] / "policies" / "recommended.toml")
BAD = "Not A Valid/Name!!"


def _data() -> RegistryData:
    data = RegistryData()
    data.add_version("good", "1.0.0", tarball=b"good@1.0.0")
    return data


def _good(url: str) -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "resolved": f"{url}/good/-/good-1.0.0.tgz",
        "integrity": sri_sha512(b"good@1.0.0"),
    }


def _v3(directory: Path, url: str, bad: dict[str, Any]) -> Path:
    packages = {
        "": {"name": "app", "version": "1.0.0"},
        "node_modules/good": _good(url),
        "node_modules/lodash": bad,
    }
    doc = {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    path = directory / "package-lock.json"
    path.write_text(json.dumps(doc))
    return path


def _v1(directory: Path, url: str, version: str) -> Path:
    deps = {"good": _good(url), "lodash": {"version": version, "integrity": sri_sha512(b"x")}}
    doc = {"name": "app", "version": "1.0.0", "lockfileVersion": 1, "dependencies": deps}
    path = directory / "package-lock.json"
    path.write_text(json.dumps(doc))
    return path


def _bad_entry(url: str, name: str = BAD) -> dict[str, Any]:
    return {
        "name": name,
        "version": "1.0.0",
        "resolved": f"{url}/lodash/-/lodash-1.0.0.tgz",
        "integrity": sri_sha512(b"lodash@1.0.0"),
    }


def _audit(
    capsys: pytest.CaptureFixture[str], lock: Path, *source: str
) -> tuple[int, dict[str, Any]]:
    code = main([str(lock), "--no-cache", *source, "--policy", POLICY, "--format", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


def _statuses(report: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return sorted((p["name"], p["status"], p.get("reason")) for p in report["packages"])


CASES = {
    "v3-invalid-name": lambda d, u: _v3(d, u, _bad_entry(u)),
    "v3-empty-name": lambda d, u: _v3(d, u, _bad_entry(u, "")),
    "v1-npm-at": lambda d, u: _v1(d, u, "npm:@"),
    "v1-npm-no-version": lambda d, u: _v1(d, u, "npm:evil"),
    "v1-invalid-real-name": lambda d, u: _v1(d, u, f"npm:{BAD}@1.0.0"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_alias_is_a_package_error_live_offline_and_never_requested(
    case: str, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_registry(_data()) as reg:
        lock = CASES[case](tmp_path, reg.url)
        code, report = _audit(capsys, lock, "--registry", reg.url)
        into = tmp_path / "offline"
        fetched = main(["fetch", str(lock), "--into", str(into), "--registry", reg.url, "-q"])
        capsys.readouterr()
        paths = [r.path for r in reg.requests]
    assert code == 3  # incomplete under recommended: never 0 or a crash
    (bad,) = [p for p in report["packages"] if p["reason"] == "ALIAS_INVALID"]
    assert bad["status"] == "error"
    where = 'dependencies["lodash"]' if case.startswith("v1") else 'packages["node_modules/lodash"]'
    assert bad["message"].startswith(where), bad["message"]
    good = [p for p in report["packages"] if p is not bad]
    assert [p["name"] for p in good] == ["good"] and good[0]["status"] != "error"
    # Only the genuine package was asked for (audit and `audit fetch`).
    assert paths and all("good" in p or p == "/-/npm/v1/keys" for p in paths), paths
    assert not any(BAD in p or "evil" in p or "lodash" in p for p in paths), paths
    assert fetched == 0, fetched  # nothing to record for the bad alias; the good one is
    assert all("lodash" not in f.name and "evil" not in f.name for f in into.rglob("*"))
    # Offline: the same verdicts from the directory `audit fetch` wrote.
    off_code, off = _audit(capsys, lock, "--offline", str(into))
    assert (off_code, _statuses(off)) == (code, _statuses(report))


def test_the_v3_message_names_the_entry(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_registry(_data()) as reg:
        _, report = _audit(
            capsys, _v3(tmp_path, reg.url, _bad_entry(reg.url)), "--registry", reg.url
        )
    (bad,) = [p for p in report["packages"] if p["reason"] == "ALIAS_INVALID"]
    assert 'packages["node_modules/lodash"]' in bad["message"]
    assert repr(BAD) in bad["message"]


def test_an_invalid_install_name_is_still_a_lockfile_error(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = {
        "lockfileVersion": 3,
        "packages": {"node_modules/Bad Name!": {"version": "1.0.0", "integrity": sri_sha512(b"x")}},
    }
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps(doc))
    code = main([str(lock), "--offline", str(tmp_path), "--policy", POLICY])
    err = capsys.readouterr().err
    assert code == 2 and "invalid package name" in err and err.count("\n") == 1, err


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=40))
def test_any_name_on_an_alias_entry_is_a_package_result(name: str) -> None:
    doc = {
        "lockfileVersion": 3,
        "packages": {
            "node_modules/x": {
                "name": name,
                "version": "1.0.0",
                "integrity": sri_sha512(b"x"),
            }
        },
    }
    (pkg,) = parse_lockfile_bytes(json.dumps(doc).encode(), "x.json").packages
    if pkg.alias_problem is not None:
        assert pkg.alias_problem.startswith('packages["node_modules/x"]')


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=st.text(max_size=30), v1=st.booleans())
def test_any_alias_name_through_the_cli_gives_a_per_package_result(
    name: str, v1: bool, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_registry(_data()) as reg:
        if v1:
            lock = _v1(tmp_path, reg.url, f"npm:{name}@1.0.0")
        else:
            lock = _v3(tmp_path, reg.url, _bad_entry(reg.url, name))
        code, report = _audit(capsys, lock, "--registry", reg.url)
    assert code in (0, 1, 3), report  # never 2 (the lockfile) and never a traceback
    others = [p for p in report["packages"] if p["name"] != "good"]
    bad = [p for p in report["packages"] if p["reason"] == "ALIAS_INVALID"]
    if bad:
        assert code == 3 and bad[0]["status"] == "error"
    else:  # a valid real name: an ordinary alias, audited like any package
        assert others and all(p["reason"] != "ALIAS_INVALID" for p in others)
