"""identity-changed: against the identity lock `[identity_lock] file` names."""

from __future__ import annotations

import pytest

from auditor.errors import PolicyError
from auditor.models import Level, SourceKind, Status
from auditor.signals.identity_lock import record
from tests.policy._helpers import identity, policy, result, rules, run, verified

LOCKED = '[identity_lock]\nfile = "provenance-lock.json"\n'


def test_configuring_the_lock_turns_it_on_at_error() -> None:
    p = policy(LOCKED)
    assert p.identity_lock.file == "provenance-lock.json"
    assert p.level("identity-changed") is Level.ERROR
    assert p.level("identity-new") is Level.OFF
    assert p.needs_packuments


def test_changed_repository_id_is_reported_with_recorded_and_observed() -> None:
    lock = record([verified()])
    moved = verified(ident=identity(repository_id="31337"))
    fs = run(LOCKED, moved, identity_lock=lock)
    assert rules(fs) == ["identity-changed"]
    ev = fs[0].evidence
    assert ev["differences"] == [
        {"field": "repository_id", "recorded": "1001", "observed": "31337"}
    ]
    assert ev["recorded"]["repository_id"] == "1001"  # type: ignore[index]
    assert ev["observed"]["repository_id"] == "31337"  # type: ignore[index]
    assert "repository_id '1001' -> '31337'" in fs[0].message


def test_same_identity_any_version_passes() -> None:
    lock = record([verified(version="1.0.0")])
    assert run(LOCKED, verified(version="9.9.9"), identity_lock=lock) == []


def test_lost_provenance_is_identity_changed() -> None:
    lock = record([verified(name="dep")])
    fs = run(LOCKED, result(Status.UNATTESTED, "dep"), identity_lock=lock)
    assert rules(fs) == ["identity-changed"]
    assert fs[0].evidence["actual"] == "unattested"
    git = result(Status.NOT_APPLICABLE, "dep", source=SourceKind.GIT)
    assert rules(run(LOCKED, git, identity_lock=lock)) == ["identity-changed"]


def test_not_judged_without_a_lock_or_when_undecided() -> None:
    lock = record([verified(name="dep")])
    assert run(LOCKED, verified(name="dep", ident=identity(owner_id="1"))) == []
    assert rules(
        run(LOCKED, result(Status.ERROR, "dep", reason="FETCH_FAILED"), identity_lock=lock)
    ) == ["incomplete"]


def test_waivable_for_one_version() -> None:
    lock = record([verified()])
    text = LOCKED + (
        '[[exception]]\npackage = "@acme/widget@1.0.0"\nrules = ["identity-changed"]\n'
        'reason = "moved to the org (SEC-9)"\n'
    )
    assert run(text, verified(ident=identity(owner_id="5")), identity_lock=lock) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[identity_lock]\n", "identity_lock.file: missing"),
        ('[identity_lock]\nfile = ""\n', "identity_lock.file: must not be empty"),
        ("[identity_lock]\nfile = 3\n", "identity_lock.file: expected a string"),
        ('[identity_lock]\nfiles = "x"\n', "did you mean 'file'"),
    ],
)
def test_bad_section_is_a_policy_error(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy(text)


def test_explain_round_trips_the_new_sections() -> None:
    from auditor.policy import explain_policy, parse_policy

    p = policy(LOCKED + '[publish_burst]\nversions = 4\n[trust_downgrade]\nscope = "all"\n')
    again = parse_policy(explain_policy(p), "explained.toml")
    assert again.identity_lock == p.identity_lock
    assert again.publish_burst == p.publish_burst
    assert again.trust_downgrade.scope == "all"
    assert again.rule_levels() == p.rule_levels()


def test_alias_wearing_a_recorded_name_is_reported() -> None:
    lock = record([verified(name="lodash")])
    fs = run(LOCKED, result(Status.UNATTESTED, "evil", aliases=("lodash",)), identity_lock=lock)
    assert rules(fs) == ["identity-changed"]
    assert "installed as 'lodash', which the identity lock records" in fs[0].message
