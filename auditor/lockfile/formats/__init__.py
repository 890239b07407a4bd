"""The lockfile formats audit reads, and the choice among them.

`FORMATS` is the registry: one entry per format, in the order files are matched.  A file is
given to the first format that owns its base name and whose `sniff` accepts its head (a
`yarn.lock` is classic or Berry by content); a file under another name (`base.json`, a git
`ref:path` label) goes to the first format whose `sniff` accepts its content, npm's being
the fallback.  Adding a format: a module with a `FORMAT` (see `base.LockfileFormat`) and
its line below.
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import LockfileError
from auditor.fileio import read_regular
from auditor.lockfile.formats import bun, npm, pnpm, yarn_berry, yarn_classic
from auditor.lockfile.formats.base import HEAD_BYTES, LockfileFormat
from auditor.lockfile.parser import MAX_LOCKFILE_BYTES
from auditor.models import Lockfile

BUN_BINARY_MAGIC = b"#!/usr/bin/env bun\nbun-lockfile-format-v0\n"


def _bun_binary_sniff(file_name: str, head: bytes) -> bool:
    return head.startswith(BUN_BINARY_MAGIC)


def _bun_binary_parse(data: bytes, path: str) -> Lockfile:
    raise LockfileError(
        f"{path}: Bun's binary lockfile cannot be audited; write the text lockfile bun.lock "
        "in its place with `bun install --save-text-lockfile --frozen-lockfile --lockfile-only` "
        "(Bun 1.2 and later) and audit that"
    )


# The registry.
FORMATS: list[LockfileFormat] = [
    npm.FORMAT,
    pnpm.FORMAT,
    yarn_berry.FORMAT,
    yarn_classic.FORMAT,
    bun.FORMAT,
    LockfileFormat(
        "bun-binary", ("bun.lockb",), "a Bun binary lockfile", _bun_binary_sniff, _bun_binary_parse
    ),
]
# Read when no format's content check claims a file of an unknown name.
DEFAULT_FORMAT = npm.FORMAT


def file_name_of(path: str) -> str:
    """The base name of `path`, also of a git label `ref:dir/name`."""
    return path.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def owns_name(file_name: str) -> LockfileFormat | None:
    """The first format whose package manager writes files of this name."""
    return next((f for f in FORMATS if file_name in f.file_names), None)


def detect_format(file_name: str, head: bytes) -> LockfileFormat:
    """The format of a file, from its base name and its first bytes (never raises)."""
    head = head[:HEAD_BYTES]
    named = [f for f in FORMATS if file_name in f.file_names]
    if named:
        # The name decides the family; the content picks within it (yarn classic or
        # Berry).  When no sniff agrees, the first owner's parser says what is wrong.
        return next((f for f in named if f.sniff(file_name, head)), named[0])
    for fmt in FORMATS:
        if fmt is not DEFAULT_FORMAT and fmt.sniff(file_name, head):
            return fmt
    return DEFAULT_FORMAT


def parse_lockfile_bytes(data: bytes, path: str) -> Lockfile:
    """Parse lockfile bytes of any registered format.  Raises only `LockfileError`."""
    if len(data) > MAX_LOCKFILE_BYTES:  # one bound for every format's decoder
        raise LockfileError(f"{path}: larger than {MAX_LOCKFILE_BYTES // 2**20} MiB")
    return detect_format(file_name_of(path), data[:HEAD_BYTES]).parse(data, path)


def parse_lockfile(path: Path) -> Lockfile:
    """Read and parse a lockfile of any registered format.  Raises only `LockfileError`."""
    try:
        data = read_regular(path, MAX_LOCKFILE_BYTES)
    except OSError as exc:
        raise LockfileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_lockfile_bytes(data, str(path))


__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "LockfileFormat",
    "detect_format",
    "file_name_of",
    "owns_name",
    "parse_lockfile",
    "parse_lockfile_bytes",
]
