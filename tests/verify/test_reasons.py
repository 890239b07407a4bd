"""The reason-code catalogue is complete, documented and stable."""

from __future__ import annotations

import re
from pathlib import Path

import auditor.verify
from auditor.verify import REASON_CODES, REASONS

# Codes the issue names explicitly: they must never disappear.
REQUIRED = {
    "DSSE_SIGNATURE",
    "TLOG_BODY_MISMATCH",
    "SET_INVALID",
    "INCLUSION_PROOF",
    "CHECKPOINT",
    "CERT_CHAIN",
    "SCT",
    "KEY_UNKNOWN",
    "KEY_NOT_VALID_AT_TIME",
    "ROLE_MISMATCH",
    "SUBJECT_NAME",
    "SUBJECT_DIGEST",
    "PREDICATE_TYPE",
    "STATEMENT_MALFORMED",
    "CERT_PREDICATE_MISMATCH",
    "UNSUPPORTED_FORMAT",
    "WEAK_INTEGRITY",
}


def test_required_codes_present() -> None:
    assert REQUIRED <= REASON_CODES
    assert frozenset(REASONS) == REASON_CODES
    assert all(REASONS[code] for code in REASON_CODES)


def test_every_code_documented_in_module_docstring() -> None:
    doc = auditor.verify.__doc__ or ""
    for code in REASON_CODES:
        assert code in doc, code


def test_every_code_raised_in_source_is_catalogued() -> None:
    source = "\n".join(p.read_text() for p in Path(auditor.verify.__file__).parent.glob("*.py"))
    raised = set(re.findall(r'Reject\(\s*"([A-Z_]+)"', source))
    raised |= set(re.findall(r'b64decode\([^)]*"([A-Z_]+)"\)', source))
    assert raised <= REASON_CODES, raised - REASON_CODES
    assert raised, "no Reject(...) found"
