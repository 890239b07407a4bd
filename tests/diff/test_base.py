"""read_base_lockfile: --base FILE and --base-ref REF against a git repository made here."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from auditor.diff import base as base_mod
from auditor.diff import read_base_lockfile
from auditor.errors import UsageError

try:
    from auditor.lockfile import parse_lockfile_bytes  # noqa: F401

    HAVE_PARSER = True
except ImportError:  # the lockfile package is built in parallel
    HAVE_PARSER = False

needs_parser = pytest.mark.skipif(not HAVE_PARSER, reason="auditor.lockfile not available yet")


def lockfile_doc(**deps: str) -> str:
    packages: dict[str, object] = {"": {"name": "app", "version": "1.0.0"}}
    for name, version in deps.items():
        packages[f"node_modules/{name}"] = {
            "version": version,
            "resolved": f"http://127.0.0.1:4873/{name}/-/{name}-{version}.tgz",
            "integrity": "sha512-" + "A" * 86 + "==",
        }
    doc = {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": packages}
    return json.dumps(doc, indent=2) + "\n"


def git(cwd: Path, *args: str) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.test",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.test",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    out = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose first commit has app/package-lock.json with a@1.0.0."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "app" / "package-lock.json").write_text(lockfile_doc(a="1.0.0"))
    (root / "README").write_text("x\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    # The pull request: a is updated, b is added, not committed yet (as in pre-commit).
    (root / "app" / "package-lock.json").write_text(lockfile_doc(a="1.1.0", b="2.0.0"))
    return root


def test_no_base_is_none(tmp_path: Path) -> None:
    assert read_base_lockfile(None, None, tmp_path / "package-lock.json") is None


@needs_parser
def test_base_ref_reads_the_committed_lockfile(repo: Path) -> None:
    lock = repo / "app" / "package-lock.json"
    base = read_base_lockfile(None, "HEAD", lock)
    assert base is not None
    assert [p.spec for p in base.packages] == ["a@1.0.0"]
    assert base.path == "HEAD:app/package-lock.json"
    # Same from a symlinked or relative path spelling, and via the branch name.
    sha = git(repo, "rev-parse", "HEAD")
    again = read_base_lockfile(None, sha, repo / "app" / ".." / "app" / "package-lock.json")
    assert again is not None and [p.spec for p in again.packages] == ["a@1.0.0"]


@needs_parser
def test_base_file(tmp_path: Path) -> None:
    f = tmp_path / "base.json"
    f.write_text(lockfile_doc(z="0.1.0"))
    base = read_base_lockfile(f, None, tmp_path / "package-lock.json")
    assert base is not None and [p.spec for p in base.packages] == ["z@0.1.0"]


def test_lockfile_missing_at_ref_means_everything_added(repo: Path) -> None:
    new = repo / "other" / "package-lock.json"
    new.parent.mkdir()
    new.write_text(lockfile_doc(c="1.0.0"))
    base = read_base_lockfile(None, "HEAD", new)
    assert base is not None and base.packages == ()
    assert base.path == "HEAD:other/package-lock.json"


def test_git_read_returns_the_blob(repo: Path) -> None:
    data, label = base_mod._git_read("main", repo / "app" / "package-lock.json")
    assert label == "main:app/package-lock.json"
    assert data == lockfile_doc(a="1.0.0").encode()


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope", "--base-ref: unknown git ref 'nope'"),
        ("HEAD~5", "--base-ref: unknown git ref 'HEAD~5'"),
        ("--output=/tmp/x", "--base-ref: not a git ref: '--output=/tmp/x'"),
        ("", "--base-ref: not a git ref: ''"),
        ("a\nb", "--base-ref: not a git ref"),
    ],
)
def test_bad_refs_are_one_line_usage_errors(repo: Path, ref: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        read_base_lockfile(None, ref, repo / "app" / "package-lock.json")
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = tmp_path / "package-lock.json"
    lock.write_text(lockfile_doc())
    # Keep git from finding a repository above the temporary directory.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(UsageError, match=r"^--base-ref: not a git repository"):
        read_base_lockfile(None, "HEAD", lock)


def test_path_that_is_a_directory_at_ref(repo: Path) -> None:
    # At HEAD "app" is a directory; a lockfile named like it is not a regular file.
    weird = repo / "app"
    with pytest.raises(UsageError, match="is not a regular file"):
        base_mod._git_read("HEAD", weird)


def test_missing_git_and_timeouts_are_usage_errors(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = repo / "app" / "package-lock.json"
    monkeypatch.setenv("PATH", str(repo / "no-such-bin"))
    with pytest.raises(UsageError, match="needs git, which is not on PATH"):
        read_base_lockfile(None, "HEAD", lock)
    monkeypatch.undo()

    def slow(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="git", timeout=1)

    monkeypatch.setattr("auditor.diff.base.subprocess.run", slow)
    with pytest.raises(UsageError, match="timed out"):
        read_base_lockfile(None, "HEAD", lock)


def test_oversized_blob_is_refused(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base_mod, "MAX_BASE_BYTES", 10)
    with pytest.raises(UsageError, match="is larger than 10 bytes"):
        read_base_lockfile(None, "HEAD", repo / "app" / "package-lock.json")


def test_symlinked_lockfile_is_read_from_its_real_repository(repo: Path, tmp_path: Path) -> None:
    # The path resolves (via a symlink) into another repository: git runs there.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "package-lock.json").write_text(lockfile_doc())
    git(outside, "init", "-q")
    (repo / "link").symlink_to(outside)
    with pytest.raises(UsageError, match="unknown git ref"):
        # Resolved into the other (empty) repository, which has no HEAD commit.
        read_base_lockfile(None, "HEAD", repo / "link" / "package-lock.json")
