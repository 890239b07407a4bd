"""SARIF regions point at each package's own entry, in its own lockfile, for every format.

Every real lockfile fixture (npm, pnpm, Yarn, Bun: whatever formats are read) is parsed;
each package's `line` must be a line of that file naming the package, and a finding on it
must come out of SARIF at that line of that file.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile
from auditor.lockfile.discovery import LOCKFILE_NAMES
from auditor.models import Finding, Level, PackageResult, Report, SourceKind, Status
from auditor.report.sarif import sarif_document
from tests.conftest import FIXTURES
from tests.report.validators import validate_sarif


def _fixtures() -> list[Path]:
    found = sorted(p for p in (FIXTURES / "lockfiles").rglob("*") if p.name in LOCKFILE_NAMES)
    return [FIXTURES / "demo" / "package-lock.json", *found]


def _id(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


@pytest.mark.parametrize("path", _fixtures(), ids=_id)
def test_each_package_line_names_it_and_sarif_points_there(path: Path) -> None:
    try:
        lockfile = parse_lockfile(path)
    except LockfileError as exc:  # a format not read yet is a placeholder: nothing to check
        pytest.skip(str(exc))
    lines = path.read_text("utf-8").splitlines()
    packages = [p for p in lockfile.packages if p.line > 0]
    assert packages, f"{path}: no package carries a line"
    # A link (workspace member) may point at the importer that declares it (pnpm).
    for p in (p for p in packages if p.source is not SourceKind.LINK):
        text = lines[p.line - 1]
        names = {p.name, *p.aliases, *(q.rsplit("node_modules/", 1)[-1] for q in p.paths)}
        assert any(n in text for n in names), (p.spec, p.line, text)
    findings = tuple(
        Finding("attestation-invalid", Level.ERROR, "x", p.name, p.version, p.line or None)
        for p in packages
    )
    report = Report(
        tool_version="0",
        lockfile=os.path.relpath(path),
        lockfile_format=lockfile.format,
        results=tuple(PackageResult(p, Status.INVALID) for p in lockfile.packages),
        findings=findings,
    )
    doc = sarif_document(report, root=FIXTURES.parent, cwd=Path.cwd())
    validate_sarif(doc)
    results = doc["runs"][0]["results"]
    assert len(results) == len(findings)
    want = path.resolve().relative_to(FIXTURES.parent.resolve()).as_posix()
    for result, finding in zip(results, findings, strict=True):
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == want
        assert physical["region"]["startLine"] == finding.line
