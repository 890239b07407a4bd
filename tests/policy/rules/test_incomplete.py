"""incomplete: a package that could not be checked is not a pass."""

from __future__ import annotations

import pytest

from auditor.models import Level, Status
from tests.policy._helpers import (
    result,
    run,
)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("", Level.ERROR),
        ('[rules]\nincomplete = "warning"\n', Level.WARNING),
        ('[rules]\nincomplete = "off"\n', None),
    ],
)
def test_incomplete_levels(text: str, level: Level | None) -> None:
    findings = run(text, result(Status.ERROR, reason="FETCH_TIMEOUT"))
    if level is None:
        assert findings == []
    else:
        assert [(f.rule, f.level) for f in findings] == [("incomplete", level)]
        assert "FETCH_TIMEOUT" in findings[0].message
