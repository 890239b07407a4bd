"""exception-expired: an exception is valid through its expiry day, then a finding."""

from __future__ import annotations

from auditor.models import Level, Status
from tests.policy._helpers import (
    EXC,
    NOW,
    history,
    result,
    rules,
    run,
)


def test_exception_valid_through_expiry_day_then_expired_is_a_finding() -> None:
    v1 = result(Status.UNATTESTED, packument=history("dep", ("1.0.0", 1, "none")))
    last_day = NOW.replace(day=10, hour=23)
    assert run(EXC, v1, now=last_day) == []
    after = NOW.replace(day=11)
    # Published a day before `after`: too young, and the expired exception no longer waives.
    v1_young = result(Status.UNATTESTED, packument=history("dep", ("1.0.0", -9, "none")))
    fs = run(EXC, v1_young, now=after)
    assert sorted(rules(fs)) == ["exception-expired", "release-age"]
    exp = next(f for f in fs if f.rule == "exception-expired")
    assert exp.level is Level.WARNING and exp.package == "dep" and exp.version is None
    assert exp.evidence["actual"] == "2026-05-10"
    assert exp.evidence["reason"] == "urgent security fix"
    fs = run('[rules]\nexception-expired = "error"\n' + EXC, now=after)
    assert [(f.rule, f.level) for f in fs] == [("exception-expired", Level.ERROR)]
