"""Lockfile boundary: npm lockfile bytes -> `Lockfile`.  Raises only `LockfileError`."""

from auditor.lockfile.parser import (
    LockfileChoice,
    choose_lockfile,
    find_lockfile,
    parse_lockfile,
    parse_lockfile_bytes,
)

__all__ = [
    "LockfileChoice",
    "choose_lockfile",
    "find_lockfile",
    "parse_lockfile",
    "parse_lockfile_bytes",
]
