"""npm's package-lock.json / npm-shrinkwrap.json (lockfileVersion 1, 2, 3).

The parser itself is `auditor.lockfile.parser`; this module only registers it.
"""

from __future__ import annotations

from auditor.lockfile.formats.base import LockfileFormat, text_head
from auditor.lockfile.parser import LOCKFILE_NAMES, parse_lockfile_bytes


def sniff(file_name: str, head: bytes) -> bool:
    # npm's files are JSON objects; other JSON lockfiles (bun.lock) are sniffed first.
    return text_head(head).lstrip().startswith("{")


FORMAT = LockfileFormat(
    name="npm",
    file_names=LOCKFILE_NAMES,
    description="an npm lockfile",
    sniff=sniff,
    parse=parse_lockfile_bytes,
)
