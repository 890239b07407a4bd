"""Lockfile boundary: lockfile bytes of any registered format -> `Lockfile`.

Raises only `LockfileError`.  The formats and how a file is matched to one:
`auditor.lockfile.formats`.
"""

from auditor.lockfile.discovery import choose_lockfile, find_lockfile, walk_lockfiles
from auditor.lockfile.formats import (
    FORMATS,
    LockfileFormat,
    detect_format,
    parse_lockfile,
    parse_lockfile_bytes,
)
from auditor.lockfile.parser import LockfileChoice

__all__ = [
    "FORMATS",
    "LockfileChoice",
    "LockfileFormat",
    "choose_lockfile",
    "detect_format",
    "find_lockfile",
    "parse_lockfile",
    "parse_lockfile_bytes",
    "walk_lockfiles",
]
