"""summarize(): counts by status and source, coverage per scope, findings by rule and level."""

from __future__ import annotations

from auditor.models import Finding, Level, PackageResult, SourceKind, Status
from auditor.report import COVERAGE_SCOPES, summarize
from tests.report.scenarios import empty, errors, many, mixed, package, report, verified


def test_every_key_is_present_even_when_zero() -> None:
    summary = summarize(empty())
    assert summary.packages == 0
    assert set(summary.by_status) == set(Status)
    assert set(summary.by_source) == set(SourceKind)
    assert list(summary.coverage) == list(COVERAGE_SCOPES)
    assert all(c.ratio is None and c.percent == "n/a" for c in summary.coverage.values())
    assert summary.findings == 0 and summary.findings_by_rule == {}


def test_mixed_counts_and_coverage_scopes() -> None:
    summary = summarize(mixed())
    assert summary.packages == 5
    assert summary.by_status[Status.VERIFIED] == 1
    assert summary.by_status[Status.NOT_APPLICABLE] == 2
    assert summary.by_source[SourceKind.REGISTRY] == 3
    assert summary.by_source[SourceKind.GIT] == 1
    cov = summary.coverage
    # Only registry packages count: the git and link packages are not in any denominator.
    assert (cov["all"].verified, cov["all"].total) == (1, 3)
    assert (cov["production"].verified, cov["production"].total) == (1, 2)
    assert (cov["development"].verified, cov["development"].total) == (0, 1)
    assert (cov["direct"].verified, cov["direct"].total) == (1, 2)
    assert (cov["transitive"].verified, cov["transitive"].total) == (0, 1)
    assert cov["all"].ratio == 0.3333
    assert cov["all"].percent == "33.3%"


def test_error_status_is_never_counted_as_verified() -> None:
    summary = summarize(errors())
    assert summary.by_status[Status.ERROR] == 2
    assert (summary.coverage["all"].verified, summary.coverage["all"].total) == (1, 3)


def test_dev_optional_counts_as_development() -> None:
    r = report([verified(package("x", "1.0.0", 1, dev_optional=True), "o/x")], [])
    cov = summarize(r).coverage
    assert cov["development"].total == 1 and cov["production"].total == 0


def test_findings_by_rule_and_level_and_packages() -> None:
    summary = summarize(many())
    assert summary.findings == 120
    assert summary.errors == 60 and summary.warnings == 60
    assert summary.findings_by_rule == {"provenance-required": {Level.ERROR: 60, Level.WARNING: 60}}
    assert summary.packages_with_findings == 120


def test_off_findings_are_not_counted() -> None:
    pkg = package("x", "1.0.0", 1)
    r = report(
        [PackageResult(pkg, Status.UNATTESTED)],
        [Finding("release-age", Level.OFF, "ignored", "x", "1.0.0", 1)],
    )
    summary = summarize(r)
    assert summary.findings == 0 and summary.packages_with_findings == 0


def test_summary_line_names_tampering_when_the_exit_code_is_3() -> None:
    import dataclasses

    from auditor.report.summary import exit_code, summary_line

    base = errors()
    tampered = PackageResult(package("d-pkg", "4.0.0", 35), Status.INVALID, "DSSE_SIGNATURE")
    finding = Finding("attestation-invalid", Level.ERROR, "d-pkg@4.0.0 forged", "d-pkg", "4.0.0")
    both = dataclasses.replace(
        base, results=(*base.results, tampered), findings=(*base.findings, finding)
    )
    assert exit_code(both) == 3
    line = summary_line(both)
    assert "1 package failed verification (tampering)" in line
    assert "2 packages could not be checked (incomplete)" in line
    assert line.endswith("exit 3 (incomplete and tampering found)")
    assert summary_line(empty()) == "no findings; 0 of 0 packages verified; exit 0 (passed)"
