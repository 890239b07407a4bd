"""Reading the base lockfile: a file (`--base`) or the lockfile at a git ref (`--base-ref`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from auditor.errors import UsageError
from auditor.models import Lockfile

GIT_TIMEOUT = 60.0  # seconds per git command; a hung git must not hang a CI job
MAX_BASE_BYTES = 512 * 1024 * 1024  # refuse to load a base lockfile blob larger than this


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


def _git_read(ref: str, lockfile_path: Path) -> tuple[bytes | None, str]:
    """(blob bytes or None when the file does not exist at `ref`, "REF:path" label)."""
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r"):
        # A leading '-' would be read by git as an option.
        raise UsageError(f"--base-ref: not a git ref: {ref!r}")
    lockfile = lockfile_path.resolve()
    cwd = lockfile.parent
    if not cwd.is_dir():
        raise UsageError(f"--base-ref: no such directory: {cwd}")
    top = _git(cwd, "rev-parse", "--show-toplevel", what="not a git repository").strip()
    try:
        rel = lockfile.relative_to(Path(os.fsdecode(top)).resolve()).as_posix()
    except ValueError:
        raise UsageError(f"--base-ref: {lockfile_path} is outside the git work tree") from None
    # Commit first, so an unknown ref (or a shallow clone lacking it) is told as such.
    _git(
        cwd,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{ref}^{{commit}}",
        what=f"unknown git ref {ref!r} (a shallow clone? fetch with fetch-depth: 0)",
    )
    label = f"{ref}:{rel}"
    listing = _git(
        cwd,
        "ls-tree",
        "-z",
        "--full-tree",
        "--end-of-options",
        ref,
        "--",
        rel,
        what=f"cannot list {label}",
    )
    if not listing:
        return None, label
    if listing.split(b" ", 1)[0] not in (b"100644", b"100755"):
        # A tree, a submodule or a symlink (whose blob is the link target, not JSON).
        raise UsageError(f"--base-ref: {label} is not a regular file")
    size_text = _git(cwd, "cat-file", "-s", label, what=f"cannot read {label}").strip()
    if int(size_text or b"0") > MAX_BASE_BYTES:
        raise UsageError(f"--base-ref: {label} is larger than {MAX_BASE_BYTES} bytes")
    return _git(cwd, "show", label, what=f"cannot read {label}"), label


def _git(cwd: Path, *args: str, what: str) -> bytes:
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
        raise UsageError("--base-ref needs git, which is not on PATH") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--base-ref: git {args[0]} timed out after {GIT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise UsageError(f"--base-ref: cannot run git: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        detail = _first_line(proc.stderr)
        raise UsageError(f"--base-ref: {what}" + (f": {detail}" if detail else ""))
    return proc.stdout


def _first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            return line[:200]
    return ""
