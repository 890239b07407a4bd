"""The audited lockfile is the one npm installs from (a shrinkwrap beside package-lock.json)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auditor.cli import main
from tests.conftest import FIXTURES
from tests.report.validators import validate_report_json

DEMO = FIXTURES / "demo"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    shutil.copy(DEMO / "package-lock.json", project / "package-lock.json")
    shutil.copy(DEMO / ".npmrc", project / ".npmrc")
    return project


def _shrinkwrap_with(project: Path, keep: str) -> None:
    doc = json.loads((project / "package-lock.json").read_text())
    doc["packages"] = {k: v for k, v in doc["packages"].items() if k in ("", keep)}
    (project / "npm-shrinkwrap.json").write_text(json.dumps(doc, indent=2))


@pytest.mark.parametrize("named", [True, False])
def test_shrinkwrap_beside_package_lock_is_audited_and_said(
    named: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attacker: the PR adds npm-shrinkwrap.json; npm installs from it, so it is audited."""
    project = _project(tmp_path)
    _shrinkwrap_with(project, "node_modules/debug")
    monkeypatch.chdir(project)
    out = tmp_path / "report.json"
    args = ["package-lock.json"] if named else []
    rc = main([*args, "--offline", str(DEMO / "offline"), "--json", str(out)])
    err = capsys.readouterr().err
    assert "npm-shrinkwrap.json" in err and "package-lock.json" in err
    doc = json.loads(out.read_text())
    validate_report_json(doc)
    assert doc["lockfile"] == "npm-shrinkwrap.json"
    assert doc["lockfile_substitution"]["requested"] == "package-lock.json"
    assert doc["lockfile_substitution"]["audited"] == "npm-shrinkwrap.json"
    assert [p["name"] for p in doc["packages"]] == ["debug"]
    # Without the demo's --npm-keys the demo registry's signing key is unknown: one
    # always-on finding, whichever file was named.
    assert rc == 1, err
    assert [f["rule"] for f in doc["findings"]] == ["registry-signature-invalid"]


def test_without_shrinkwrap_nothing_is_substituted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    out = tmp_path / "report.json"
    main(["--offline", str(DEMO / "offline"), "--json", str(out)])
    assert "shrinkwrap" not in capsys.readouterr().err
    doc = json.loads(out.read_text())
    validate_report_json(doc)
    assert doc["lockfile"] == "package-lock.json" and doc["lockfile_substitution"] is None


@pytest.mark.parametrize("content", [b"{not json", b" ", b'{"lockfileVersion": 99}'])
def test_broken_shrinkwrap_beside_package_lock_exits_2_naming_both(
    content: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """npm ci fails on a shrinkwrap it cannot parse; the audit fails too, naming both."""
    project = _project(tmp_path)
    (project / "npm-shrinkwrap.json").write_bytes(content)
    monkeypatch.chdir(project)
    rc = main(["package-lock.json", "--offline", str(DEMO / "offline"), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1
    assert "npm-shrinkwrap.json" in err[0] and "package-lock.json" in err[0]


def test_several_managers_lockfiles_the_choice_is_the_first_stderr_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Never a silent pick: package-lock.json and pnpm-lock.yaml side by side."""
    project = _project(tmp_path)
    (project / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    monkeypatch.chdir(project)
    out = tmp_path / "report.json"
    rc = main(["--offline", str(DEMO / "offline"), "--json", str(out)])
    first = capsys.readouterr().err.splitlines()[0]
    assert "several package managers: auditing package-lock.json" in first
    assert "not audited: pnpm-lock.yaml" in first and "-r" in first
    doc = json.loads(out.read_text())
    assert doc["lockfile"] == "package-lock.json" and doc["lockfile_substitution"] is None
    assert rc in (0, 1)
    # package.json's packageManager decides for pnpm: its lockfile is audited (and said).
    (project / "package.json").write_text('{"packageManager": "pnpm@10.34.9"}')
    main(["--offline", str(DEMO / "offline"), "--json", str(out)])
    first = capsys.readouterr().err.splitlines()[0]
    assert "auditing pnpm-lock.yaml (package.json's packageManager names pnpm)" in first
