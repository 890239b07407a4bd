"""Which lockfile a directory's package manager reads, and every lockfile under a tree (-r)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import choose_lockfile, discovery, walk_lockfiles


def _touch(directory: Path, *names: str, text: str = "{}") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text(text)


def _manifest(directory: Path, doc: object) -> None:
    (directory / "package.json").write_text(json.dumps(doc))


@pytest.mark.parametrize("name", ["pnpm-lock.yaml", "yarn.lock", "bun.lock", "package-lock.json"])
def test_one_managers_lockfile_is_found_without_a_note(tmp_path: Path, name: str) -> None:
    _touch(tmp_path, name)
    choice = choose_lockfile(None, tmp_path)
    assert choice.path == tmp_path / name and choice.note is None


def test_bun_reads_bun_lock_before_the_binary_file(tmp_path: Path) -> None:
    _touch(tmp_path, "bun.lock", "bun.lockb")
    assert choose_lockfile(tmp_path, Path("/")).path == tmp_path / "bun.lock"
    named = choose_lockfile(Path("bun.lockb"), tmp_path)
    assert named.path == tmp_path / "bun.lock" and named.requested == tmp_path / "bun.lockb"
    assert named.note is not None and "Bun reads bun.lock" in named.note


def test_a_named_lockfile_of_any_format_is_audited_as_named(tmp_path: Path) -> None:
    _touch(tmp_path, "pnpm-lock.yaml", "package-lock.json")
    assert choose_lockfile(Path("pnpm-lock.yaml"), tmp_path).path == tmp_path / "pnpm-lock.yaml"
    assert choose_lockfile(Path("pnpm-lock.yaml"), tmp_path).note is None


def test_several_managers_without_a_decision_are_said(tmp_path: Path) -> None:
    _touch(tmp_path, "package-lock.json", "pnpm-lock.yaml", "yarn.lock")
    choice = choose_lockfile(None, tmp_path)
    assert choice.path == tmp_path / "package-lock.json"
    assert choice.note is not None
    assert "no packageManager in package.json decides" in choice.note
    assert "not audited: pnpm-lock.yaml, yarn.lock" in choice.note and "-r" in choice.note


@pytest.mark.parametrize(
    "manifest",
    [
        {"packageManager": "pnpm@10.34.9+sha512.abc"},
        {"devEngines": {"packageManager": {"name": "pnpm", "version": "10"}}},
        {"devEngines": {"packageManager": [{"name": "pnpm"}, {"name": "npm"}]}},
    ],
)
def test_package_manager_field_decides_and_is_said(tmp_path: Path, manifest: object) -> None:
    _touch(tmp_path, "package-lock.json", "pnpm-lock.yaml")
    _manifest(tmp_path, manifest)
    choice = choose_lockfile(None, tmp_path)
    assert choice.path == tmp_path / "pnpm-lock.yaml"
    assert choice.note is not None and "names pnpm" in choice.note
    assert "not audited: package-lock.json" in choice.note


def test_a_declared_manager_without_its_lockfile_does_not_hide_the_others(tmp_path: Path) -> None:
    _touch(tmp_path, "package-lock.json", "bun.lock")
    _manifest(tmp_path, {"packageManager": "yarn@4.18.1"})
    choice = choose_lockfile(None, tmp_path)
    assert choice.path == tmp_path / "package-lock.json"
    assert choice.note is not None and "names yarn, which has no lockfile here" in choice.note


@pytest.mark.parametrize(
    "text", ["", "[", "[]", '{"packageManager": 1}', '{"packageManager": "@evil/pnpm@1"}', "x" * 10]
)
def test_a_hostile_manifest_decides_nothing(tmp_path: Path, text: str) -> None:
    _touch(tmp_path, "package-lock.json", "pnpm-lock.yaml")
    (tmp_path / "package.json").write_text(text)
    choice = choose_lockfile(None, tmp_path)
    assert choice.path == tmp_path / "package-lock.json"
    assert choice.note is not None and "no packageManager" in choice.note


def test_shrinkwrap_precedence_holds_beside_other_managers(tmp_path: Path) -> None:
    _touch(tmp_path, "package-lock.json", "npm-shrinkwrap.json", "yarn.lock")
    choice = choose_lockfile(None, tmp_path)
    assert choice.path == tmp_path / "npm-shrinkwrap.json"
    assert choice.note is not None and "yarn.lock" in choice.note


def test_walk_finds_every_installed_lockfile_in_path_order(tmp_path: Path) -> None:
    _touch(tmp_path, "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml")
    _touch(tmp_path / "apps" / "web", "bun.lock", "bun.lockb")
    _touch(tmp_path / "apps" / "api", "yarn.lock")
    _touch(tmp_path / "node_modules" / "dep", "package-lock.json")
    _touch(tmp_path / ".git" / "x", "package-lock.json")
    _touch(tmp_path / "apps" / "web" / "node_modules" / "y", "yarn.lock")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    _touch(outside, "package-lock.json")
    os.symlink(outside, tmp_path / "linked")
    found = [c.path.relative_to(tmp_path).as_posix() for c in walk_lockfiles(tmp_path)]
    assert found == [
        "npm-shrinkwrap.json",  # npm installs from it, not package-lock.json
        "pnpm-lock.yaml",
        "apps/api/yarn.lock",
        "apps/web/bun.lock",  # Bun reads it, not bun.lockb
    ]


def test_walk_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(5):
        _touch(tmp_path / f"d{i}", "package-lock.json")
    monkeypatch.setattr(discovery, "MAX_WALK_DIRS", 3)
    with pytest.raises(LockfileError, match="more than 3 directories"):
        walk_lockfiles(tmp_path)
    monkeypatch.setattr(discovery, "MAX_WALK_DIRS", 100)
    monkeypatch.setattr(discovery, "MAX_LOCKFILES", 2)
    with pytest.raises(LockfileError, match="more than 2 lockfiles"):
        walk_lockfiles(tmp_path)
    monkeypatch.setattr(discovery, "MAX_LOCKFILES", 100)
    monkeypatch.setattr(discovery, "MAX_WALK_DEPTH", 0)
    assert walk_lockfiles(tmp_path) == []


def test_walk_of_a_file_is_an_error(tmp_path: Path) -> None:
    _touch(tmp_path, "package-lock.json")
    with pytest.raises(LockfileError, match="not a directory"):
        walk_lockfiles(tmp_path / "package-lock.json")


def _member(root: Path, rel: str) -> Path:
    member = root / rel
    member.mkdir(parents=True)
    _manifest(member, {"name": rel.rsplit("/", 1)[-1], "version": "1.0.0"})
    return member


@pytest.mark.parametrize(
    "workspaces", [["packages/*"], ["./packages/a/"], {"packages": ["packages/*"]}]
)
def test_a_workspace_member_is_installed_from_its_root_lockfile(
    tmp_path: Path, workspaces: object
) -> None:
    (tmp_path / ".git").mkdir()
    _touch(tmp_path, "package-lock.json")
    _manifest(tmp_path, {"name": "root", "workspaces": workspaces})
    member = _member(tmp_path, "packages/a")
    choice = choose_lockfile(member, Path("/"))
    assert choice.path == tmp_path / "package-lock.json"
    assert choice.note is not None and "workspace root" in choice.note and "npm" in choice.note


@pytest.mark.parametrize(
    ("files", "expected"),
    [(("pnpm-lock.yaml", "pnpm-workspace.yaml"), "pnpm-lock.yaml"), (("yarn.lock",), "yarn.lock")],
)
def test_pnpm_and_yarn_workspace_roots(
    tmp_path: Path, files: tuple[str, ...], expected: str
) -> None:
    _touch(tmp_path, *files)
    _manifest(tmp_path, {"name": "root"})
    member = _member(tmp_path, "apps/web")
    assert choose_lockfile(None, member).path == tmp_path / expected


def test_a_lockfile_above_that_does_not_claim_the_directory_is_not_its(tmp_path: Path) -> None:
    """Attacker-free but easy to get wrong: another project's lockfile above is not this
    project's; a pnpm lockfile without pnpm-workspace.yaml is not a workspace's either."""
    _touch(tmp_path, "package-lock.json", "pnpm-lock.yaml")
    _manifest(tmp_path, {"name": "root", "workspaces": ["packages/*"]})
    outside = _member(tmp_path, "tools/x")
    with pytest.raises(LockfileError, match=r"no package-lock\.json"):
        choose_lockfile(outside, Path("/"))
    # Not a package at all: nothing installs it.
    (tmp_path / "packages" / "docs").mkdir(parents=True)
    with pytest.raises(LockfileError, match=r"no package-lock\.json"):
        choose_lockfile(tmp_path / "packages" / "docs", Path("/"))


def test_the_search_stops_at_the_repository_top(tmp_path: Path) -> None:
    _touch(tmp_path, "yarn.lock")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    member = _member(repo, "pkg")
    with pytest.raises(LockfileError, match=r"no package-lock\.json"):
        choose_lockfile(member, Path("/"))
