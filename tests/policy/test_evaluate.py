"""Each check, each level and each exception path, on hand-built results."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from auditor.models import Finding, Level, SourceKind, Status
from auditor.policy import PolicyContext, default_policy, evaluate, evaluate_waived, waive

from ._helpers import (
    EXC,
    NOW,
    REGISTRY,
    SHA1,
    history,
    package,
    policy,
    result,
    rules,
    run,
    verified,
)

# --- always-on ---------------------------------------------------------------------------


def test_default_policy_passes_clean_results() -> None:
    ok = [verified(), result(Status.UNATTESTED), result(Status.PUBLISH_ONLY, name="p")]
    assert evaluate(default_policy(), ok, PolicyContext(now=NOW)) == []


# --- incomplete ---------------------------------------------------------------------------


# --- provenance-required / coverage ------------------------------------------------------


# --- identity ----------------------------------------------------------------------------


# --- trust downgrade ----------------------------------------------------------------------


# --- release age ------------------------------------------------------------------------


# --- source hygiene ----------------------------------------------------------------------


# --- exceptions -------------------------------------------------------------------------


def test_exception_waives_matching_versions_only() -> None:
    pk = history("dep", ("1.0.0", 1, "none"), ("2.0.0", 1, "none"))
    v1 = result(Status.UNATTESTED, packument=pk)
    v2 = result(Status.UNATTESTED, version="2.0.0", packument=pk)
    fs = run(EXC, v1, v2)
    assert [(f.rule, f.version) for f in fs] == [("release-age", "2.0.0")]


def test_waived_findings_are_returned_with_their_exception_and_reason() -> None:
    pk = history("dep", ("1.0.0", 1, "none"), ("2.0.0", 1, "none"))
    v1 = result(Status.UNATTESTED, packument=pk)
    v2 = result(Status.UNATTESTED, version="2.0.0", packument=pk)
    kept, waived = evaluate_waived(policy(EXC), [v1, v2], PolicyContext(now=NOW))
    assert kept == evaluate(policy(EXC), [v1, v2], PolicyContext(now=NOW))
    assert [(w.finding.rule, w.finding.version) for w in waived] == [("release-age", "1.0.0")]
    assert waived[0].exception == 0 and waived[0].reason == "urgent security fix"
    assert waived[0].expires is not None and waived[0].expires.isoformat() == "2026-05-10"
    # An expired exception waives nothing, so nothing is reported as waived.
    _, none = evaluate_waived(policy(EXC), [v1], PolicyContext(now=NOW.replace(day=11)))
    assert none == []


def test_exception_without_expiry_and_waiving_incomplete() -> None:
    text = (
        '[[exception]]\npackage = "@acme/*@*"\nrules = ["incomplete"]\nreason = "endpoint broken"\n'
    )
    fs = run(
        text,
        result(Status.ERROR, name="@acme/x", reason="FETCH_404"),
        result(Status.ERROR, name="y", reason="FETCH_404"),
    )
    assert [(f.rule, f.package) for f in fs] == [("incomplete", "y")]


# --- diff mode ---------------------------------------------------------------------------


def test_change_rules_are_left_to_the_diff_module_but_exceptions_apply() -> None:
    text = '[rules]\nchange-source = "error"\n'
    head = result(Status.NOT_APPLICABLE, source=SourceKind.GIT, resolved="git+https://x")
    base = result(Status.UNATTESTED)
    assert run(text, head, base) == []
    change = Finding("change-source", Level.ERROR, "dep@1.0.0: source changed", "dep", "1.0.0")
    other = replace(change, package="other")
    waiver = (
        '[[exception]]\npackage = "dep@1"\nrules = ["change-source"]\nreason = "moved"\n'
        "expires = 2026-05-01\n"
    )
    assert waive(policy(waiver), [change, other], NOW) == [other]
    assert waive(policy(waiver), [change, other], NOW + timedelta(days=1)) == [change, other]


# --- output contract ------------------------------------------------------------------------


def test_output_is_sorted_deduplicated_and_deterministic() -> None:
    text = '[rules]\nintegrity-weak = "error"\n[provenance]\nrequire = "all"\n'
    rs = [result(Status.UNATTESTED, name=n, integrity=SHA1) for n in ("zeta", "alpha", "mid")]
    a = run(text, *rs)
    b = run(text, *reversed(rs))
    assert a == b
    assert [f.package for f in a] == ["alpha", "alpha", "mid", "mid", "zeta", "zeta"]
    assert run(text, *rs, *rs) == a


def test_naive_clock_and_naive_times_do_not_crash() -> None:
    pk = history("dep", ("1.0.0", 1, "none"))
    info = pk.versions["1.0.0"]
    assert info.published is not None
    naive = replace(info, published=info.published.replace(tzinfo=None))
    r = result(Status.UNATTESTED, packument=replace(pk, versions={"1.0.0": naive}))
    fs = run("[release_age]\ndays = 3\n[trust_downgrade]\n", r, now=NOW.replace(tzinfo=None))
    assert rules(fs) == ["release-age"]


def test_package_helper_defaults() -> None:
    p = package()
    assert p.source is SourceKind.REGISTRY and p.resolved and p.resolved.startswith(REGISTRY)
