"""The command-line contract: option names, sub-commands and exit codes are public API."""

from __future__ import annotations

import subprocess
import sys

import pytest

from auditor.cli import build_audit_parser, build_fetch_parser, build_policy_parser, main

AUDIT_OPTIONS = [
    "--policy",
    "--format",
    "--output",
    "--json",
    "--sarif",
    "--markdown",
    "--registry",
    "--offline",
    "--trusted-root",
    "--npm-keys",
    "--concurrency",
    "--cache-dir",
    "--no-cache",
    "--base",
    "--base-ref",
    "--fail-on",
    "-q",
    "-v",
]


def test_audit_help_lists_every_contract_option() -> None:
    text = build_audit_parser().format_help()
    for option in AUDIT_OPTIONS:
        assert option in text, option
    assert "text,json,sarif,markdown" in text


def test_fetch_and_policy_subcommands_exist() -> None:
    assert "--into" in build_fetch_parser().format_help()
    policy_help = build_policy_parser().format_help()
    assert "check" in policy_help and "explain" in policy_help


@pytest.mark.parametrize(
    "argv",
    [
        ["--format", "yaml"],
        ["--concurrency", "0"],
        ["--concurrency", "many"],
        ["--no-such-option"],
        ["--base", "a.json", "--base-ref", "HEAD"],
        ["fetch"],  # --into is required
        ["policy"],
        ["policy", "frobnicate", "x"],
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("audit: error:")
    assert not err[0].startswith("audit: error: audit:")  # the program is named once


def test_missing_lockfile_is_input_error(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert main([]) == 2
    assert "package-lock.json" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "auditor", "--version"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and out.stdout.startswith("audit ")
