"""integrity-weak: a sha1-only integrity, at its own level."""

from __future__ import annotations

from auditor.models import Level, Status
from tests.policy._helpers import SHA1, SHA512, result, run


def test_sha1_only_is_weak_at_the_catalogue_level_when_configured() -> None:
    weak = result(Status.UNATTESTED, name="w", integrity=SHA1)
    fs = run('[rules]\nintegrity-weak = "warning"\n', weak)
    assert [(f.rule, f.level, f.evidence) for f in fs] == [
        ("integrity-weak", Level.WARNING, {"expected": "sha512", "actual": "sha1"})
    ]
    both = result(Status.UNATTESTED, name="b", integrity=f"{SHA512} {SHA1}")
    assert run('[rules]\nintegrity-weak = "error"\n', both) == []
