"""coverage-minimum: thresholds per scope, never waived."""

from __future__ import annotations

from auditor.models import Level, SourceKind, Status
from tests.policy._helpers import (
    result,
    rules,
    run,
    verified,
)


def test_coverage_thresholds() -> None:
    results = [
        verified(name="a"),
        result(Status.UNATTESTED, name="b"),
        result(Status.UNATTESTED, name="c", dev=True),
        verified(name="d", dev=True),
        result(Status.NOT_APPLICABLE, name="g", source=SourceKind.GIT),
    ]
    fs = run("[coverage]\noverall = 0.5\nproduction = 0.6\ndevelopment = 0.5\n", *results)
    assert rules(fs) == ["coverage-minimum"]
    f = fs[0]
    assert f.package is None and f.level is Level.WARNING
    assert f.evidence == {
        "scope": "production",
        "expected": 0.6,
        "actual": 0.5,
        "verified": 1,
        "total": 2,
    }
    assert run("[coverage]\noverall = 0.5\n") == []  # no registry packages: nothing to judge


def test_exceptions_never_waive_global_findings() -> None:
    text = "[coverage]\noverall = 1.0\n"
    fs = run(text, result(Status.UNATTESTED))
    assert rules(fs) == ["coverage-minimum"]
