"""Configuration from the base: the audit's own configuration files that live in the
repository are read at a git ref, not from the work tree the pull request controls.

With `--base-ref REF` (or `--policy-from-ref REF`) every configuration file inside the
repository's work tree is read as `git show REF:path`:

- the npmrc files (the project `.npmrc` next to the lockfile; a user or global npmrc only
  when the environment points it inside the repository),
- the `--policy` file,
- the `--trusted-root` and `--npm-keys` files,
- the identity lock the policy's `[identity_lock] file` names.

Files outside the work tree (the CI's own npmrc, the environment) are the CI's and read as
they are.  A file the work tree has with other content than the ref (added, edited,
deleted, replaced by a symlink) is a `change-audit-config` finding naming it: the pull
request is changing the audit's configuration, which only takes effect after review.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.diff.base import GitRef
from auditor.errors import UsageError
from auditor.models import Finding, Level

if TYPE_CHECKING:
    from auditor.policy import Policy

MAX_CONFIG_BYTES = 16 * 1024 * 1024  # trust files are a few KiB; npmrc and policy 1 MiB

ROLE_NPMRC = "registry configuration"
ROLE_POLICY = "policy"
ROLE_TRUSTED_ROOT = "trusted root"
ROLE_NPM_KEYS = "npm registry keys"
ROLE_IDENTITY_LOCK = "identity lock"


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """One configuration file the audit read at the ref."""

    role: str
    rel: str  # path relative to the work tree's top
    path: Path  # where the work tree has it
    base: bytes | None  # its content at the ref; None when the ref has no such file


class BaseConfig:
    """Reads configuration files at `ref`; remembers each one for `findings`."""

    def __init__(self, at: GitRef) -> None:
        self.at = at
        self.ref = at.ref
        self.files: dict[str, ConfigFile] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def open(cls, ref: str, lockfile_path: Path, option: str) -> BaseConfig:
        """The repository is the lockfile's.  Raises UsageError (see `GitRef`)."""
        return cls(GitRef(ref, lockfile_path.resolve().parent, option))

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> BaseConfig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- reading at the ref

    def read(self, path: Path, role: str) -> tuple[bytes | None, str] | None:
        """(content at the ref or None, "REF:path"), or None when `path` is outside the
        work tree (then it is not the pull request's and is read as it is)."""
        rel = self.at.relative(path)
        if rel is None:
            return None
        known = self.files.get(rel)
        if known is None:
            known = ConfigFile(role, rel, path, self.at.read(rel, MAX_CONFIG_BYTES))
            self.files[rel] = known
        return known.base, self.at.label(rel)

    def npmrc(self, path: Path) -> tuple[bytes | None, str] | None:
        """The reader `resolve_npm_config` takes."""
        return self.read(path, ROLE_NPMRC)

    def policy(self, path: Path) -> Policy:
        """The policy at the ref; the built-in default when the ref has none there (the
        base had no policy: a pull request adding one is audited as the base would be)."""
        from auditor.policy import default_policy, load_policy, parse_policy

        got = self.read(path, ROLE_POLICY)
        if got is None:
            return load_policy(path)
        data, label = got
        if data is None:
            return default_policy()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            from auditor.errors import PolicyError

            raise PolicyError(f"{label}: policy is not UTF-8 text") from None
        return parse_policy(text, label)

    def trust_file(self, path: Path, role: str, option: str) -> Path:
        """A path holding the file's content at the ref (a private copy), or `path` itself
        when it is outside the work tree.  The ref must have it: a trust file the pull
        request adds would let it choose whom to trust."""
        got = self.read(path, role)
        if got is None:
            return path
        data, label = got
        if data is None:
            raise UsageError(f"{option} {path}: not in {label.rsplit(':', 1)[0]} ({label})")
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="auditor-base-")
        copy = Path(self._tmp.name) / f"{len(os.listdir(self._tmp.name))}-{path.name}"
        copy.write_bytes(data)
        return copy

    def scratch_dir(self) -> Path:
        """An empty directory outside the repository (to run `npm config get` in, so that
        npm does not read the work tree's .npmrc)."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="auditor-base-")
        scratch = Path(self._tmp.name) / "npm"
        scratch.mkdir(exist_ok=True)
        return scratch

    # ---------------------------------------------------------------- what the PR changed

    def changed(self) -> list[tuple[ConfigFile, str]]:
        """(file, "added" | "modified" | "deleted") for each file the work tree has
        otherwise than the ref, in path order."""
        out: list[tuple[ConfigFile, str]] = []
        for rel in sorted(self.files):
            f = self.files[rel]
            now = _work_tree_bytes(f.path)
            if now == f.base:
                continue
            kind = "added" if f.base is None else "deleted" if now is None else "modified"
            out.append((f, kind))
        return out

    def findings(self, policy: Policy) -> list[Finding]:
        """The `change-audit-config` findings (nothing read when the rule is off)."""
        from auditor.policy.rules import change_audit_config

        level = policy.level(change_audit_config.INFO.id)
        if level is Level.OFF:
            return []
        changed = ((f.rel, f.role, kind) for f, kind in self.changed())
        return change_audit_config.findings(changed, self.ref, level)


_NOT_A_FILE = b"\0not a regular file\0"  # never equal to a blob read from git


def _work_tree_bytes(path: Path) -> bytes | None:
    """The work tree's content of `path`: None when missing; never follows a symlink or
    blocks on a FIFO (either counts as a change)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        return _NOT_A_FILE
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CONFIG_BYTES:
        return _NOT_A_FILE
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return _NOT_A_FILE
    with os.fdopen(fd, "rb") as fh:
        return fh.read(MAX_CONFIG_BYTES + 1)
