"""The auditor-changes pre-commit hook: argument splitting and one audit per lockfile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from auditor.diff import hook
from tests.conftest import FIXTURES
from tests.diff.test_base import git, lockfile_doc

POLICIES = FIXTURES.parent / "policies"


def test_split_argv() -> None:
    assert hook.split_argv(
        ["--policy", "p.toml", "package-lock.json", "a/npm-shrinkwrap.json"]
    ) == (
        ["--policy", "p.toml"],
        ["package-lock.json", "a/npm-shrinkwrap.json"],
    )
    # A lockfile name that is an option's value stays with the option.
    assert hook.split_argv(["--base", "old/package-lock.json"]) == (
        ["--base", "old/package-lock.json"],
        [],
    )
    assert hook.split_argv(["--quiet", "package-lock.json"]) == (["--quiet"], ["package-lock.json"])
    assert hook.split_argv([]) == ([], [])


def _record(monkeypatch: pytest.MonkeyPatch, codes: dict[str, int]) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake_main(argv: Sequence[str]) -> int:
        calls.append(list(argv))
        return codes.get(argv[-1], 0) if argv else 0

    monkeypatch.setattr("auditor.cli.main", fake_main)
    return calls


def test_each_lockfile_is_audited_against_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "package-lock.json").write_text(lockfile_doc(a="1.0.0"))
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "x")
    (tmp_path / "web").mkdir()
    a, b = str(tmp_path / "package-lock.json"), str(tmp_path / "web" / "npm-shrinkwrap.json")
    calls = _record(monkeypatch, {a: 1, b: 3})
    assert hook.run(["--policy", "p.toml", a, b]) == 3
    assert calls == [
        ["--policy", "p.toml", "--base-ref", "HEAD", "--", a],
        ["--policy", "p.toml", "--base-ref", "HEAD", "--", b],
    ]
    # A base given by the user wins.
    calls.clear()
    assert hook.run(["--base-ref", "main", a]) == 1
    assert calls == [["--base-ref", "main", "--", a]]


def test_before_the_first_commit_everything_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    lock = str(tmp_path / "package-lock.json")
    calls = _record(monkeypatch, {lock: 2})
    assert hook.run([lock]) == 2
    assert calls == [["--", lock]]
    calls.clear()
    assert hook.run(["--quiet"]) == 0
    assert calls == [["--quiet"]]


def test_a_staged_file_named_like_an_option_is_audited_as_a_lockfile(tmp_path: Path) -> None:
    """End to end, as pre-commit runs the hook (`entry`, then `args`, then the staged names):
    a file named `--offline=o/package-lock.json` must not become `--offline` and let the
    tampered lockfile next to it pass."""
    demo = FIXTURES / "demo"
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "package-lock.json").write_bytes((demo / "package-lock.json").read_bytes())
    decoy = repo / "--offline=o" / "package-lock.json"
    decoy.parent.mkdir()
    decoy.write_text(lockfile_doc())
    # Taken as an option, the decoy points --offline at the attacker's own copy of the
    # registry answers, without the forged package's attestation.
    planted = repo / "o" / "package-lock.json"
    shutil.copytree(demo / "offline", planted)
    (planted / "attestations" / "@laurentsimon%2fprovenance-npm-test@1.0.0.json").unlink()
    git(repo, "add", "--", ".")
    args = ["--offline", str(demo / "offline"), "--policy", str(POLICIES / "recommended.toml")]
    staged = ["--offline=o/package-lock.json", "package-lock.json"]
    proc = subprocess.run(
        [sys.executable, "-m", "auditor.diff.hook", *args, *staged],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # The forged attestation in the demo lockfile is a failing finding (exit 1).
    assert proc.returncode == 1, proc.stderr
    assert "attestation-invalid" in proc.stdout
    assert proc.stdout.count("npm provenance audit") + proc.stdout.count("auditor ") >= 2


def test_split_argv_treats_every_staged_name_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "--all" / "x").mkdir(parents=True)
    (tmp_path / "--all/x/package-lock.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert hook.split_argv(["-q", "--all/x/package-lock.json"]) == (
        ["-q"],
        ["--all/x/package-lock.json"],
    )
    # An explicit `--` ends the options: everything after it is a lockfile.
    assert hook.split_argv(["-q", "--", "--x=package-lock.json"]) == (
        ["-q"],
        ["--x=package-lock.json"],
    )
