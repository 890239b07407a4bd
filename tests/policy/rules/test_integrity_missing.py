"""integrity-missing (and integrity-weak beside it): integrity as npm reads it."""

from __future__ import annotations

from dataclasses import replace

from auditor.models import Level, Status
from tests.policy._helpers import (
    SHA1,
    result,
    run,
)


def test_integrity_rules() -> None:
    missing = result(Status.UNATTESTED, name="m", integrity=None)
    weak = result(Status.UNATTESTED, name="w", integrity=SHA1)
    bad = replace(
        missing,
        package=replace(
            missing.package,
            name="x",
            integrity="sha512-!!",
            integrity_problem="integrity sha512 digest is not base64",
        ),
    )
    text = '[rules]\nintegrity-missing = "error"\nintegrity-weak = "warning"\n'
    fs = run(text, missing, weak, bad)
    # sha1 only: npm checks sha1, which cannot be bound: as good as no integrity (and weak).
    assert [(f.rule, f.package, f.level) for f in fs] == [
        ("integrity-missing", "m", Level.ERROR),
        ("integrity-missing", "w", Level.ERROR),
        ("integrity-weak", "w", Level.WARNING),
        ("integrity-missing", "x", Level.ERROR),
    ]
    assert "not base64" in fs[3].message
    assert run("", missing, weak) == []  # off by default
