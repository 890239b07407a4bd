"""File writes, shared by the response cache, `audit fetch` and the report writer.

Two kinds of destination:

* Directories the attacker may have filled (the cache, an offline directory): `write_atomic`
  never follows a symlink (the parent is opened with `O_NOFOLLOW`, so a planted symlinked
  directory is refused) and never opens what is at the final name: the complete new file
  replaces whatever is there (a symlink, a FIFO, a device node) by `rename`.
* A report path the user named (`--output`, `--json`, ...): `write_output` replaces a regular
  file atomically, and writes *through* anything else that exists there, as a shell
  redirection would: `/dev/null` stays a device, `/dev/stdout` and `/dev/fd/N` reach the
  open stream, a FIFO gets the report once its reader opens it, and a symlink is followed
  to the file it names (updated in place, not atomically) instead of being replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path


def read_regular(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes + 1` bytes of an input file (lockfile, policy, npmrc).

    Symlinks are followed (a checked-in link to a file is fine), but what they reach must
    be a regular file: a FIFO would block the run forever and a device never ends, so both
    raise OSError (EINVAL).  The open itself never blocks (O_NONBLOCK).
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO or device)", str(path))
        return fh.read(max_bytes + 1)


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def write_atomic(
    path: Path,
    *chunks: bytes,
    dir_mode: int = 0o777,
    file_mode: int | None = None,
    fsync: bool = False,
) -> None:
    """Write `chunks` to `path` through a temp file and `rename`: readers see the old file
    or the complete new one, never half of it.  Parent directories are created with
    `dir_mode`; `file_mode` replaces the temp file's 0600.  Raises OSError (ELOOP or
    ENOTDIR when the parent is a symlink)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=dir_mode)
    dfd = os.open(path.parent, _DIR_FLAGS)
    try:
        tmp = f".{path.name[:64]}.{os.urandom(8).hex()}.tmp"
        fd = os.open(tmp, _NEW_FILE_FLAGS, 0o600, dir_fd=dfd)
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
                if file_mode is not None:
                    os.fchmod(fh.fileno(), file_mode)
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
    finally:
        os.close(dfd)


def write_output(path: Path, data: bytes, *, file_mode: int) -> None:
    """Write a report to a path the user named (see the module docstring).  Raises OSError."""
    try:
        is_link = stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        is_link = False
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not is_link and (st is None or stat.S_ISREG(st.st_mode)):
        write_atomic(path, data, file_mode=file_mode, fsync=True)
        return
    # O_TRUNC empties a file a symlink names; devices and FIFOs ignore it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOCTTY, file_mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
