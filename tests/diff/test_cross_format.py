"""Pull-request mode across lockfile formats: a migration is a change of package set."""

from __future__ import annotations

import base64
import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.diff import base as base_mod
from auditor.diff import diff_lockfiles, plan_diff, read_base_lockfile
from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile
from auditor.models import Lockfile, Package, SourceKind, check_integrity
from tests.conftest import FIXTURES
from tests.diff.test_base import git, lockfile_doc

_SRI = "sha512-" + "A" * 86 + "=="


def _reg(name: str, version: str, integrity: str | None = _SRI, **kw: object) -> Package:
    check = check_integrity(integrity)
    return Package(
        name=name,
        version=version,
        source=SourceKind.REGISTRY,
        integrity=integrity,
        hashes=check.hashes,
        integrity_reason=check.reason,
        **kw,  # type: ignore[arg-type]
    )


def _lock(fmt: str, *packages: Package) -> Lockfile:
    return Lockfile(path=f"x.{fmt}", lockfile_version=1, name=None, packages=packages, format=fmt)


def _sri(text: str) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(text.encode()).digest()).decode()


def test_same_bytes_under_another_format_are_unchanged() -> None:
    npm = _lock("npm", _reg("a", "1.0.0", resolved="http://127.0.0.1:4873/a/-/a-1.0.0.tgz"))
    pnpm = _lock("pnpm", _reg("a", "1.0.0", resolved=None))
    assert diff_lockfiles(npm, pnpm) == ()
    # Within one format the resolved URL stays part of the identity (npm fetches it).
    assert [c.kind for c in diff_lockfiles(npm, replace(pnpm, format="npm"))] == ["updated"]


def test_migration_with_other_bytes_or_versions_is_audited() -> None:
    """Attacker: the migration swaps a package's bytes while keeping its version."""
    npm = _lock("npm", _reg("a", "1.0.0", _sri("good")), _reg("b", "1.0.0"), _reg("c", "1.0.0"))
    pnpm = _lock("pnpm", _reg("a", "1.0.0", _sri("evil")), _reg("b", "1.1.0"), _reg("d", "2.0.0"))
    kinds = [(str(c.kind), c.name, c.before, c.after) for c in diff_lockfiles(npm, pnpm)]
    assert kinds == [
        ("updated", "a", "1.0.0", "1.0.0"),
        ("updated", "b", "1.0.0", "1.1.0"),
        ("removed", "c", "1.0.0", None),
        ("added", "d", None, "2.0.0"),
    ]


def test_unpinned_packages_are_never_unchanged_across_formats() -> None:
    """A Berry entry (no integrity) pins no bytes: audited again, not trusted as before."""
    before = _lock("yarn-classic", _reg("a", "1.0.0", None))
    after = _lock("yarn-berry", _reg("a", "1.0.0", None))
    changes = diff_lockfiles(before, after)
    assert [(str(c.kind), c.name) for c in changes] == [("updated", "a")]
    pinned = _lock("npm", _reg("a", "1.0.0"))
    assert [str(c.kind) for c in diff_lockfiles(pinned, after)] == ["updated"]


def test_base_ref_falls_back_to_the_directory_s_other_lockfile(tmp_path: Path) -> None:
    """After a migration the head's file name is not in the base: the same directory's
    lockfile the base had is compared (read by its own format)."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "app" / "package-lock.json").write_text(lockfile_doc(a="1.0.0"))
    (root / "app" / "yarn.lock").write_text("")  # empty: not a lockfile, skipped
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    head = root / "app" / "npm-shrinkwrap.json"
    head.write_text(lockfile_doc(a="1.0.0", b="2.0.0"))
    data, label = base_mod._git_read("HEAD", head)
    assert label == "HEAD:app/package-lock.json" and data is not None
    base = read_base_lockfile(None, "HEAD", head)
    assert base is not None and [p.spec for p in base.packages] == ["a@1.0.0"]
    # Nothing of any name at the ref: every package is added.
    other = root / "other" / "pnpm-lock.yaml"
    other.parent.mkdir()
    assert base_mod._git_read("HEAD", other) == (None, "HEAD:other/pnpm-lock.yaml")


# --------------------------------------------------------------------------- real lockfiles
# fixtures/lockfiles/migration: one project written by npm 11 (package-lock.json, and an
# older state with debug 4.4.0 and semver 7.5.4) and by pnpm 10 (pnpm-lock.yaml, the
# lockfile of fixtures/lockfiles/pnpm/simple), registry URLs on loopback.
MIGRATION = FIXTURES / "lockfiles" / "migration"


def _parse_or_skip(path: Path) -> Lockfile:
    try:
        return parse_lockfile(path)
    except LockfileError as exc:  # pnpm's format is read by its own module once it lands
        pytest.skip(str(exc))


def _specs(lockfile: Lockfile) -> set[tuple[str, str]]:
    return {(p.name, p.version) for p in lockfile.packages}


def test_real_npm_to_pnpm_migration_of_the_same_project_changes_nothing() -> None:
    npm = _parse_or_skip(MIGRATION / "npm" / "package-lock.json")
    pnpm = _parse_or_skip(MIGRATION / "pnpm" / "pnpm-lock.yaml")
    assert (npm.format, pnpm.format) == ("npm", "pnpm")
    assert _specs(npm) == _specs(pnpm)
    assert diff_lockfiles(npm, pnpm) == ()


def test_real_migration_with_upgrades_at_a_git_ref(tmp_path: Path) -> None:
    """The pull request replaces package-lock.json by pnpm-lock.yaml and upgrades two
    packages: the base is read at the ref under its own name and format, and exactly the
    upgrades are audited."""
    older = _parse_or_skip(MIGRATION / "npm-older" / "package-lock.json")
    head_lock = _parse_or_skip(MIGRATION / "pnpm" / "pnpm-lock.yaml")
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    shutil.copy(MIGRATION / "npm-older" / "package-lock.json", root / "app")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    (root / "app" / "package-lock.json").unlink()
    shutil.copy(MIGRATION / "pnpm" / "pnpm-lock.yaml", root / "app")
    base = read_base_lockfile(None, "main", root / "app" / "pnpm-lock.yaml")
    assert base is not None and base.path == "main:app/package-lock.json"
    assert base.format == "npm" and _specs(base) == _specs(older)
    plan = plan_diff(head_lock, base)
    changed = {(str(c.kind), c.name, c.before, c.after) for c in plan.changes}
    assert changed == {
        ("updated", "debug", "4.4.0", "4.4.3"),
        ("updated", "semver", "7.5.4", "7.6.0"),
    } | {
        ("removed", n, v, None)
        for n, v in _specs(older) - _specs(head_lock)
        if n not in ("debug", "semver")
    } | {
        ("added", n, None, v)
        for n, v in _specs(head_lock) - _specs(older)
        if n not in ("debug", "semver")
    }
    assert {p.spec for p in plan.audit} == {f"{n}@{a}" for k, n, _, a in changed if a}
    assert all(p.line > 0 for p in plan.audit)  # head (pnpm-lock.yaml) lines for SARIF
