"""GitHub Actions annotations: one inert workflow command per finding, within the limits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from auditor.models import Finding, Level, PackageResult, Status
from auditor.report import render
from auditor.report.annotations import MAX_PER_LEVEL, render_annotations
from tests.report.scenarios import errors, many, mixed, package


def test_one_command_per_finding_errors_first() -> None:
    lines = render_annotations(mixed(), root=Path.cwd()).splitlines()
    assert lines[0].startswith(
        "::error file=package-lock.json,line=20,title=provenance-required%3A left-pad@1.3.0::"
    )
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::warning", "::warning"]
    assert render(mixed(), "annotations").splitlines()[0].startswith("::error ")


def test_hostile_text_stays_inside_its_annotation() -> None:
    evil = "x\n::add-mask::secret\r\n##[error]forged, a:b %41"
    finding = Finding("install-script", Level.WARNING, evil, "p,q", "1.0.0", 3)
    text = render_annotations(dataclasses.replace(mixed(), findings=(finding,)), root=Path.cwd())
    (line,) = text.splitlines()  # no new line for the runner to parse as a command
    head, data = line.split("::", 2)[1:]
    assert "title=install-script%3A p%2Cq@1.0.0" in head
    assert "##[" not in line and "#%23[error]" in data
    assert "\n" not in text.rstrip("\n") and "::add-mask::secret" in data  # data, one line
    assert "%2541" in data  # a literal percent is escaped, not decoded


def test_limits_and_tampering_with_an_incomplete_audit() -> None:
    assert len([x for x in render_annotations(many(), root=Path.cwd()).splitlines()
                if x.startswith("::error file=")]) <= MAX_PER_LEVEL  # fmt: skip
    base = errors()
    forged = PackageResult(package("d", "4.0.0", 9), Status.INVALID, "DSSE_SIGNATURE")
    bad = Finding("attestation-invalid", Level.ERROR, "d@4.0.0 forged", "d", "4.0.0", 9)
    both = dataclasses.replace(
        base, results=(*base.results, forged), findings=(*base.findings, bad)
    )
    last = render_annotations(both, root=Path.cwd()).splitlines()[-1]
    assert last.startswith("::error title=npm provenance audit::incomplete and tampering found")
