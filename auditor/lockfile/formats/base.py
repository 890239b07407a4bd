"""What a lockfile format is: the contract every format module implements.

A format is a small value: its `name` (reported as `lockfile_format`), the file names its
package manager writes, a content check, and a parser.  The registry of formats is the
list in `auditor/lockfile/formats/__init__.py`; adding a format is one module and one line
there (docs/lockfile.md, "Lockfile formats").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.errors import LockfileError
from auditor.models import Lockfile

# How much of the file `sniff` sees: enough for every format's header.
HEAD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class LockfileFormat:
    """One lockfile format.

    `sniff(file_name, head)` answers "is this file of mine?" from its base name and its
    first `HEAD_BYTES` bytes (e.g. a Berry `yarn.lock` has `__metadata`, a classic one does
    not); it never raises.  `parse(data, path)` turns the whole file into a `Lockfile`
    whose `format` is `name`, raising only `LockfileError` with a one-line message that
    starts `path:line:` when a line is known.  `path` is used only in messages and
    `Lockfile.path`.
    """

    name: str  # "npm", "pnpm", "yarn-classic", "yarn-berry", "bun", ...
    file_names: tuple[str, ...]  # names the package manager writes; tried first, in order
    description: str  # "a pnpm lockfile": how messages name the file
    sniff: Callable[[str, bytes], bool]
    parse: Callable[[bytes, str], Lockfile]


def placeholder(
    name: str, file_names: tuple[str, ...], description: str, sniff: Callable[[str, bytes], bool]
) -> LockfileFormat:
    """A format that is recognised but not read yet: a clear error instead of a misparse."""

    def parse(data: bytes, path: str) -> Lockfile:
        raise LockfileError(f"{path}: {description} ({name}); audit cannot read this format yet")

    return LockfileFormat(name, file_names, description, sniff, parse)


def text_head(head: bytes) -> str:
    """The head as text for sniffing (a BOM and undecodable bytes are harmless here)."""
    return head.decode("utf-8", "replace").lstrip("\ufeff")


def every_line(pattern: re.Pattern[str], text: str) -> list[Any] | None:
    """`pattern.findall(text)`: one match per line when `pattern` (MULTILINE, `^...$`) reads
    every line of `text`, else None: `findall` skips a line of another form, which shows in
    the count.  A carriage return is None too (the line readers leave CRLF to the exact
    readers)."""
    if "\r" in text:
        return None
    found = pattern.findall(text)
    if len(found) != text.count("\n") + 1:
        return None
    return found


class EntryError(Exception):
    """What is wrong with one lockfile entry, without where it is: the parser adds the
    entry's `file:line: 'key'` when it catches it (built only for an error, not per entry)."""
