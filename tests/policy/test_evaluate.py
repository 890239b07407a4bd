"""Each check, each level and each exception path, on hand-built results."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from auditor.models import AttestationInfo, Finding, Level, PackageResult, SourceKind, Status
from auditor.policy import PolicyContext, default_policy, evaluate, evaluate_waived, waive

from ._helpers import (
    NOW,
    PROVENANCE,
    REGISTRY,
    SHA1,
    history,
    identity,
    package,
    policy,
    result,
    rules,
    run,
    verified,
)

ACME = """
[[identity]]
packages = ["@acme/*"]
repositories = ["https://github.com/acme/*"]
repository_ids = [1001]
owner_ids = ["2002"]
issuers = ["https://token.actions.githubusercontent.com"]
workflows = [".github/workflows/release.yml"]
refs = ["refs/tags/v*"]
triggers = ["push", "release"]
deny_triggers = ["pull_request_target", "issue_comment"]
runners = ["github-hosted"]
builders = ["github-hosted"]
"""


# --- always-on ---------------------------------------------------------------------------


def test_default_policy_passes_clean_results() -> None:
    ok = [verified(), result(Status.UNATTESTED), result(Status.PUBLISH_ONLY, name="p")]
    assert evaluate(default_policy(), ok, PolicyContext(now=NOW)) == []


def test_invalid_attestations_are_always_an_error() -> None:
    findings = run("", result(Status.INVALID, reason="DSSE_SIGNATURE"))
    assert rules(findings) == ["attestation-invalid"]
    f = findings[0]
    assert f.level is Level.ERROR and f.package == "dep" and f.version == "1.0.0" and f.line == 10
    assert f.evidence["reason"] == "DSSE_SIGNATURE"
    assert "DSSE_SIGNATURE" in f.message


def test_stripped_provenance_is_the_engines_verdict_only() -> None:
    """Decided in one place (auditor.registry.stripping, applied by the engine to every
    registry package): the policy reports the reason and draws no conclusion of its own."""
    by_reason = result(Status.INVALID, reason="PROVENANCE_STRIPPED")
    findings = run("", by_reason)
    assert rules(findings) == ["provenance-stripped"]
    assert all(f.level is Level.ERROR for f in findings)
    claim_only = result(Status.PUBLISH_ONLY, name="p", packument=history("p", ("1.0.0", 3, "x")))
    assert rules(run("", claim_only)) == []


def test_always_on_rules_cannot_be_waived_even_by_hand_built_policy() -> None:
    # The loader refuses such an exception; see test_load.  Here: [rules] cannot lower them.
    findings = run('[rules]\nincomplete = "off"\n', result(Status.INVALID, reason="X"))
    assert rules(findings) == ["attestation-invalid"]


# --- incomplete ---------------------------------------------------------------------------


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


# --- provenance-required / coverage ------------------------------------------------------


def test_provenance_required_scopes() -> None:
    prod_direct = result(Status.UNATTESTED, name="a")
    dev = result(Status.UNATTESTED, name="b", dev=True, direct=False)
    transitive = result(Status.PUBLISH_ONLY, name="c", direct=False)
    good = verified(name="d")
    all_ = [prod_direct, dev, transitive, good]

    def failing(require: str) -> list[str | None]:
        fs = run(f'[provenance]\nrequire = "{require}"\n', *all_)
        assert set(rules(fs)) <= {"provenance-required"}
        return [f.package for f in fs]

    assert failing("all") == ["a", "b", "c"]
    assert failing("production") == ["a", "c"]
    assert failing("direct") == ["a"]
    assert failing("none") == []


def test_provenance_required_by_glob_exclude_and_warning_level() -> None:
    text = (
        '[rules]\nprovenance-required = "warning"\n'
        '[provenance]\npackages = ["@acme/*"]\nexclude = ["@acme/legacy@<2"]\n'
    )
    fs = run(
        text,
        result(Status.UNATTESTED, name="@acme/a"),
        result(Status.UNATTESTED, name="@acme/legacy", version="1.0.0"),
        result(Status.UNATTESTED, name="@acme/legacy", version="2.0.0"),
        result(Status.UNATTESTED, name="other"),
    )
    assert [(f.package, f.version, f.level) for f in fs] == [
        ("@acme/a", "1.0.0", Level.WARNING),
        ("@acme/legacy", "2.0.0", Level.WARNING),
    ]
    assert fs[0].evidence["actual"] == "unattested"


def test_non_registry_and_invalid_packages_are_not_double_reported() -> None:
    git = result(Status.NOT_APPLICABLE, name="g", source=SourceKind.GIT, resolved="git+ssh://x")
    invalid = result(Status.INVALID, name="i", reason="SUBJECT_DIGEST")
    fs = run('[provenance]\nrequire = "all"\n', git, invalid)
    assert rules(fs) == ["attestation-invalid"]


def test_coverage_thresholds() -> None:
    results = [
        verified(name="a"),
        result(Status.UNATTESTED, name="b"),
        result(Status.UNATTESTED, name="c", dev=True),
        verified(name="d", dev=True),
        result(Status.NOT_APPLICABLE, name="g", source=SourceKind.GIT),
    ]
    fs = run("[coverage]\noverall = 0.5\nproduction = 0.6\ndevelopment = 0.5\n", *results)
    assert rules(fs) == ["coverage-minimum"]
    f = fs[0]
    assert f.package is None and f.level is Level.WARNING
    assert f.evidence == {
        "scope": "production",
        "expected": 0.6,
        "actual": 0.5,
        "verified": 1,
        "total": 2,
    }
    assert run("[coverage]\noverall = 0.5\n") == []  # no registry packages: nothing to judge


# --- identity ----------------------------------------------------------------------------


def test_matching_identity_passes_every_check() -> None:
    assert run(ACME, verified()) == []


@pytest.mark.parametrize(
    ("override", "rule", "actual"),
    [
        (
            {"repo": "https://github.com/evil/widget"},
            "identity-repository",
            "https://github.com/evil/widget",
        ),
        ({"repository_id": "666"}, "identity-repository-id", "666"),
        ({"owner_id": "666"}, "identity-repository-id", "666"),
        ({"repository_id": None}, "identity-repository-id", None),
        ({"issuer": "https://gitlab.com"}, "identity-issuer", "https://gitlab.com"),
        (
            {"workflow": "https://github.com/acme/widget/.github/workflows/ci.yml@refs/heads/main"},
            "identity-workflow",
            ".github/workflows/ci.yml",
        ),
        ({"ref": "refs/heads/main"}, "identity-ref", "refs/heads/main"),
        ({"trigger": "workflow_dispatch"}, "identity-trigger", "workflow_dispatch"),
        ({"trigger": "pull_request_target"}, "identity-trigger", "pull_request_target"),
        ({"trigger": None}, "identity-trigger", None),
        ({"runner_environment": "self-hosted"}, "identity-runner", "self-hosted"),
    ],
)
def test_each_identity_field_is_checked(
    override: dict[str, object], rule: str, actual: object
) -> None:
    repo = override.pop("repo", "https://github.com/acme/widget")
    ident = identity(str(repo), **override)
    fs = [f for f in run(ACME, verified(ident=ident)) if f.rule == rule]
    assert len(fs) == 1, run(ACME, verified(ident=ident))
    assert fs[0].evidence["actual"] == actual
    assert fs[0].level is Level.ERROR
    assert "identity[0]" in fs[0].message


def test_self_hosted_runner_also_fails_the_named_builder() -> None:
    fs = run(ACME, verified(ident=identity(runner_environment="self-hosted")))
    assert sorted(rules(fs)) == ["identity-builder", "identity-runner"]


def test_repository_glob_does_not_cross_segments_and_ignores_case() -> None:
    text = '[[identity]]\npackages = ["*"]\nrepositories = ["https://github.com/acme/*"]\n'
    assert run(text, verified(ident=identity("https://github.com/ACME/Widget"))) == []
    assert rules(run(text, verified(ident=identity("https://github.com/acme-evil/w")))) == [
        "identity-repository"
    ]
    assert rules(run(text, verified(ident=identity("https://github.com/acme/w/x")))) == [
        "identity-repository"
    ]


def test_all_matching_identity_blocks_apply_and_levels_come_from_rules() -> None:
    text = (
        '[rules]\nidentity-ref = "warning"\n'
        '[[identity]]\npackages = ["*"]\ndeny_triggers = ["pull_request_target"]\n'
        '[[identity]]\npackages = ["@acme/*"]\nrefs = ["refs/tags/*"]\n'
    )
    bad = verified(ident=identity(trigger="pull_request_target", ref="refs/heads/x"))
    fs = run(text, bad, verified(name="other", ident=identity(ref="refs/heads/x")))
    assert [(f.package, f.rule, f.level) for f in fs] == [
        ("@acme/widget", "identity-ref", Level.WARNING),
        ("@acme/widget", "identity-trigger", Level.ERROR),
    ]


def test_identity_rules_skip_unverified_unless_require_provenance() -> None:
    text = '[[identity]]\npackages = ["@acme/*"]\nrepositories = ["https://github.com/acme/*"]\n'
    unattested = result(Status.UNATTESTED, name="@acme/x")
    assert run(text, unattested) == []
    fs = run(text + "require_provenance = true\n", unattested)
    assert rules(fs) == ["provenance-required"]
    assert "identity[0]" in fs[0].message


def test_identity_exclude_and_verified_without_identity_fails_closed() -> None:
    text = (
        '[[identity]]\npackages = ["@acme/*"]\nexclude = ["@acme/old"]\n'
        'repositories = ["https://github.com/acme/*"]\n'
    )
    evil = identity("https://github.com/evil/x")
    assert run(text, verified(name="@acme/old", ident=evil)) == []
    no_ident = verified()
    assert no_ident.verification is not None
    no_ident = replace(no_ident, verification=replace(no_ident.verification, identity=None))
    assert rules(run(text, no_ident)) == ["identity-repository"]


@pytest.mark.parametrize(
    ("builder", "ident_over", "ok"),
    [
        ("github-hosted", {}, True),
        ("github-hosted", {"issuer": "https://gitlab.com"}, False),
        (
            "gitlab-hosted",
            {"issuer": "https://gitlab.com", "runner_environment": "gitlab-hosted"},
            True,
        ),
        ("gitlab-hosted", {}, False),
        (
            "slsa-github-generator",
            {
                "build_signer": "https://github.com/slsa-framework/slsa-github-generator/.github/"
                "workflows/delegator_generic_slsa3.yml@refs/tags/v2.0.0",
                "builder_id": "https://github.com/slsa-framework/slsa-github-generator/"
                ".github/workflows/delegator_generic_slsa3.yml@refs/tags/v2.0.0",
            },
            True,
        ),
        (
            "slsa-github-generator",
            {
                "build_signer": "https://github.com/evil/slsa-github-generator/.github/"
                "workflows/delegator_generic_slsa3.yml@refs/tags/v2.0.0",
                "builder_id": "https://github.com/slsa-framework/slsa-github-generator/x",
            },
            False,
        ),
        ("https://github.com/actions/runner/*", {}, True),
        ("https://github.com/actions/runner/*", {"builder_id": "https://ci.example/b"}, False),
    ],
)
def test_builders(builder: str, ident_over: dict[str, str], ok: bool) -> None:
    text = f'[[identity]]\npackages = ["*"]\nbuilders = ["{builder}"]\n'
    fs = run(text, verified(ident=identity(**ident_over)))
    assert rules(fs) == ([] if ok else ["identity-builder"])


# --- trust downgrade ----------------------------------------------------------------------


def test_downgrade_against_earlier_versions_by_publish_time() -> None:
    pk = history("dep", ("1.0.0", 100, "prov"), ("1.1.0", 50, "tp"), ("1.2.0", 1, "none"))
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED, version="1.2.0", packument=pk))
    assert rules(fs) == ["trust-downgrade"]
    assert fs[0].evidence["expected"] == "trusted-publisher"
    assert fs[0].evidence["actual"] == "none"
    assert fs[0].evidence["earlier_version"] == "1.1.0"


def test_downgrade_uses_verified_status_not_claims_for_the_audited_version() -> None:
    pk = history("dep", ("1.0.0", 100, "prov"), ("1.1.0", 1, "prov"))
    # The packument claims provenance for 1.1.0, but only the publish attestation verified:
    # the engine made it invalid (stripped); provenance-stripped fires and nothing else.
    stripped = result(Status.INVALID, version="1.1.0", packument=pk, reason="PROVENANCE_STRIPPED")
    fs = run("[trust_downgrade]\n", stripped)
    assert rules(fs) == ["provenance-stripped"]
    pk2 = history("dep", ("1.0.0", 100, "tp"), ("1.1.0", 1, "prov"))
    fs = run("[trust_downgrade]\n", verified(name="dep", version="1.1.0", packument=pk2))
    assert rules(fs) == ["trust-downgrade"]
    assert fs[0].evidence["actual"] == "provenance"


def test_downgrade_ignores_later_versions_prereleases_and_old_versions() -> None:
    later = history("dep", ("1.0.0", 100, "none"), ("2.0.0", 10, "prov"))
    assert run("[trust_downgrade]\n", result(Status.UNATTESTED, packument=later)) == []
    pre = history("dep", ("2.0.0-beta.1", 100, "prov"), ("2.0.0", 10, "none"))
    assert (
        run("[trust_downgrade]\n", result(Status.UNATTESTED, version="2.0.0", packument=pre)) == []
    )
    # ...but a prerelease is compared against everything earlier.
    pre2 = history("dep", ("1.0.0", 100, "prov"), ("2.0.0-rc.1", 10, "none"))
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED, version="2.0.0-rc.1", packument=pre2))
    assert rules(fs) == ["trust-downgrade"]
    old = history("dep", ("1.0.0", 400, "prov"), ("1.0.1", 300, "none"))
    r = result(Status.UNATTESTED, version="1.0.1", packument=old)
    assert rules(run("[trust_downgrade]\n", r)) == ["trust-downgrade"]
    assert run("[trust_downgrade]\nignore_after = 200\n", r) == []
    assert run('[trust_downgrade]\nexclude = ["dep@1.0.x"]\n', r) == []


def test_downgrade_without_data_is_incomplete() -> None:
    fs = run("[trust_downgrade]\n", result(Status.UNATTESTED))
    assert rules(fs) == ["incomplete"]
    assert fs[0].evidence["rule"] == "trust-downgrade"


# --- release age ------------------------------------------------------------------------


def test_release_age_uses_the_verified_log_time_first() -> None:
    fresh = verified(
        signed_at=NOW - timedelta(hours=12), packument=history("x", ("1.0.0", 30, "prov"))
    )
    fs = run("[release_age]\ndays = 3\n", fresh)
    assert rules(fs) == ["release-age"]
    assert fs[0].evidence["time_source"] == "transparency log"
    assert fs[0].evidence["actual"] == 0.5
    assert run("[release_age]\ndays = 0.25\n", fresh) == []


PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"


def with_attestations(r: PackageResult, atts: tuple[AttestationInfo, ...]) -> PackageResult:
    assert r.verification is not None
    return replace(r, verification=replace(r.verification, attestations=atts))


def test_release_age_is_the_publish_attestation_time_not_the_earliest() -> None:
    """Provenance signed 30 days before a 10-minute-old publication must not pass."""
    old, new = NOW - timedelta(days=30), NOW - timedelta(minutes=10)
    prov = AttestationInfo(PROVENANCE, signed_at=old, latest_at=old)
    pub = AttestationInfo(PUBLISH, signed_at=new, latest_at=new, key_id="SHA256:k")
    for atts in ((prov, pub), (pub, prov)):
        fs = run("[release_age]\ndays = 3\n", with_attestations(verified(), atts))
        assert rules(fs) == ["release-age"]
        assert fs[0].evidence["published"] == new.isoformat()
    # No publish attestation: the latest verified time of any bundle, not the earliest.
    late = AttestationInfo(PROVENANCE, signed_at=old, latest_at=new)
    fs = run("[release_age]\ndays = 3\n", with_attestations(verified(), (late,)))
    assert rules(fs) == ["release-age"]
    # A publish attestation from 30 days ago wins over a later TSA time on provenance.
    pub_old = AttestationInfo(PUBLISH, signed_at=old, latest_at=old, key_id="SHA256:k")
    assert run("[release_age]\ndays = 3\n", with_attestations(verified(), (late, pub_old))) == []


def test_release_age_falls_back_to_the_registry_time_and_clock_is_injected() -> None:
    r = result(Status.UNATTESTED, packument=history("dep", ("1.0.0", 2, "none")))
    fs = run("[release_age]\ndays = 3\n", r)
    assert rules(fs) == ["release-age"]
    assert fs[0].evidence["time_source"] == "registry publish time"
    assert run("[release_age]\ndays = 3\n", r, now=NOW + timedelta(days=1, seconds=1)) == []
    assert run('[release_age]\ndays = 3\nexclude = ["dep"]\n', r) == []


def test_release_age_unknown_time_is_incomplete() -> None:
    fs = run("[release_age]\ndays = 3\n", result(Status.UNATTESTED))
    assert rules(fs) == ["incomplete"]
    fs = run(
        '[rules]\nincomplete = "warning"\n[release_age]\ndays = 3\n', result(Status.UNATTESTED)
    )
    assert [f.level for f in fs] == [Level.WARNING]


# --- source hygiene ----------------------------------------------------------------------


def test_source_non_registry_and_allow_lists() -> None:
    git = result(
        Status.NOT_APPLICABLE,
        name="g",
        source=SourceKind.GIT,
        resolved="git+https://github.com/acme/g.git#abc",
    )
    tarball = result(
        Status.NOT_APPLICABLE,
        name="t",
        source=SourceKind.REMOTE,
        resolved="https://cdn.example/t.tgz",
    )
    local = result(
        Status.NOT_APPLICABLE,
        name="f",
        source=SourceKind.FILE,
        resolved="file:../f",
        integrity=None,
    )
    link = result(
        Status.NOT_APPLICABLE,
        name="w",
        source=SourceKind.LINK,
        resolved="packages/w",
        integrity=None,
    )
    fs = run("[source]\n", git, tarball, local, link)
    assert [(f.rule, f.package) for f in fs] == [
        ("source-non-registry", "f"),
        ("source-non-registry", "g"),
        ("source-non-registry", "t"),
    ]
    text = '[source]\nallow_packages = ["f"]\nallow_resolved = ["git+https://github.com/acme/**"]\n'
    assert [f.package for f in run(text, git, tarball, local, link)] == ["t"]


def test_registry_mismatch_against_configured_registries() -> None:
    ok = verified(name="a")
    elsewhere = verified(name="b", resolved="https://mirror.example/b/-/b-1.0.0.tgz")
    sneaky = verified(name="c", resolved="http://127.0.0.1:4873.evil.example/c/-/c-1.0.0.tgz")
    fs = run("[source]\n", ok, elsewhere, sneaky, registries=(REGISTRY,))
    assert [(f.rule, f.package) for f in fs] == [
        ("source-registry-mismatch", "b"),
        ("source-registry-mismatch", "c"),
    ]
    assert fs[0].evidence == {
        "expected": [REGISTRY],
        "actual": "https://mirror.example/b/-/b-1.0.0.tgz",
    }
    text = '[source]\nregistries = ["https://mirror.example"]\n'
    assert [f.package for f in run(text, ok, elsewhere, sneaky, registries=(REGISTRY,))] == ["c"]
    assert run("[source]\n", elsewhere) == []  # no registry known: nothing to compare


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


def test_install_scripts() -> None:
    a = result(Status.UNATTESTED, name="esbuild", has_install_script=True)
    b = result(Status.UNATTESTED, name="evil", has_install_script=True)
    fs = run(
        '[install_script]\nallow = ["esbuild@>=0.20"]\n',
        a,
        replace(a, package=replace(a.package, version="0.19.0")),
        b,
    )
    assert [(f.package, f.version, f.level) for f in fs] == [
        ("esbuild", "0.19.0", Level.WARNING),
        ("evil", "1.0.0", Level.WARNING),
    ]


# --- exceptions -------------------------------------------------------------------------


EXC = """
[release_age]
days = 3
[[exception]]
package = "dep@^1.0.0"
rules = ["release-age"]
reason = "urgent security fix"
expires = 2026-05-10
"""


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


def test_exceptions_never_waive_global_findings() -> None:
    text = "[coverage]\noverall = 1.0\n"
    fs = run(text, result(Status.UNATTESTED))
    assert rules(fs) == ["coverage-minimum"]


# --- diff mode ---------------------------------------------------------------------------


def test_change_rules_are_left_to_the_diff_module_but_exceptions_apply() -> None:
    text = '[rules]\nchange-source = "error"\n'
    head = result(Status.NOT_APPLICABLE, source=SourceKind.GIT, resolved="git+https://x")
    base = result(Status.UNATTESTED)
    assert run(text, head, base_results=(base,)) == []
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
