"""The auditor-changes pre-commit hook: argument splitting and one audit per lockfile."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from auditor.diff import hook
from tests.diff.test_base import git, lockfile_doc


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
        ["--policy", "p.toml", "--base-ref", "HEAD", a],
        ["--policy", "p.toml", "--base-ref", "HEAD", b],
    ]
    # A base given by the user wins.
    calls.clear()
    assert hook.run(["--base-ref", "main", a]) == 1
    assert calls == [["--base-ref", "main", a]]


def test_before_the_first_commit_everything_is_audited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(tmp_path, "init", "-q")
    lock = str(tmp_path / "package-lock.json")
    calls = _record(monkeypatch, {lock: 2})
    assert hook.run([lock]) == 2
    assert calls == [[lock]]
    calls.clear()
    assert hook.run(["--quiet"]) == 0
    assert calls == [["--quiet"]]
