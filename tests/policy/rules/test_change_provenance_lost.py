"""change-provenance-lost: verified evidence lost or weakened; an undecided base fails closed."""

from __future__ import annotations

from auditor.diff import diff_lockfiles, evaluate_changes, evidence_of
from auditor.models import Evidence, Level, Status
from tests.diff._build import Levels, by_spec, identity, lock, pkg, result
from tests.policy.rules._change import rules, run


def test_provenance_lost_and_weakened() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0", line=12)
    lost = run(a1, a2, head=result(a2, Status.UNATTESTED))
    assert lost == [
        (
            "change-provenance-lost",
            Level.ERROR,
            "a@2.0.0 (was 1.0.0): provenance lost: verified provenance -> no attestation",
        )
    ]
    weakened = run(a1, a2, head=result(a2, Status.PUBLISH_ONLY))
    assert [m for _, _, m in weakened] == [
        "a@2.0.0 (was 1.0.0): provenance weakened: verified provenance -> publish attestation only"
    ]
    # publish-only -> none is a loss too; none -> none and gains are not.
    assert rules(a1, a2, result(a1, Status.PUBLISH_ONLY), result(a2, Status.UNATTESTED)) == [
        "change-provenance-lost"
    ]
    assert rules(a1, a2, result(a1, Status.UNATTESTED), result(a2, Status.UNATTESTED)) == []
    assert rules(a1, a2, result(a1, Status.UNATTESTED), result(a2, Status.PUBLISH_ONLY)) == []
    # Invalid attestations are no evidence (attestation-invalid reports them itself).
    assert rules(a1, a2, head=result(a2, Status.INVALID)) == ["change-provenance-lost"]


def test_provenance_lost_finding_fields() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0", line=12)
    changes = diff_lockfiles(lock(a1), lock(a2))
    base = by_spec([result(a1, Status.VERIFIED, identity())])
    head = by_spec([result(a2, Status.UNATTESTED)])
    (f,) = evaluate_changes(changes, head, base, Levels(Level.WARNING))
    assert (f.package, f.version, f.line, f.level) == ("a", "2.0.0", 12, Level.WARNING)
    assert f.evidence["before_evidence"] == "provenance"
    assert f.evidence["after_evidence"] == "none"
    assert f.evidence["change"] == "updated"


def test_undecided_base_is_incomplete_undecided_head_is_left_to_the_head_audit() -> None:
    a1, a2 = pkg("a", "1.0.0"), pkg("a", "2.0.0")
    out = run(a1, a2, base=result(a1, Status.ERROR, reason="FETCH_TIMEOUT"))
    assert out == [
        (
            "incomplete",
            Level.ERROR,
            "a@2.0.0 (was 1.0.0): could not compare with base version 1.0.0 (FETCH_TIMEOUT)",
        )
    ]
    # Missing from both mappings: fail closed as well.
    changes = diff_lockfiles(lock(a1), lock(a2))
    head = by_spec([result(a2, Status.UNATTESTED)])
    (f,) = evaluate_changes(changes, head, {}, Levels())
    assert f.rule == "incomplete" and "not audited" in f.message
    assert rules(a1, a2, head=result(a2, Status.ERROR)) == []


def test_evidence_of() -> None:
    p = pkg("a", "1.0.0")
    assert evidence_of(None) is None
    assert evidence_of(result(p, Status.ERROR)) is None
    assert evidence_of(result(p, Status.VERIFIED, identity())) is Evidence.PROVENANCE
    assert evidence_of(result(p, Status.PUBLISH_ONLY)) is Evidence.PUBLISH_ONLY
    for status in (Status.UNATTESTED, Status.INVALID, Status.NOT_APPLICABLE):
        assert evidence_of(result(p, status)) is Evidence.NONE
