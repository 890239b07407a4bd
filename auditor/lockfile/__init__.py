"""Lockfile boundary: npm lockfile bytes -> `Lockfile`.  Raises only `LockfileError`."""

from auditor.lockfile.parser import find_lockfile, parse_lockfile, parse_lockfile_bytes

__all__ = ["find_lockfile", "parse_lockfile", "parse_lockfile_bytes"]
