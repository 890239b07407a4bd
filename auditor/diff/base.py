"""Reading the base lockfile: a file (`--base`) or the lockfile at a git ref (`--base-ref`).

`GitRef` is the one way files are read at a git ref (also the audit configuration, see
`auditor.diff.baseconfig`): no work-tree file and no symlink is followed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from auditor.errors import UsageError
from auditor.models import Lockfile

GIT_TIMEOUT = 60.0  # seconds per git command; a hung git must not hang a CI job
MAX_BASE_BYTES = 512 * 1024 * 1024  # refuse to load a base lockfile blob larger than this
# Where the base lockfile is looked for when the head's path is not in the base: every
# package manager's lockfile name, in `auditor.lockfile.discovery.MANAGERS` order, but
# Bun's binary file, which cannot be read (the base is then empty: every package added).
BASE_FALLBACK_NAMES = (
    "npm-shrinkwrap.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
)


def read_base_lockfile(
    base: Path | None, base_ref: str | None, lockfile_path: Path
) -> Lockfile | None:
    """The base lockfile to compare `lockfile_path` with, or None without a base.

    A lockfile missing at `base_ref` means every package was added (an empty Lockfile).
    Raises UsageError (not a git repository, unknown ref, git missing or failing) and
    LockfileError (the base does not parse).
    """
    if base is not None:
        from auditor.lockfile import parse_lockfile

        return parse_lockfile(base)
    if base_ref is None:
        return None
    data, label = _git_read(base_ref, lockfile_path)
    if data is None:
        return Lockfile(path=label, lockfile_version=0, name=None, packages=())
    from auditor.lockfile import parse_lockfile_bytes

    return parse_lockfile_bytes(data, label)


class GitRef:
    """A commit of the git repository that contains `where` (a directory).

    Raises UsageError (prefixed with `option`) when git is missing, `where` is not in a
    work tree, or `ref` names no commit (a shallow clone lacking it is told as such).
    """

    def __init__(self, ref: str, where: Path, option: str = "--base-ref") -> None:
        self.option = option
        if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r"):
            # A leading '-' would be read by git as an option.
            raise UsageError(f"{option}: not a git ref: {ref!r}")
        if not where.is_dir():
            raise UsageError(f"{option}: no such directory: {where}")
        self.ref = ref
        self.cwd = where
        top = self._git("rev-parse", "--show-toplevel", what="not a git repository").strip()
        self.top = Path(os.fsdecode(top)).resolve()
        # Commit first, so an unknown ref is told as such.
        self._git(
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            f"{ref}^{{commit}}",
            what=(
                f"unknown git ref {ref!r} (a shallow clone? fetch that commit alone: "
                "git fetch --depth=1 origin <sha>)"
            ),
        )

    def relative(self, path: Path) -> str | None:
        """`path` relative to the work tree's top (posix), or None when outside it.

        Lexical: symlinks inside the work tree (which a pull request controls) are not
        followed; the path names the file the base has at that place.  Only the part of
        the path down to the work tree's top is resolved.
        """
        lexical = Path(os.path.normpath(Path.cwd() / path))
        parts = lexical.parts
        for i in range(1, len(parts)):
            if Path(*parts[:i]).resolve() == self.top:
                return Path(*parts[i:]).as_posix()
        return None

    def label(self, rel: str) -> str:
        return f"{self.ref}:{rel}"

    def exists(self, rel: str) -> bool:
        """Whether the ref has anything at `rel`."""
        listing = self._git(
            "ls-tree", "-z", "--full-tree", "--end-of-options", self.ref, "--", rel,
            what=f"cannot list {self.label(rel)}",
        )  # fmt: skip
        return bool(listing)

    def read(self, rel: str, max_bytes: int) -> bytes | None:
        """The blob at `ref:rel`, or None when no file is there.  UsageError when it is
        not a regular file (a tree, submodule or symlink) or larger than `max_bytes`."""
        label = self.label(rel)
        listing = self._git(
            "ls-tree",
            "-z",
            "--full-tree",
            "--end-of-options",
            self.ref,
            "--",
            rel,
            what=f"cannot list {label}",
        )
        if not listing:
            return None
        if listing.split(b" ", 1)[0] not in (b"100644", b"100755"):
            # A tree, a submodule or a symlink (whose blob is the link target).
            raise UsageError(f"{self.option}: {label} is not a regular file")
        size_text = self._git("cat-file", "-s", label, what=f"cannot read {label}").strip()
        if int(size_text or b"0") > max_bytes:
            raise UsageError(f"{self.option}: {label} is larger than {max_bytes} bytes")
        return self._git("show", label, what=f"cannot read {label}")

    def _git(self, *args: str, what: str) -> bytes:
        return _git(self.cwd, *args, what=what, option=self.option)


def _git_read(ref: str, lockfile_path: Path) -> tuple[bytes | None, str]:
    """(blob bytes or None when the file does not exist at `ref`, "REF:path" label)."""
    lockfile = lockfile_path.resolve()
    at = GitRef(ref, lockfile.parent)
    try:
        rel = lockfile.relative_to(at.top).as_posix()
    except ValueError:
        raise UsageError(f"--base-ref: {lockfile_path} is outside the git work tree") from None
    data = at.read(rel, MAX_BASE_BYTES)
    if data is not None:
        return data, at.label(rel)
    # Not there at the ref: a migration between package managers (package-lock.json to
    # pnpm-lock.yaml) leaves the base's lockfile under its own name in the same directory.
    # The first in the managers' order that the ref has is compared, read by its format.
    folder = rel.rpartition("/")[0]
    for name in BASE_FALLBACK_NAMES:
        other = f"{folder}/{name}" if folder else name
        if other == rel:
            continue
        data = at.read(other, MAX_BASE_BYTES)
        if data:  # an empty file (a shrinkwrap npm ignores) is no lockfile
            return data, at.label(other)
    return None, at.label(rel)


def _git(cwd: Path, *args: str, what: str, option: str = "--base-ref") -> bytes:
    """Run git; on failure raise a one-line UsageError starting with `what`."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_PAGER="cat")
    # A lockfile's GIT_DIR/GIT_WORK_TREE from the caller would point git elsewhere.
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(var, None)
    try:
        proc = subprocess.run(
            ["git", "--no-pager", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError(f"{option} needs git, which is not on PATH") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{option}: git {args[0]} timed out after {GIT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise UsageError(f"{option}: cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        detail = _first_line(proc.stderr)
        raise UsageError(f"{option}: {what}" + (f": {detail}" if detail else ""))
    return proc.stdout


def _first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            return line[:200]
    return ""
