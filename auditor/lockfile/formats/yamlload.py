"""YAML for lockfiles: one loader, hostile input bounded, errors as `path:line: what`.

yaml-rs (Rust) loads a 5,000-package pnpm-lock.yaml in ~45 ms of CPU; PyYAML's CSafeLoader
(libyaml) takes ~1 s for the same file because PyYAML builds every node in Python
(`make bench` prints both).  PyYAML is the fallback when yaml-rs cannot be imported, and the
reference the tests compare yaml-rs with.

Hostile input: yaml-rs refuses duplicate keys, unknown tags and alias bombs, and limits flow
nesting, but deep *block* nesting overflows its stack (a crash, not an exception), so lines
whose indentation and block indicators nest deeper than any lockfile are refused first.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.errors import LockfileError

try:
    import yaml_rs

    LOADER = "yaml-rs"
except ImportError:  # pragma: no cover - the package depends on yaml-rs
    yaml_rs = None  # type: ignore[assignment]
    LOADER = ""

import yaml

try:
    _PY_LOADER: type[Any] = yaml.CSafeLoader
    PY_LOADER = "PyYAML CSafeLoader"
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _PY_LOADER = yaml.SafeLoader
    PY_LOADER = "PyYAML SafeLoader (no libyaml: slow)"
LOADER = LOADER or PY_LOADER

# The deepest block nesting accepted: pnpm's deepest line is indented 8 columns.
MAX_BLOCK_PREFIX = 128
# A literal newline first lets the regular expression engine skip ahead (no per-position `^`).
_DEEP = re.compile(rf"\n[ \t?:\-]{{{MAX_BLOCK_PREFIX}}}")
_LINE = re.compile(r"at line (\d+)")


def load_yaml(text: str, path: str, first_line: int = 1, *, reference: bool = False) -> object:
    """The one YAML document in `text` (which starts at line `first_line` of the file).

    `reference=True` uses PyYAML (tests compare the two).  Raises only `LockfileError`."""
    deep = _DEEP.search("\n" + text)
    if deep is not None:
        line = text.count("\n", 0, deep.start()) + first_line
        raise LockfileError(f"{path}:{line}: nested deeper than any lockfile")
    if yaml_rs is not None and not reference:
        try:
            return yaml_rs.loads(text, parse_datetime=False)
        except yaml_rs.YAMLDecodeError as exc:
            message = str(exc)
            found = _LINE.search(message)
            what = message.strip().splitlines()[-1].strip() if message.strip() else "invalid"
            if found is None:
                raise LockfileError(f"{path}: not valid YAML: {what[:200]}") from None
            line = int(found.group(1)) + first_line - 1
            raise LockfileError(f"{path}:{line}: not valid YAML: {what[:200]}") from None
    try:
        return yaml.load(text, Loader=_PY_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark is not None else first_line
        raise LockfileError(f"{path}:{line}: not valid YAML: {exc.problem or exc}") from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise LockfileError(f"{path}: not valid YAML: {str(exc)[:200]}") from None
