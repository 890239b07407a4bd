"""The overall view of several lockfiles' reports (auditor.report.multi)."""

from __future__ import annotations

from auditor.models import Finding, Level, Package, PackageResult, Report, SourceKind, Status
from auditor.report.multi import MultiReport, combine
from auditor.report.summary import summarize


def _result(name: str, *, dev: bool = False, dev_optional: bool = False) -> PackageResult:
    package = Package(name, "1.0.0", SourceKind.REGISTRY, "sha512-x", dev=dev,
                      dev_optional=dev_optional)  # fmt: skip
    return PackageResult(package, Status.VERIFIED)


def _report(path: str, *results: PackageResult, findings: tuple[Finding, ...] = ()) -> Report:
    return Report(tool_version="0", lockfile=path, results=results, findings=findings)


def test_each_package_once_production_when_production_anywhere() -> None:
    a = _report("a/package-lock.json", _result("x", dev=True), _result("y", dev=True))
    b = _report("b/pnpm-lock.yaml", _result("x"), _result("y", dev_optional=True))
    combined = combine([a, b])
    assert [r.package.name for r in combined.results] == ["x", "y"]
    assert [r.package.production for r in combined.results] == [True, False]
    assert summarize(combined).coverage["production"].total == 1


def test_the_worst_exit_code_wins() -> None:
    error = Finding("attestation-invalid", Level.ERROR, "m", "x", "1.0.0")
    incomplete = Finding("incomplete", Level.ERROR, "m", "y", "1.0.0")
    clean = _report("a", _result("x"))
    failing = _report("b", _result("x"), findings=(error,))
    undecided = _report("c", _result("y"), findings=(incomplete,))
    assert MultiReport((clean,)).exit_code == 0
    assert MultiReport((clean, failing)).exit_code == 1
    assert MultiReport((failing, undecided, clean)).exit_code == 3
