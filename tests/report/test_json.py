"""The JSON contract: exact keys, schema validity, deterministic bytes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from auditor.models import Finding, Level, PackageResult, Status
from auditor.report import render
from auditor.report.json_report import SCHEMA_ID
from tests.report.scenarios import SCENARIOS, errors, mixed, package, report
from tests.report.validators import validate_report_json

CONTRACT_TOP = {"schema", "tool", "lockfile", "summary", "packages", "findings"}
CONTRACT_PACKAGE = {
    "name", "version", "integrity", "source", "paths", "dev", "optional", "direct", "line",
    "status", "reason", "identity", "attestations",
}  # fmt: skip
CONTRACT_IDENTITY = {
    "issuer", "source_repository", "repository_id", "owner_id", "ref", "commit", "workflow",
    "build_signer", "runner_environment", "trigger", "invocation",
}  # fmt: skip
CONTRACT_ATTESTATION = {
    "predicate_type",
    "bundle_media_type",
    "tlog_kind",
    "log_index",
    "signed_at",
}
CONTRACT_FINDING = {"rule", "level", "package", "version", "message", "line", "evidence"}
STATUSES = {"verified", "publish-only", "unattested", "invalid", "error", "not-applicable"}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_contract_keys_and_schema(scenario: str) -> None:
    doc = json.loads(render(SCENARIOS[scenario](), "json"))
    validate_report_json(doc)
    assert doc.keys() >= CONTRACT_TOP
    assert doc["schema"] == SCHEMA_ID
    assert doc["tool"]["name"] == "auditor"
    assert set(doc["summary"]["by_status"]) >= STATUSES
    assert {"all", "production", "development"} <= doc["summary"]["coverage"].keys()
    for pkg in doc["packages"]:
        assert pkg.keys() >= CONTRACT_PACKAGE
        if pkg["identity"] is not None:
            assert pkg["identity"].keys() >= CONTRACT_IDENTITY
        for att in pkg["attestations"]:
            assert att.keys() >= CONTRACT_ATTESTATION
    for finding in doc["findings"]:
        assert finding.keys() >= CONTRACT_FINDING


def test_values() -> None:
    doc = json.loads(render(mixed(), "json"))
    assert doc["lockfile"] == "package-lock.json"
    assert doc["policy"] == "policies/recommended.toml"
    assert doc["summary"]["coverage"]["all"] == 0.3333
    assert doc["summary"]["coverage_counts"]["all"] == {"verified": 1, "total": 3}
    sig = next(p for p in doc["packages"] if p["name"] == "sigstore")
    assert sig["identity"]["source_repository"] == "https://github.com/sigstore/sigstore-js"
    assert sig["attestations"][0]["signed_at"] == "2025-03-04T05:06:07Z"
    age = next(f for f in doc["findings"] if f["rule"] == "release-age")
    assert age["evidence"] == {
        "actual": 1.5,
        "expected": ">= 7 days",
        "published": "2025-03-04T05:06:07Z",
    }
    cov = next(f for f in doc["findings"] if f["rule"] == "coverage-minimum")
    assert cov["package"] is None and cov["line"] is None


def test_empty_scope_coverage_is_null() -> None:
    doc = json.loads(render(errors(), "json"))
    assert doc["summary"]["coverage"]["direct"] is None


def test_signed_at_is_utc_whatever_the_input_zone() -> None:
    from auditor.report._common import rfc3339

    plus2 = timezone(timedelta(hours=2))
    assert rfc3339(datetime(2025, 1, 1, 2, 0, 0, 123456, tzinfo=plus2)) == "2025-01-01T00:00:00Z"
    assert rfc3339(datetime(2025, 1, 1, 0, 0, 0)) == "2025-01-01T00:00:00Z"


def test_hostile_evidence_stays_valid_json() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    deep: object = "leaf"
    for _ in range(50):
        deep = [deep]
    evidence = {
        "nan": float("nan"),
        "inf": float("-inf"),
        "set": {3, 1},
        "obj": Odd(),
        "deep": deep,
        "big": "x" * 100_000,
        "surrogate": "\ud800",
        1: "int key",
    }
    pkg = package("x", "1.0.0", 1)
    r = report(
        [PackageResult(pkg, Status.UNATTESTED)],
        [Finding("r", Level.ERROR, "m", "x", "1.0.0", 1, evidence)],  # type: ignore[arg-type]
    )
    text = render(r, "json")
    assert text.isascii()
    doc = json.loads(text)
    validate_report_json(doc)
    ev = doc["findings"][0]["evidence"]
    assert (
        ev["nan"] == "nan" and ev["set"] == [1, 3] and ev["obj"] == "odd" and ev["1"] == "int key"
    )
    assert len(ev["big"]) <= 4096


def test_deterministic_bytes() -> None:
    assert render(mixed(), "json") == render(mixed(), "json")


def test_waived_findings_and_the_exit_code_are_in_the_report() -> None:
    doc = json.loads(render(mixed(), "json"))
    validate_report_json(doc)
    (waived,) = doc["waived"]
    assert waived["rule"] == "identity-repository" and waived["exception"] == 0
    assert waived["reason"] == "fork reviewed by security (SEC-1)"
    assert waived["expires"] == "2027-06-30"
    assert doc["summary"]["findings"]["waived"] == 1
    assert all(f["rule"] != "identity-repository" for f in doc["findings"])
    assert doc["exit_code"] == 1 and doc["fail_on"] == "error"


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("never", 0)])
def test_exit_code_follows_fail_on(fail_on: str, code: int) -> None:
    import dataclasses

    doc = json.loads(render(dataclasses.replace(mixed(), fail_on=fail_on), "json"))
    assert doc["exit_code"] == code


def test_an_incomplete_audit_implies_exit_3_even_with_fail_on_never() -> None:
    import dataclasses

    doc = json.loads(render(dataclasses.replace(errors(), fail_on="never"), "json"))
    assert doc["exit_code"] == 3
