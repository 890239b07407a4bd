"""Golden files under fixtures/golden/report/: compare, or rewrite with UPDATE_GOLDENS=1."""

from __future__ import annotations

import os
import re
from pathlib import Path

from auditor import __version__

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "golden" / "report"


def normalize(text: str, *, root: Path | None = None) -> str:
    """Replace what varies between machines and releases: the tool version, absolute paths."""
    if root is not None:
        text = text.replace(root.as_uri(), "file:///ROOT").replace(str(root), "/ROOT")
    # Only where the tool prints its own version: a package may have the same version.
    v = re.escape(__version__)
    names = "(?:auditor|npm-provenance-auditor)"
    text = re.sub(rf'("name": "{names}",\s*"version": "){v}"', r'\1<VERSION>"', text)
    text = re.sub(rf'"semanticVersion": "{v}"', '"semanticVersion": "<VERSION>"', text)
    return re.sub(rf"auditor {v}(?![\w.-])", "auditor <VERSION>", text)


def assert_golden(relative: str, text: str) -> None:
    path = GOLDEN_DIR / relative
    if os.environ.get("UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"missing golden {relative}; run with UPDATE_GOLDENS=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{relative} differs from its golden; run with UPDATE_GOLDENS=1"
