from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import LockfileChoice, choose_lockfile, find_lockfile


def test_default_is_the_lockfile_npm_installs_from(tmp_path: Path) -> None:
    (tmp_path / "npm-shrinkwrap.json").write_text("{}")
    assert find_lockfile(None, tmp_path) == tmp_path / "npm-shrinkwrap.json"
    (tmp_path / "package-lock.json").write_text("{}")
    # npm installs from the shrinkwrap when both exist (arborist shrinkwrap.js: `sw || lock`).
    choice = choose_lockfile(None, tmp_path)
    assert choice.path == tmp_path / "npm-shrinkwrap.json"
    assert choice.requested == tmp_path / "package-lock.json"
    assert choice.note and "npm-shrinkwrap.json" in choice.note
    assert find_lockfile(None, tmp_path) == tmp_path / "npm-shrinkwrap.json"


def test_named_package_lock_beside_a_shrinkwrap_audits_the_shrinkwrap(tmp_path: Path) -> None:
    """Attacker: add a shrinkwrap next to the reviewed package-lock.json."""
    lock = tmp_path / "package-lock.json"
    lock.write_text("{}")
    assert choose_lockfile(lock, Path("/")) == LockfileChoice(lock)
    (tmp_path / "npm-shrinkwrap.json").write_text('{"lockfileVersion": 3}')
    for arg in (lock, tmp_path, Path("package-lock.json")):
        choice = choose_lockfile(arg, tmp_path)
        assert choice.path == tmp_path / "npm-shrinkwrap.json", arg
        assert choice.requested == lock


def test_empty_shrinkwrap_is_ignored_like_npm_does(tmp_path: Path) -> None:
    lock = tmp_path / "package-lock.json"
    lock.write_text("{}")
    (tmp_path / "npm-shrinkwrap.json").write_bytes(b"")
    assert choose_lockfile(None, tmp_path) == LockfileChoice(lock)
    # A shrinkwrap of blanks is not empty for npm: it fails to parse it (npm ci fails).
    (tmp_path / "npm-shrinkwrap.json").write_bytes(b" ")
    assert choose_lockfile(None, tmp_path).path == tmp_path / "npm-shrinkwrap.json"


def test_unreadable_shrinkwrap_names_both_files(tmp_path: Path) -> None:
    lock = tmp_path / "package-lock.json"
    lock.write_text("{}")
    (tmp_path / "npm-shrinkwrap.json").mkdir()  # npm's readFile fails: npm ci fails
    with pytest.raises(LockfileError) as info:
        choose_lockfile(lock, tmp_path)
    message = str(info.value)
    assert "npm-shrinkwrap.json" in message and "package-lock.json" in message
    assert "\n" not in message
    (tmp_path / "npm-shrinkwrap.json").rmdir()
    # npm reads a shrinkwrap that does not exist (ENOENT, a dangling link too) as none.
    (tmp_path / "npm-shrinkwrap.json").symlink_to(tmp_path / "nowhere")
    assert choose_lockfile(None, tmp_path) == LockfileChoice(lock)


def test_other_file_names_are_audited_as_given(tmp_path: Path) -> None:
    (tmp_path / "npm-shrinkwrap.json").write_text("{}")
    base = tmp_path / "base.json"
    base.write_text("{}")
    assert choose_lockfile(base, tmp_path) == LockfileChoice(base)
    shrinkwrap = tmp_path / "npm-shrinkwrap.json"
    assert choose_lockfile(shrinkwrap, tmp_path) == LockfileChoice(shrinkwrap)


def test_default_none_found(tmp_path: Path) -> None:
    with pytest.raises(LockfileError) as info:
        find_lockfile(None, tmp_path)
    assert str(info.value) == (
        f"no package-lock.json or npm-shrinkwrap.json in {tmp_path} "
        "(nor pnpm-lock.yaml, yarn.lock, bun.lock or bun.lockb)"
    )


def test_explicit_argument(tmp_path: Path) -> None:
    lock = tmp_path / "custom.json"
    lock.write_text("{}")
    assert find_lockfile(lock, Path("/elsewhere")) == lock
    assert find_lockfile(Path("custom.json"), tmp_path) == lock  # relative to cwd
    with pytest.raises(LockfileError, match=r"missing\.json: no such lockfile"):
        find_lockfile(Path("missing.json"), tmp_path)


def test_directory_argument_is_searched(tmp_path: Path) -> None:
    (tmp_path / "npm-shrinkwrap.json").write_text("{}")
    assert find_lockfile(tmp_path, Path("/")) == tmp_path / "npm-shrinkwrap.json"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LockfileError, match=r"no package-lock\.json or npm-shrinkwrap\.json in"):
        find_lockfile(empty, tmp_path)
