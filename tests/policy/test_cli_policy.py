"""`audit policy check` and `audit policy explain` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_check_valid(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "policies" / "recommended.toml"
    assert main(["policy", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: valid (version 1, ") and out.count("\n") == 1


def test_check_invalid_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 1\n[release_age]\ndayz = 3\n", encoding="utf-8")
    assert main(["policy", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == f"audit: error: {bad}: release_age.dayz: unknown key; did you mean 'days'?\n"


def test_check_missing_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "nover.toml"
    bad.write_text("[rules]\n", encoding="utf-8")
    assert main(["policy", "check", str(bad)]) == 2
    assert "version: missing; add `version = 1`" in capsys.readouterr().err


def test_explain_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(ROOT / "policies" / "org-example.toml")
    assert main(["policy", "explain", path]) == 0
    text = capsys.readouterr().out
    assert '"identity-repository-id" = "error"' in text and "[[identity]]" in text
    assert main(["policy", "explain", path, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["identity"][0]["repository_ids"] == ["123456789", "123456790"]
    assert main(["policy", "explain"]) == 0
    assert "built-in default policy" in capsys.readouterr().out
