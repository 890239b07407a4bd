from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import find_lockfile


def test_default_prefers_package_lock(tmp_path: Path) -> None:
    (tmp_path / "npm-shrinkwrap.json").write_text("{}")
    assert find_lockfile(None, tmp_path) == tmp_path / "npm-shrinkwrap.json"
    (tmp_path / "package-lock.json").write_text("{}")
    # The contract: package-lock.json first (npm itself would take the shrinkwrap).
    assert find_lockfile(None, tmp_path) == tmp_path / "package-lock.json"


def test_default_none_found(tmp_path: Path) -> None:
    with pytest.raises(LockfileError) as info:
        find_lockfile(None, tmp_path)
    assert str(info.value) == f"no package-lock.json or npm-shrinkwrap.json in {tmp_path}"


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
