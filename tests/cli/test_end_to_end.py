"""The installed command on the bundled demo: real recorded attestations and a forged one,
driven through exactly the option names, exit codes and JSON keys of the contract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auditor.cli import main
from tests.conftest import FIXTURES
from tests.support.offline import forget, record

DEMO = FIXTURES / "demo"
POLICIES = FIXTURES.parent / "policies"

PACKAGE_KEYS = {
    "name", "version", "integrity", "source", "paths", "dev", "optional", "direct", "line",
    "status", "reason", "identity", "attestations",
}  # fmt: skip
IDENTITY_KEYS = {
    "issuer", "source_repository", "repository_id", "owner_id", "ref", "commit", "workflow",
    "build_signer", "runner_environment", "trigger", "invocation",
}  # fmt: skip
ATTESTATION_KEYS = {"predicate_type", "bundle_media_type", "tlog_kind", "log_index", "signed_at"}
FINDING_KEYS = {"rule", "level", "package", "version", "message", "line", "evidence"}


def _audit_json(tmp_path: Path, *args: str, offline: Path = DEMO / "offline") -> tuple[int, dict]:  # type: ignore[type-arg]
    out = tmp_path / "report.json"
    rc = main(
        [str(DEMO / "package-lock.json"), "--offline", str(offline), "--json", str(out), "-q",
         "--npm-keys", str(DEMO / "npm-registry-keys.json"),
         "--format", "text", "--output", str(tmp_path / "report.txt"), *args]
    )  # fmt: skip
    return rc, json.loads(out.read_text())


def test_demo_report_keys_statuses_and_exit_code(tmp_path: Path) -> None:
    rc, doc = _audit_json(tmp_path, "--policy", str(POLICIES / "recommended.toml"))
    assert rc == 1  # the forged attestation is always a failing finding
    assert doc["schema"] == "auditor-report/1"
    assert {"schema", "tool", "lockfile", "summary", "packages", "findings"} <= set(doc)
    assert set(doc["tool"]) >= {"name", "version"}
    summary = doc["summary"]
    assert set(summary["by_status"]) == {
        "verified", "publish-only", "unattested", "invalid", "error", "not-applicable",
    }  # fmt: skip
    assert set(summary["coverage"]) >= {"all", "production", "development"}
    assert summary["packages"] == len(doc["packages"])
    by_spec = {f"{p['name']}@{p['version']}": p for p in doc["packages"]}
    for p in doc["packages"]:
        assert set(p) >= PACKAGE_KEYS
        for a in p["attestations"]:
            assert set(a) >= ATTESTATION_KEYS
        if p["identity"] is not None:
            assert set(p["identity"]) >= IDENTITY_KEYS
    for f in doc["findings"]:
        assert set(f) >= FINDING_KEYS

    forged = by_spec["@laurentsimon/provenance-npm-test@1.0.0"]
    assert forged["status"] == "invalid" and forged["reason"] == "DSSE_SIGNATURE"
    assert any(
        f["rule"] == "attestation-invalid" and f["package"] == forged["name"]
        for f in doc["findings"]
    )
    ok = by_spec["gundam-visor@1.0.1"]
    assert ok["status"] == "verified"
    assert ok["identity"]["source_repository"] == "https://github.com/ramonpetgrave64/gundam-visor"
    assert by_spec["sigstore@1.8.0"]["status"] == "publish-only"
    assert by_spec["left-pad@1.3.0"]["status"] == "unattested"
    assert by_spec["my-fork@2.1.0"]["status"] == "not-applicable"
    assert by_spec["my-fork@2.1.0"]["source"] == "git"


def test_fail_on_never_keeps_exit_zero_but_reports_everything(tmp_path: Path) -> None:
    rc, doc = _audit_json(tmp_path, "--fail-on", "never")
    assert rc == 0
    assert doc["summary"]["by_status"]["invalid"] == 1


def test_undecided_package_is_error_status_and_exit_3(tmp_path: Path) -> None:
    offline = tmp_path / "offline"
    shutil.copytree(DEMO / "offline", offline)
    # A cut-off response: not attestations.  The packument advertises attestations for
    # this version, so that is stripping (invalid, whatever the endpoint served instead).
    target = offline / "attestations" / "gundam-visor@1.0.1.json"
    record(offline, "attestations", "gundam-visor@1.0.1", target.read_bytes()[:100])
    rc, doc = _audit_json(tmp_path, offline=offline)
    assert rc == 1
    pkg = next(p for p in doc["packages"] if p["name"] == "gundam-visor")
    assert pkg["status"] == "invalid" and pkg["reason"] == "PROVENANCE_STRIPPED"
    # Without the packument nothing says what the registry had: undecided.
    forget(offline, "packuments", "gundam-visor")
    rc, doc = _audit_json(tmp_path, offline=offline)
    assert rc == 3
    pkg = next(p for p in doc["packages"] if p["name"] == "gundam-visor")
    assert pkg["status"] == "error" and pkg["identity"] is None


@pytest.mark.parametrize("policy", sorted(p.name for p in POLICIES.glob("*.toml")))
def test_every_shipped_policy_checks_and_runs_on_the_demo(policy: str, tmp_path: Path) -> None:
    assert main(["policy", "check", str(POLICIES / policy)]) == 0
    rc, _ = _audit_json(tmp_path, "--policy", str(POLICIES / policy))
    assert rc == 1  # the forged attestation fails under every policy


def test_all_formats_at_once(tmp_path: Path) -> None:
    outs = {fmt: tmp_path / f"r.{fmt}" for fmt in ("json", "sarif", "markdown")}
    rc = main(
        [str(DEMO / "package-lock.json"), "--offline", str(DEMO / "offline"), "-q",
         "--json", str(outs["json"]), "--sarif", str(outs["sarif"]),
         "--markdown", str(outs["markdown"]), "--format", "sarif",
         "--output", str(tmp_path / "stdout.sarif")]
    )  # fmt: skip
    assert rc == 1
    sarif = json.loads(outs["sarif"].read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1
    assert (tmp_path / "stdout.sarif").read_text() == outs["sarif"].read_text()
    assert "provenance-npm-test" in outs["markdown"].read_text()


@pytest.mark.parametrize("policy", ["baseline", "recommended", "strict"])
@pytest.mark.parametrize("fail_on", ["error", "warning", "never"])
def test_json_exit_code_is_the_exit_code(policy: str, fail_on: str, tmp_path: Path) -> None:
    rc, doc = _audit_json(
        tmp_path, "--policy", str(POLICIES / f"{policy}.toml"), "--fail-on", fail_on
    )
    assert doc["exit_code"] == rc and doc["fail_on"] == fail_on


def test_sarif_category_option_sets_the_automation_id(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    rc = main(
        [str(DEMO / "package-lock.json"), "--offline", str(DEMO / "offline"), "-q",
         "--output", str(tmp_path / "r.txt"), "--sarif", str(out),
         "--sarif-category", "npm-provenance-auditor/pull-request"]
    )  # fmt: skip
    assert rc == 1
    run = json.loads(out.read_text())["runs"][0]
    assert run["automationDetails"]["id"] == "npm-provenance-auditor/pull-request/"
