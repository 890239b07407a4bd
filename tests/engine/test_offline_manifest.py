"""Offline directories carry a manifest (issue 14): a wrong, half-fetched or edited
directory is refused or makes packages `error`, never "the registry said 404"."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import __version__
from auditor.cli import main
from auditor.errors import UsageError
from auditor.models import Status
from auditor.pipeline import FetchOptions, fetch_into
from auditor.progress import NullProgress
from auditor.registry.client import NetworkSettings
from auditor.registry.offline import load_manifest
from tests.conftest import FIXTURES
from tests.engine.scenario import Scenario, build
from tests.engine.test_engine import _audit, _options
from tests.support.offline import forget, record
from tests.support.registry import Fault, running_registry

DEMO = FIXTURES / "demo"
LOCK = DEMO / "package-lock.json"
FAST = NetworkSettings(attempts=2, backoff_base=0.001, backoff_max=0.01)


@pytest.fixture
def offline(tmp_path: Path) -> Path:
    """A copy of the demo's offline directory (written with its manifest)."""
    target = tmp_path / "offline"
    shutil.copytree(DEMO / "offline", target)
    return target


def audit(offline: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    code = main([str(LOCK), "--offline", str(offline), "-q", "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err.strip()


def package(report: Any, name: str) -> Any:
    return next(p for p in report["packages"] if p["name"] == name)


def refused(offline: Path, capsys: pytest.CaptureFixture[str], *expected: str) -> None:
    code, report, err = audit(offline, capsys)
    assert (code, report) == (2, None)
    assert "\n" not in err and err.startswith(f"audit: error: --offline {offline}")
    for text in expected:
        assert text in err


def test_the_demo_directory_is_accepted(offline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = audit(offline, capsys)
    assert code == 1  # the tampered package, as before
    assert package(report, "left-pad")["status"] == "unattested"  # recorded 404


def test_empty_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(empty, capsys, "no manifest.json")


def test_half_fetched_directory_without_manifest_is_refused(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An interrupted `audit fetch` writes the manifest last: files, no manifest.
    (offline / "manifest.json").unlink()
    for path in sorted((offline / "attestations").iterdir())[::2]:
        path.unlink()
    refused(offline, capsys, "no manifest.json")


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b[:-2] + b" }",  # same length
        lambda b: b[:100],  # cut off
        lambda b: b + b"\n",
    ],
)
def test_tampered_file_is_refused(
    offline: Path, capsys: pytest.CaptureFixture[str], edit: Any
) -> None:
    target = offline / "attestations" / "gundam-visor@1.0.1.json"
    target.write_bytes(edit(target.read_bytes()))
    refused(offline, capsys, "attestations/gundam-visor@1.0.1.json does not match manifest.json")


@pytest.mark.parametrize("sub", ["attestations", "packuments"])
def test_file_not_in_manifest_is_refused(
    offline: Path, capsys: pytest.CaptureFixture[str], sub: str
) -> None:
    # A planted response for a package the registry had none for (left-pad: 404).
    planted = offline / sub / ("left-pad@1.3.0.json" if sub == "attestations" else "x.json")
    planted.write_text("{}")
    refused(offline, capsys, f"{sub}/{planted.name} is not in manifest.json")


def test_missing_file_is_never_a_404(offline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The file is gone but the manifest says the registry answered 200: refused.
    (offline / "attestations" / "gundam-visor@1.0.1.json").unlink()
    refused(offline, capsys, "gundam-visor@1.0.1.json is listed in manifest.json but missing")


def test_package_the_manifest_does_not_cover_is_offline_missing(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As if the fetch had failed for it (a directory fetched for another lockfile, or a
    # fetch with errors): nothing says what the registry answered.
    forget(offline, "attestations", "gundam-visor@1.0.1")
    forget(offline, "attestations", "left-pad@1.3.0")
    code, report, _ = audit(offline, capsys)
    assert code == 3
    pkg = package(report, "gundam-visor")
    assert (pkg["status"], pkg["reason"]) == ("error", "OFFLINE_MISSING")
    assert "incomplete" in {f["rule"] for f in report["findings"] if f["package"] == "gundam-visor"}
    # left-pad's packument advertises no attestations: the audit never asks for that record
    # (online it makes no such request either), so it is unattested, not OFFLINE_MISSING.
    assert package(report, "left-pad")["status"] == "unattested"


def test_planted_404_cannot_hide_advertised_attestations(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The manifest rewritten to say the registry answered 404: the recorded packument
    # still advertises attestations for the version, so that is stripping.
    record(offline, "attestations", "gundam-visor@1.0.1", None)
    code, report, _ = audit(offline, capsys)
    assert code == 1
    pkg = package(report, "gundam-visor")
    assert (pkg["status"], pkg["reason"]) == ("invalid", "PROVENANCE_STRIPPED")
    # Without the packument's record: undecided, not unattested.
    forget(offline, "packuments", "gundam-visor")
    code, report, _ = audit(offline, capsys)
    assert code == 3
    assert package(report, "gundam-visor")["reason"] == "OFFLINE_MISSING"


@pytest.mark.parametrize(
    "manifest",
    [
        b"",
        b"[]",
        b"{not json",
        b'{"format": 2}',
        json.dumps(
            {
                "format": 1,
                "tool_version": "x",
                "fetched_at": "x",
                "registries": [],
                "attestations": {"../../x@1.0.0": {"status": 404}},
                "packuments": {},
            }
        ).encode(),
        json.dumps(
            {
                "format": 1,
                "tool_version": "x",
                "fetched_at": "x",
                "registries": [],
                "attestations": {
                    "x@1.0.0": {"status": 200, "file": "../x.json", "sha256": "0" * 64, "size": 1}
                },
                "packuments": {},
            }
        ).encode(),
    ],
)
def test_invalid_manifest_is_refused(
    offline: Path, capsys: pytest.CaptureFixture[str], manifest: bytes
) -> None:
    (offline / "manifest.json").write_bytes(manifest)
    refused(offline, capsys, "manifest.json")


def test_special_files_are_refused_without_blocking(
    offline: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = offline / "packuments" / "ms.json"
    target.unlink()
    os.mkfifo(target)
    refused(offline, capsys, "ms.json is not a regular file")
    target.unlink()
    target.symlink_to(DEMO / "offline" / "packuments" / "ms.json")
    refused(offline, capsys, "ms.json")
    manifest = offline / "manifest.json"
    manifest.rename(offline / "real-manifest.json")
    os.mkfifo(manifest)
    refused(offline, capsys, "manifest.json is not a regular file")


# --------------------------------------------------------------------------- audit fetch


def fetch(sc: Scenario, url: str, into: Path, **kw: Any) -> Any:
    options = FetchOptions(
        into=into,
        registry=url,
        network=FAST,
        use_cache=False,
        npm=None,
        progress=NullProgress(),
        **kw,
    )
    return asyncio.run(fetch_into(sc.lockfile, options))


def test_fetch_records_every_answer_with_its_digest(tmp_path: Path) -> None:
    sc = build(tmp_path)
    into = tmp_path / "offline"
    with running_registry(sc.data) as reg:
        fetch(sc, reg.url, into)
    doc = json.loads((into / "manifest.json").read_text())
    assert doc["format"] == 1 and doc["tool_version"] == __version__
    assert doc["fetched_at"].endswith("Z")
    assert doc["registries"] == [{"url": reg.url + "/", "origin": "--registry"}]
    atts = doc["attestations"]
    for key, entry in atts.items():
        assert entry["registry"] == reg.url + "/"
        if entry["status"] == 200:
            body = (into / entry["file"]).read_bytes()
            assert entry["sha256"] == hashlib.sha256(body).hexdigest()
            assert entry["size"] == len(body)
        else:
            assert entry == {"status": 404, "registry": reg.url + "/"}
            name, _, version = key.rpartition("@")
            assert not (into / "attestations" / f"{name}@{version}.json").exists()
    assert any(e["status"] == 404 for e in atts.values())
    assert all(e["status"] == 200 for e in doc["packuments"].values())
    # The audit reads it back: the same results as live.
    with running_registry(sc.data) as reg:
        live = _audit(sc, _options(reg, sc, tmp_path, use_cache=False))
    offline = _audit(sc, _options(None, sc, tmp_path, offline=into, registry=reg.url))
    assert offline.results == live.results


def test_fetch_failure_leaves_the_package_uncovered(tmp_path: Path) -> None:
    sc = build(tmp_path)
    into = tmp_path / "offline"
    with running_registry(sc.data) as reg:
        reg.inject(Fault.server_error(500, times=None), name="alpha")
        summary = fetch(sc, reg.url, into)
    assert summary.errors
    assert not any(
        k.startswith("alpha@")
        for k in json.loads((into / "manifest.json").read_text())["attestations"]
    )
    report = _audit(sc, _options(None, sc, tmp_path, offline=into))
    alpha = next(r for r in report.results if r.package.name == "alpha")
    assert (alpha.status, alpha.reason) == (Status.ERROR, "OFFLINE_MISSING")


def test_fetch_again_keeps_good_records_and_drops_unlisted_files(tmp_path: Path) -> None:
    sc = build(tmp_path)
    into = tmp_path / "offline"
    with running_registry(sc.data) as reg:
        fetch(sc, reg.url, into)
        before = json.loads((into / "manifest.json").read_text())
        (into / "manifest.json").unlink()  # an interrupted later fetch
        (into / "attestations" / "stale@9.9.9.json").write_text("{}")
        fetch(sc, reg.url, into)
        (into / "attestations" / "stale@9.9.9.json").write_text("{}")
        fetch(sc, reg.url, into)
    after = json.loads((into / "manifest.json").read_text())
    assert after["attestations"] == before["attestations"]
    assert not (into / "attestations" / "stale@9.9.9.json").exists()
    _audit(sc, _options(None, sc, tmp_path, offline=into))  # accepted


# --------------------------------------------------------------------------- property

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
_entry = st.fixed_dictionaries(
    {"status": st.sampled_from([200, 404, 500, "200", None])},
    optional={
        "file": st.sampled_from(["attestations/x@1.0.0.json", "../x.json", "packuments/x.json"]),
        "sha256": st.sampled_from(["0" * 64, "zz", ""]),
        "size": st.integers(-1, 10) | st.booleans(),
        "registry": st.none() | st.integers() | st.just("http://127.0.0.1:1/"),
    },
)
_manifest = st.fixed_dictionaries(
    {
        "format": st.sampled_from([1, 2, "1"]),
        "tool_version": st.text(max_size=5),
        "fetched_at": st.text(max_size=5),
        "registries": st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=5))),
        "attestations": st.dictionaries(
            st.sampled_from(["x@1.0.0", "@s/x@1.0.0", "../x@1", "x"]), _entry
        ),
        "packuments": st.dictionaries(st.sampled_from(["x", "@s/x", "..", "a/b"]), _entry),
    }
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=_json | _manifest)
def test_any_manifest_is_accepted_or_refused_in_one_line(tmp_path: Path, doc: object) -> None:
    """Whatever manifest.json says, opening the directory accepts it or raises UsageError
    (one line); a file it accepts is one whose bytes it has checked."""
    root = tmp_path / "o"
    (root / "attestations").mkdir(parents=True, exist_ok=True)
    (root / "attestations" / "x@1.0.0.json").write_bytes(b"")
    (root / "manifest.json").write_text(json.dumps(doc))
    try:
        manifest = load_manifest(root)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    for rel, rec in manifest.files():
        assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == rec.sha256
