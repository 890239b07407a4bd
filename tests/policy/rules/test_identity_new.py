"""identity-new: verified packages the identity lock does not name (off by default)."""

from __future__ import annotations

from auditor.models import Status
from auditor.signals.identity_lock import record
from tests.policy._helpers import result, rules, run, verified

LOCKED = '[identity_lock]\nfile = "provenance-lock.json"\n'


def test_off_unless_named_in_rules() -> None:
    lock = record([verified(name="a")])
    assert run(LOCKED, verified(name="b"), identity_lock=lock) == []
    fs = run(LOCKED + '[rules]\nidentity-new = "warning"\n', verified(name="b"), identity_lock=lock)
    assert rules(fs) == ["identity-new"]
    assert "not in the identity lock" in fs[0].message
    assert fs[0].evidence["observed"]["repository"] == "https://github.com/acme/widget"  # type: ignore[index]


def test_recorded_or_unattested_packages_are_not_new() -> None:
    lock = record([verified(name="a")])
    text = LOCKED + '[rules]\nidentity-new = "warning"\n'
    assert run(text, verified(name="a"), identity_lock=lock) == []
    assert run(text, result(Status.UNATTESTED, "b"), identity_lock=lock) == []
