"""pnpm and Bun lockfiles through a full `audit` against the loopback registry: attestations
verified and bound to the lockfile's integrity, the report naming the format, and SARIF
regions on the lockfile line of each package's entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main
from tests.engine.scenario import Scenario, build
from tests.lockfile.formats.synth import Spec, bun_lockfile, pnpm_lockfile
from tests.support.registry import running_registry

WRITERS = {
    "pnpm-lock.yaml": lambda specs: pnpm_lockfile(specs),
    "pnpm-v6/pnpm-lock.yaml": lambda specs: pnpm_lockfile(specs, v6=True),
    "bun.lock": bun_lockfile,
}


def _specs(sc: Scenario) -> list[Spec]:
    registry = [p for p in sc.lockfile.packages if p.integrity is not None]
    kinds = ["prod", "dev", "optional", "prod", "prod"]
    return [
        Spec(p.name, p.version, p.integrity or "", kinds[i % len(kinds)])
        for i, p in enumerate(registry)
    ]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_audit_reads_the_format_and_points_sarif_at_its_lines(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = build(tmp_path / "sc")
    specs = _specs(sc)
    lock = tmp_path / "proj" / name
    lock.parent.mkdir(parents=True)
    text = WRITERS[name](specs)
    lock.write_text(text)
    sarif = tmp_path / "out.sarif"
    trust = ["--trusted-root", str(sc.root), "--npm-keys", str(sc.keys), "--no-cache"]
    with running_registry(sc.data) as reg:
        code = main([str(lock), "--registry", reg.url, "-f", "json", "--sarif", str(sarif), *trust])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["lockfile_format"] == ("bun" if name == "bun.lock" else "pnpm")
    assert report["lockfile"].endswith(lock.name)
    statuses = {f"{p['name']}@{p['version']}": p["status"] for p in report["packages"]}
    expected = {k: v for k, v in sc.expected.items() if k != "gitdep@1.0.0"}
    assert statuses == expected, err
    assert statuses["alpha@1.0.0"] == "verified" and statuses["stripped@3.0.0"] == "invalid"
    assert code == 1  # the stripped attestation is a failing finding
    # Every package's line is its entry's key in the file.
    lines = text.splitlines()
    for p in report["packages"]:
        assert p["name"] in lines[p["line"] - 1], (p["name"], p["line"])
        key = lines[p["line"] - 1].strip().strip("'\"")
        assert key.startswith((p["name"], f"/{p['name']}")), key
    lines_of = {(p["name"], p["version"]): p["line"] for p in report["packages"]}
    package_findings = [f for f in report["findings"] if f.get("package")]
    assert package_findings
    for f in package_findings:
        assert f["line"] == lines_of[(f["package"], f["version"])]
    regions = [
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for run in json.loads(sarif.read_text())["runs"]
        for r in run["results"]
    ]
    # SARIF results sit on those lines (global findings, such as coverage, on line 1).
    assert {f["line"] for f in package_findings} <= set(regions)
    assert len(regions) >= len(package_findings)
