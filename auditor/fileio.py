"""Atomic file writes, shared by the response cache, `audit fetch` and the report writer."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(
    path: Path,
    *chunks: bytes,
    dir_mode: int = 0o777,
    file_mode: int | None = None,
    fsync: bool = False,
) -> None:
    """Write `chunks` to `path` through a temp file and `os.replace`: readers see the old
    file or the complete new one, never half of it.  Parent directories are created with
    `dir_mode`; `file_mode` replaces mkstemp's 0600.  Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=dir_mode)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        if file_mode is not None:
            os.chmod(tmp, file_mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
