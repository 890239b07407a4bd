"""The one catalogue of reason codes (auditor.reasons): complete, and the docs' tables are
generated from it."""

from __future__ import annotations

import re
from pathlib import Path

import auditor
from auditor.reasons import (
    ALL_REASONS,
    ENGINE_INVALID_REASONS,
    ERROR_REASONS,
    INTEGRITY_REASONS,
    NOT_APPLICABLE_REASONS,
    SIGNATURE_REASONS,
    VERIFY_REASONS,
    is_reason_code,
)
from auditor.verify import REASON_CODES
from tests.support import gendocs

SOURCE = Path(auditor.__file__).parent
# Upper-case literals that name a reason in the code (constants and env names are others).
_REASONISH = re.compile(
    r'"((?:FETCH|OFFLINE|SIGNATURE|INTEGRITY|VERIFY|TRUST|PACKUMENT|ALIAS|RESOLVED|INSECURE'
    r"|NOT|INVALID|VERSION|PUBLISH|PROVENANCE|MISSING|WEAK)_[A-Z0-9_]*)\""
)


def test_groups_are_disjoint_and_every_code_means_something() -> None:
    groups = [
        VERIFY_REASONS,
        ENGINE_INVALID_REASONS,
        SIGNATURE_REASONS,
        ERROR_REASONS,
        NOT_APPLICABLE_REASONS,
    ]
    assert sum(len(g) for g in groups) == len(ALL_REASONS)
    assert all(meaning.strip() for meaning in ALL_REASONS.values())
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*(<status>)?", code) for code in ALL_REASONS)
    assert set(INTEGRITY_REASONS) <= set(VERIFY_REASONS)
    assert frozenset(VERIFY_REASONS) == REASON_CODES  # the verifier raises only its group


def test_every_reason_written_in_the_source_is_catalogued() -> None:
    found: dict[str, str] = {}
    for path in SOURCE.rglob("*.py"):
        for code in _REASONISH.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, str(path.relative_to(SOURCE)))
    missing = {
        code: where
        for code, where in found.items()
        if not is_reason_code(code)
        and code not in ("FETCH_HTTP_", "SIGNATURE_REASONS")  # (names, not codes)
    }
    assert missing == {}
    assert is_reason_code("FETCH_HTTP_404") and not is_reason_code("FETCH_HTTP_x")


def test_the_docs_tables_are_generated_from_the_catalogue() -> None:
    for path in gendocs.SECTIONS:
        text = (gendocs.ROOT / path).read_text(encoding="utf-8")
        assert gendocs.render(path, text) == text, f"{path} is stale: run make docs"


def test_a_stale_table_is_noticed() -> None:
    path = "docs/verification.md"
    text = (gendocs.ROOT / path).read_text(encoding="utf-8")
    edited = text.replace("| `FETCH_TIMEOUT` |", "| `FETCH_TIMED_OUT` |")
    assert edited != text and gendocs.render(path, edited) == text
