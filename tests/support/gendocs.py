"""Generated sections of the docs: `make docs` rewrites them, a test checks they are current.

A section is the text between `<!-- generated: NAME (make docs) -->` and
`<!-- end generated: NAME -->`; `SECTIONS` says what each NAME holds.

    python -m tests.support.gendocs          rewrite the docs in place
    python -m tests.support.gendocs --check  exit 1 when a generated section is stale
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from auditor.reasons import markdown_table

ROOT = Path(__file__).resolve().parents[2]

# docs file -> {section name: what it holds}
SECTIONS: dict[str, dict[str, Callable[[], str]]] = {
    "docs/verification.md": {
        f"reason codes {table}": partial(markdown_table, table)
        for table in ("invalid", "signature", "error", "not-applicable")
    },
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- generated: {re.escape(name)} \(make docs\) -->\n)(.*?)"
        rf"(<!-- end generated: {re.escape(name)} -->)",
        re.S,
    )


def render(path: str, text: str) -> str:
    """`text` (the content of `path`) with every generated section regenerated."""
    for name, make in SECTIONS[path].items():
        pattern = _pattern(name)
        if pattern.search(text) is None:
            raise ValueError(f"{path}: no generated section {name!r}")
        start, end = pattern.search(text).span(2)  # type: ignore[union-attr]
        text = text[:start] + make() + text[end:]
    return text


def main(argv: list[str]) -> int:
    stale = []
    for path in SECTIONS:
        file = ROOT / path
        text = file.read_text(encoding="utf-8")
        fresh = render(path, text)
        if fresh != text:
            stale.append(path)
            if "--check" not in argv:
                file.write_text(fresh, encoding="utf-8")
    if stale and "--check" in argv:
        print(f"stale generated docs: {', '.join(stale)} (run make docs)")
        return 1
    print(f"{'rewrote' if stale else 'up to date:'} {', '.join(stale or SECTIONS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
