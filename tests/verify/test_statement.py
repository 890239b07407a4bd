"""`auditor.verify.statement`: every field of every SLSA predicate the verifier binds to the
certificate, one lie at a time, with the exact reason and the field named in the message.

The certificate side is real: each identity is read from a kit-issued Fulcio leaf by
`certs.read_identity`, as the verifier reads it; the predicate side is the kit's genuine predicate
with one field changed, handed to `check_provenance` directly (no signing per case, so the
tables stay fast under mutation testing).  `test_kit.py` checks the same lies end to end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from auditor.models import GITHUB_ISSUER, Identity
from auditor.verify import certs, statement
from auditor.verify._errors import Reject
from tests.support.kit import GITHUB, GITLAB, SignerIdentity, SigstoreKit, provenance_statement

NAME, VERSION = "@acme/widget", "1.0.0"
SHA = hashlib.sha512(b"statement tarball").hexdigest()
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LABEL = "provenance bundle"
MISMATCH = "CERT_PREDICATE_MISMATCH"
DELETE = object()  # a table value: remove the field

GHA_V2 = replace(GITHUB, builder="gha-v2")
BYOB = replace(GITHUB, builder="byob")
LEGACY = replace(GITHUB, builder="gha-v2", legacy_only=True, visibility=None)
IDENTS: dict[str, SignerIdentity] = {
    "slsa-v1": GITHUB,
    "gha-v2": GHA_V2,
    "gha-v0": GHA_V2,  # the kit's gha/v2 predicate rewritten as npm CLI `gha@v0`
    "gha-v1": GHA_V2,
    "byob": BYOB,
    "gitlab": GITLAB,
}


@cache
def _kit() -> SigstoreKit:
    return SigstoreKit(seed="statement-tests")


@cache
def _leaf(ident: SignerIdentity) -> certs.Leaf:
    _, cert = _kit().issue_leaf(ident, WHEN)
    return certs.load_leaf(cert.public_bytes(serialization.Encoding.DER), LABEL)


def cert_identity(ident: SignerIdentity) -> Identity:
    """What the verifier reads from the kit's Fulcio leaf for `ident`."""
    return certs.read_identity(_leaf(ident), LABEL)


def genuine(builder: str, ident: SignerIdentity | None = None) -> dict[str, Any]:
    ident = ident or IDENTS[builder]
    stmt = provenance_statement(NAME, VERSION, SHA, ident)
    if builder in ("gha-v0", "gha-v1"):
        p = stmt["predicate"]
        p["buildType"] = f"https://github.com/npm/cli/gha@{builder[-2:]}"
        p["builder"]["id"] = "https://github.com/npm/cli@9.5.0"
        p["invocation"]["configSource"]["entryPoint"] = p["invocation"]["environment"][
            "GITHUB_WORKFLOW_REF"
        ]
    return stmt


def edited(stmt: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    stmt = json.loads(json.dumps(stmt))
    node = stmt["predicate"]
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return stmt


def check(stmt: dict[str, Any], identity: Identity, config_digest: str | None = None) -> Identity:
    st = statement.parse_statement(json.dumps(stmt).encode(), LABEL)
    return statement.check_provenance(st, identity, config_digest, LABEL)


def check_builder(builder: str, stmt: dict[str, Any], ident: SignerIdentity | None = None) -> Any:
    ident = ident or IDENTS[builder]
    digest = certs.extension_text(_leaf(ident), 19)  # as the verifier passes it
    return check(stmt, cert_identity(ident), digest)


def rejected(fn: Callable[..., Any], *args: Any) -> Reject:
    with pytest.raises(Reject) as info:
        fn(*args)
    return info.value


# --- every bound field, one lie at a time ---------------------------------------------------

GH = "https://github.com/acme/widget"
GL = "https://gitlab.com/acme-group/widget"
OTHER_SHA = "0" * 40


def field(name: str) -> str:
    """The message `_Checker.eq` writes for a mismatching field."""
    return f"{LABEL}: predicate {name} is "


V1 = ("buildDefinition",)
V1_WF = (*V1, "externalParameters", "workflow")
V1_GH = (*V1, "internalParameters", "github")
ENV = ("invocation", "environment")
PARAMS = ("invocation", "parameters")
CS = ("invocation", "configSource")
# (builder, path, lie, reason, message fragment)
FIELD_LIES: list[tuple[str, tuple[str | int, ...], Any, str, str]] = [
    # SLSA v1, GitHub workflow build type
    ("slsa-v1", (*V1, "buildType"), "https://example.com/bt", "BUILD_TYPE_UNKNOWN",
     f"{LABEL}: unsupported SLSA v1 buildType 'https://example.com/bt'"),
    ("slsa-v1", (*V1_WF, "repository"), GH + "-fork", MISMATCH, field("workflow.repository")),
    ("slsa-v1", (*V1_WF, "ref"), "refs/heads/evil", MISMATCH, field("workflow.ref")),
    ("slsa-v1", (*V1_WF, "ref"), DELETE, MISMATCH, field("workflow.ref") + "'None'"),
    ("slsa-v1", (*V1_WF, "path"), ".github/workflows/x.yml", MISMATCH, field("workflow.path")),
    ("slsa-v1", V1_GH, DELETE, MISMATCH, f"{LABEL}: predicate lacks internalParameters.github"),
    ("slsa-v1", V1_GH, ["event_name"], MISMATCH,
     f"{LABEL}: predicate lacks internalParameters.github"),
    ("slsa-v1", (*V1_GH, "injected"), "x", MISMATCH,
     f"{LABEL}: unattested internalParameters.github keys ['injected']"),
    ("slsa-v1", (*V1_GH, "event_name"), "workflow_dispatch", MISMATCH,
     field("github.event_name")),
    ("slsa-v1", (*V1_GH, "repository_id"), "1", MISMATCH, field("github.repository_id")),
    ("slsa-v1", (*V1_GH, "repository_owner_id"), "1", MISMATCH,
     field("github.repository_owner_id")),
    ("slsa-v1", (*V1, "resolvedDependencies"), [], MISMATCH,
     f"{LABEL}: expected exactly one resolvedDependency"),
    ("slsa-v1", (*V1, "resolvedDependencies"), DELETE, MISMATCH,
     f"{LABEL}: expected exactly one resolvedDependency"),
    ("slsa-v1", (*V1, "resolvedDependencies", 0, "uri"), f"git+{GH}@refs/heads/evil", MISMATCH,
     field("resolvedDependencies[0].uri")),
    ("slsa-v1", (*V1, "resolvedDependencies", 0, "digest", "gitCommit"), OTHER_SHA, MISMATCH,
     field("resolvedDependencies[0].digest.gitCommit")),
    ("slsa-v1", ("runDetails", "metadata", "invocationId"), GH + "/actions/runs/1/attempts/1",
     MISMATCH, field("runDetails.metadata.invocationId")),
    ("slsa-v1", ("runDetails", "builder", "id"), "https://github.com/actions/runner/self-hosted",
     MISMATCH, field("runDetails.builder.id")),
    # SLSA v0.2, npm CLI gha/v2
    ("gha-v2", ("buildType",), "https://github.com/npm/cli/gha/v3", "BUILD_TYPE_UNKNOWN",
     f"{LABEL}: unsupported SLSA v0.2 buildType 'https://github.com/npm/cli/gha/v3'"),
    ("gha-v2", (*CS, "uri"), f"git+{GH}@refs/heads/x", MISMATCH, field("configSource.uri")),
    ("gha-v2", (*CS, "digest", "sha1"), OTHER_SHA, MISMATCH, field("configSource.digest.sha1")),
    ("gha-v2", (*CS, "entryPoint"), ".github/workflows/other.yml", MISMATCH,
     field("configSource.entryPoint")),
    ("gha-v2", ("materials",), [], MISMATCH, f"{LABEL}: expected exactly one material"),
    ("gha-v2", ("materials",), DELETE, MISMATCH, f"{LABEL}: expected exactly one material"),
    ("gha-v2", ("materials", 0, "uri"), f"git+{GH}@refs/heads/evil", MISMATCH,
     field("materials[0].uri")),
    ("gha-v2", ("materials", 0, "uri"), "git+https://github.com/evil/widget", MISMATCH,
     field("materials[0].uri")),
    ("gha-v2", ("materials", 0, "digest", "sha1"), OTHER_SHA, MISMATCH,
     field("materials[0].digest.sha1")),
    ("gha-v2", ("builder", "id"), "https://example.com/builder", MISMATCH, field("builder.id")),
    ("gha-v2", ("metadata", "completeness", "parameters"), True, MISMATCH,
     f"{LABEL}: npm CLI provenance claims completeness/reproducibility"),
    ("gha-v2", ("metadata", "reproducible"), True, MISMATCH,
     f"{LABEL}: npm CLI provenance claims completeness/reproducibility"),
    ("gha-v2", ("metadata", "reproducible"), "no", MISMATCH,
     f"{LABEL}: npm CLI provenance claims completeness/reproducibility"),
    # not an object: refused as a predicate problem (was an AttributeError, BUNDLE_MALFORMED)
    ("gha-v2", ("metadata", "completeness"), "x", MISMATCH,
     f"{LABEL}: npm CLI provenance metadata.completeness is not an object"),
    ("gha-v1", ("metadata", "completeness"), [True], MISMATCH,
     f"{LABEL}: npm CLI provenance metadata.completeness is not an object"),
    ("gha-v2", ("metadata", "completeness"), False, MISMATCH,
     f"{LABEL}: npm CLI provenance metadata.completeness is not an object"),
    ("gha-v2", PARAMS, {"x": 1}, MISMATCH,
     f"{LABEL}: npm CLI provenance has invocation.parameters"),
    ("gha-v2", ENV, DELETE, MISMATCH, f"{LABEL}: predicate lacks invocation.environment"),
    ("gha-v2", ENV, [], MISMATCH, f"{LABEL}: predicate lacks invocation.environment"),
    ("gha-v2", (*ENV, "GITHUB_EVENT_NAME"), "workflow_dispatch", MISMATCH,
     field("GITHUB_EVENT_NAME")),
    ("gha-v2", (*ENV, "GITHUB_REF"), "refs/heads/evil", MISMATCH, field("GITHUB_REF")),
    ("gha-v2", (*ENV, "GITHUB_REPOSITORY"), "evil/widget", MISMATCH, field("GITHUB_REPOSITORY")),
    ("gha-v2", (*ENV, "GITHUB_SHA"), OTHER_SHA, MISMATCH, field("GITHUB_SHA")),
    ("gha-v2", (*ENV, "GITHUB_REPOSITORY_ID"), "1", MISMATCH, field("GITHUB_REPOSITORY_ID")),
    ("gha-v2", (*ENV, "GITHUB_REPOSITORY_OWNER_ID"), "1", MISMATCH,
     field("GITHUB_REPOSITORY_OWNER_ID")),
    ("gha-v2", (*ENV, "GITHUB_RUN_ID"), "1", MISMATCH, field("GITHUB_RUN_ID")),
    ("gha-v2", (*ENV, "GITHUB_RUN_ATTEMPT"), "9", MISMATCH, field("GITHUB_RUN_ATTEMPT")),
    ("gha-v2", (*ENV, "GITHUB_WORKFLOW_REF"), "acme/widget/x.yml@refs/tags/v1.0.0", MISMATCH,
     field("GITHUB_WORKFLOW_REF")),
    ("gha-v2", (*ENV, "GITHUB_WORKFLOW_SHA"), OTHER_SHA, MISMATCH, field("GITHUB_WORKFLOW_SHA")),
    ("gha-v2", ("metadata", "buildInvocationId"), "1-1", MISMATCH,
     field("metadata.buildInvocationId")),
    # npm CLI gha@v0/@v1: the entry point is the workflow ref
    ("gha-v0", (*CS, "entryPoint"), "evil/widget/.github/workflows/release.yml@refs/tags/v1.0.0",
     MISMATCH, field("configSource.entryPoint")),
    ("gha-v1", (*CS, "entryPoint"), ".github/workflows/release.yml", MISMATCH,
     field("configSource.entryPoint")),
    ("gha-v0", ("materials", 0, "uri"), "git+https://github.com/evil/widget", MISMATCH,
     field("materials[0].uri")),
    # slsa-github-generator delegator (BYOB)
    ("byob", ("builder", "id"), 5, MISMATCH,
     f"{LABEL}: builder.id '5' is not a released generator workflow"),
    ("byob", ("builder", "id"), "https://github.com/evil/gen/.github/workflows/b.yml@refs/tags/v1.0.0",
     MISMATCH, "is not a released generator workflow"),
    ("byob", ("materials", 0, "uri"), f"git+{GH}", MISMATCH, field("materials[0].uri")),
    ("byob", (*CS, "uri"), f"git+{GH}", MISMATCH, field("configSource.uri")),
    ("byob", (*CS, "entryPoint"), ".github/workflows/other.yml", MISMATCH,
     field("configSource.entryPoint")),
    ("byob", (*ENV, "GITHUB_SHA"), OTHER_SHA, MISMATCH, field("GITHUB_SHA")),
    ("byob", ENV, DELETE, MISMATCH, f"{LABEL}: predicate lacks invocation.environment"),
    # npm CLI GitLab
    ("gitlab", PARAMS, DELETE, MISMATCH, f"{LABEL}: GitLab predicate lacks invocation.parameters"),
    ("gitlab", PARAMS, [], MISMATCH, f"{LABEL}: GitLab predicate lacks invocation.parameters"),
    ("gitlab", (*PARAMS, "CI_PROJECT_URL"), "https://gitlab.com/evil/widget", MISMATCH,
     field("CI_PROJECT_URL")),
    ("gitlab", (*PARAMS, "CI_COMMIT_SHA"), OTHER_SHA, MISMATCH, field("CI_COMMIT_SHA")),
    ("gitlab", (*PARAMS, "CI_JOB_URL"), GL + "/-/jobs/1", MISMATCH, field("CI_JOB_URL")),
    ("gitlab", ("metadata", "buildInvocationId"), GL + "/-/jobs/1", MISMATCH,
     field("metadata.buildInvocationId")),
    ("gitlab", (*PARAMS, "CI_PIPELINE_SOURCE"), "web", MISMATCH, field("CI_PIPELINE_SOURCE")),
    ("gitlab", (*PARAMS, "CI_PROJECT_ID"), "1", MISMATCH, field("CI_PROJECT_ID")),
    ("gitlab", (*PARAMS, "CI_PROJECT_NAMESPACE_ID"), "1", MISMATCH,
     field("CI_PROJECT_NAMESPACE_ID")),
    ("gitlab", (*PARAMS, "CI_COMMIT_REF_NAME"), "evil", MISMATCH, field("CI_COMMIT_REF_NAME")),
    ("gitlab", (*PARAMS, "CI_COMMIT_REF_NAME"), "refs/heads/main", MISMATCH,
     field("CI_COMMIT_REF_NAME")),
    ("gitlab", (*PARAMS, "CI_CONFIG_PATH"), "other-ci.yml", MISMATCH, field("CI_CONFIG_PATH")),
    ("gitlab", (*CS, "uri"), "git+https://gitlab.com/evil/widget", MISMATCH,
     field("configSource.uri")),
    ("gitlab", (*CS, "digest", "sha1"), OTHER_SHA, MISMATCH, field("configSource.digest.sha1")),
    ("gitlab", ("materials",), [], MISMATCH, f"{LABEL}: expected exactly one material"),
    ("gitlab", ("materials",), DELETE, MISMATCH, f"{LABEL}: expected exactly one material"),
    ("gitlab", ("materials",), [{"uri": f"git+{GL}"}] * 2, MISMATCH,
     f"{LABEL}: expected exactly one material"),
    ("gitlab", ("materials", 0, "uri"), "git+https://gitlab.com/evil/widget", MISMATCH,
     field("materials[0].uri")),
    ("gitlab", ("materials", 0, "digest", "sha1"), OTHER_SHA, MISMATCH,
     field("materials[0].digest.sha1")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("builder", "path", "lie", "reason", "message"),
    FIELD_LIES,
    ids=[f"{b}:{'.'.join(map(str, p))}={str(v)[:20]}" for b, p, v, _, _ in FIELD_LIES],
)
def test_a_lying_predicate_field_is_refused(
    builder: str, path: tuple[str | int, ...], lie: Any, reason: str, message: str
) -> None:
    """Attack: the build job writes one field of its predicate; the certificate says
    otherwise.  The reason is the contract, the message names the field."""
    stmt = edited(genuine(builder), path, lie)
    rej = rejected(check_builder, builder, stmt)
    assert (rej.code, rej.message.startswith(LABEL)) == (reason, True), rej.message
    assert message in rej.message
    if message.endswith(" is ") and lie is not DELETE:  # the lie is shown, then the truth
        assert rej.message.startswith(f"{message}{str(lie)[:120]!r}, certificate says '")


@pytest.mark.parametrize("builder", sorted(IDENTS))
def test_genuine_predicates_pass(builder: str) -> None:
    identity = check_builder(builder, genuine(builder))
    assert identity.build_type == genuine(builder)["predicate"].get("buildType", statement.BT_V1)


# Genuine variations the verifier must accept (a stricter mutant refuses them).
ACCEPTED: list[tuple[str, tuple[str | int, ...], Any]] = [
    ("gha-v2", ("materials", 0, "uri"), f"git+{GH}"),  # npm CLI: the material's ref is optional
    ("gha-v0", ("materials", 0, "uri"), f"git+{GH}"),
    ("gha-v2", PARAMS, DELETE),
    ("gha-v2", ("metadata", "completeness"), DELETE),
    ("gha-v2", ("metadata", "reproducible"), DELETE),
    ("slsa-v1", (*V1_GH, "runner_environment"), "anything"),  # read, never evidence
    ("byob", PARAMS, {"inputs": {"x": "y"}}),
    ("byob", ("metadata", "completeness", "parameters"), True),
]


@pytest.mark.parametrize(
    ("builder", "path", "value"),
    ACCEPTED,
    ids=[f"{b}:{'.'.join(map(str, p))}" for b, p, _ in ACCEPTED],
)
def test_genuine_variations_pass(builder: str, path: tuple[str | int, ...], value: Any) -> None:
    check_builder(builder, edited(genuine(builder), path, value))


def test_github_build_types_need_the_github_issuer() -> None:
    """Attack: a GitLab job signs a GitHub predicate describing its own project."""
    gitlab = cert_identity(GITLAB)
    for builder in ("slsa-v1", "gha-v2", "gha-v0", "byob"):
        stmt = genuine(builder, replace(IDENTS[builder], server="https://gitlab.com"))
        rej = rejected(check, stmt, gitlab)
        assert rej.code == MISMATCH, builder
        assert rej.message == (
            f"{LABEL}: GitHub build type but certificate issuer is 'https://gitlab.com'"
        )


def test_certificate_without_repository_or_commit() -> None:
    identity = cert_identity(GITHUB)
    for lacking in (
        replace(identity, source_repository=None),
        replace(identity, commit=None),
    ):
        rej = rejected(check, genuine("slsa-v1"), lacking)
        assert (rej.code, rej.message) == (
            "CERT_IDENTITY",
            f"{LABEL}: certificate has no source repository/commit",
        )


@pytest.mark.parametrize(
    "ident",
    [
        replace(GITLAB, issuer="https://gitlab.com/"),  # a trailing slash names the instance
        replace(GITLAB, server="https://gitlab.example.X"),  # only `/` is stripped
    ],
    ids=["trailing-slash", "ends-in-X"],
)
def test_gitlab_issuer_names_the_project_instance(ident: SignerIdentity) -> None:
    check_builder("gitlab", genuine("gitlab", ident), ident)
    # A certificate without a source repository is no project of the instance.
    nowhere = replace(cert_identity(ident), source_repository="")
    rej = rejected(check, genuine("gitlab", ident), nowhere)
    assert rej.code == MISMATCH
    assert rej.message.endswith("is not the GitLab instance of ''")


def test_gitlab_predicate_under_the_github_issuer_is_refused_whatever_the_project() -> None:
    """Attack: a certificate with GitHub's issuer whose project sits under the issuer's own
    URL (no real Fulcio issues it): the GitHub issuer alone refuses the GitLab build type."""
    ident = replace(GITLAB, server=GITHUB_ISSUER, issuer=GITHUB_ISSUER)
    rej = rejected(check_builder, "gitlab", genuine("gitlab", ident), ident)
    assert rej.code == MISMATCH
    assert rej.message.startswith(
        f"{LABEL}: GitLab build type but the certificate's issuer {GITHUB_ISSUER!r}"
    )


def test_gitlab_runner_must_lie_under_the_project() -> None:
    """Attack: a builder id on another host whose tail, at the runner-id offset, is digits."""
    offset = len(GL) + len("/-/runners/")
    lie = ("https://gitlab.example/" + "x" * offset)[:offset] + "42"
    for builder_id in (
        lie,
        f"{GL}/-/runners/",
        f"{GL}/-/runners/1x",
        f"{GL}/-/runners/" + "1" * 21,
        7,
    ):
        stmt = edited(genuine("gitlab"), ("builder", "id"), builder_id)
        rej = rejected(check_builder, "gitlab", stmt)
        assert rej.code == MISMATCH
        assert rej.message.startswith(
            f"{LABEL}: builder.id {str(builder_id)[:120]!r} is not a runner of"
        )
    check_builder(
        "gitlab", edited(genuine("gitlab"), ("builder", "id"), f"{GL}/-/runners/" + "9" * 20)
    )


def test_gitlab_config_path_with_refs_in_a_directory() -> None:
    """The Build Config URI is cut at the certificate's own ref, not at the first `@refs/`."""
    ident = replace(GITLAB, workflow_path="ci@refs/release.yml")
    check_builder("gitlab", genuine("gitlab", ident), ident)
    lie = edited(genuine("gitlab", ident), (*PARAMS, "CI_CONFIG_PATH"), "ci")
    assert rejected(check_builder, "gitlab", lie, ident).code == MISMATCH


def test_byob_signer_is_the_build_signer_claim() -> None:
    """Attack: a certificate whose SAN names the delegator but whose Build Signer URI (.9)
    is an ordinary workflow: the delegator build type is refused (the .9 claim decides)."""
    identity = cert_identity(BYOB)
    ordinary = f"{GH}/.github/workflows/release.yml@refs/tags/v1.0.0"
    forged = replace(identity, build_signer=ordinary)
    rej = rejected(check, genuine("byob"), forged)
    assert (rej.code, rej.message) == (
        MISMATCH,
        f"{LABEL}: delegator build type signed by {ordinary!r}, "
        "not a slsa-github-generator delegator",
    )
    # A certificate without .9 (before Fulcio's 2023 extensions) is judged by its SAN.
    assert check(genuine("byob"), replace(identity, build_signer=None)).builder_id
    rej = rejected(check, genuine("byob"), replace(identity, build_signer=None, san=None))
    assert rej.message == (
        f"{LABEL}: delegator build type signed by '', not a slsa-github-generator delegator"
    )


def test_pre_2023_certificate_binds_what_it_carries() -> None:
    """A leaf with only the deprecated extensions (.1-.6): the fields it attests are still
    bound, the others are skipped (nothing to compare them with)."""
    check_builder("gha-v2", genuine("gha-v2", LEGACY), LEGACY)
    lie = edited(genuine("gha-v2", LEGACY), (*ENV, "GITHUB_SHA"), OTHER_SHA)
    assert rejected(check_builder, "gha-v2", lie, LEGACY).code == MISMATCH


# --- the statement itself -------------------------------------------------------------------

HEX = "ab" * 64


def _doc(**fields: Any) -> bytes:
    doc: dict[str, Any] = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "pkg:npm/a@1.0.0", "digest": {"sha512": HEX}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"k": "v"},
    }
    for key, value in fields.items():
        if value is DELETE:
            del doc[key]
        else:
            doc[key] = value
    return json.dumps(doc).encode()


def _subject(**fields: Any) -> list[Any]:
    subject: dict[str, Any] = {"name": "pkg:npm/a@1.0.0", "digest": {"sha512": HEX}}
    subject.update(fields)
    return [subject]


BAD_STATEMENTS: list[tuple[str, bytes, str, str]] = [
    ("not-json", b"{", "STATEMENT_MALFORMED", "DSSE payload is not JSON"),
    ("not-utf8", b"\xff\xfe", "STATEMENT_MALFORMED", "DSSE payload is not JSON"),
    ("too-deep", b"[" * 100_000 + b"]" * 100_000, "STATEMENT_MALFORMED",
     "DSSE payload is not JSON"),
    ("list", b"[]", "STATEMENT_MALFORMED", "statement is not a JSON object"),
    ("no-type", _doc(_type=DELETE), "STATEMENT_MALFORMED", "unknown statement _type 'None'"),
    ("long-type", _doc(_type="x" * 200), "STATEMENT_MALFORMED",
     f"unknown statement _type {'x' * 80!r}"),
    ("other-type", _doc(_type="https://in-toto.io/Statement/v2"), "STATEMENT_MALFORMED",
     "unknown statement _type 'https://in-toto.io/Statement/v2'"),
    ("no-predicate-type", _doc(predicateType=DELETE), "STATEMENT_MALFORMED",
     "statement predicateType missing"),
    ("predicate-type-list", _doc(predicateType=["x"]), "STATEMENT_MALFORMED",
     "statement predicateType missing"),
    ("no-subject", _doc(subject=DELETE), "SUBJECT_NAME",
     "statement has 0 subjects, expected exactly 1"),
    ("subject-object", _doc(subject={"name": "x"}), "SUBJECT_NAME",
     "statement has 0 subjects, expected exactly 1"),
    ("no-subjects", _doc(subject=[]), "SUBJECT_NAME",
     "statement has 0 subjects, expected exactly 1"),
    ("two-subjects", _doc(subject=_subject() * 2), "SUBJECT_NAME",
     "statement has 2 subjects, expected exactly 1"),
    ("subject-string", _doc(subject=["pkg:npm/a@1.0.0"]), "STATEMENT_MALFORMED",
     "subject has no name"),
    ("subject-no-name", _doc(subject=[{"digest": {"sha512": HEX}}]), "STATEMENT_MALFORMED",
     "subject has no name"),
    ("subject-name-list", _doc(subject=_subject(name=["x"])), "STATEMENT_MALFORMED",
     "subject has no name"),
    ("no-digest", _doc(subject=[{"name": "x"}]), "SUBJECT_DIGEST", "subject has no sha512 digest"),
    ("digest-list", _doc(subject=_subject(digest=[HEX])), "SUBJECT_DIGEST",
     "subject has no sha512 digest"),
    ("sha256-only", _doc(subject=_subject(digest={"sha256": "ab" * 32})), "SUBJECT_DIGEST",
     "subject has no sha512 digest"),
    ("sha512-int", _doc(subject=_subject(digest={"sha512": 5})), "SUBJECT_DIGEST",
     "subject has no sha512 digest"),
    ("sha512-short", _doc(subject=_subject(digest={"sha512": HEX[:-1]})), "SUBJECT_DIGEST",
     "subject has no sha512 digest"),
    ("sha512-long", _doc(subject=_subject(digest={"sha512": HEX + "a"})), "SUBJECT_DIGEST",
     "subject has no sha512 digest"),
    ("sha512-newline", _doc(subject=_subject(digest={"sha512": HEX + "\n"})), "SUBJECT_DIGEST",
     "subject has no sha512 digest"),
    ("sha512-not-hex", _doc(subject=_subject(digest={"sha512": "g" + HEX[1:]})), "SUBJECT_DIGEST",
     "subject has no sha512 digest"),
    ("sha512-base64", _doc(subject=_subject(digest={"sha512": "q" * 86 + "=="})),
     "SUBJECT_DIGEST", "subject has no sha512 digest"),
    ("no-predicate", _doc(predicate=DELETE), "STATEMENT_MALFORMED",
     "statement predicate is not an object"),
    ("predicate-list", _doc(predicate=[]), "STATEMENT_MALFORMED",
     "statement predicate is not an object"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "reason", "message"),
    [c[1:] for c in BAD_STATEMENTS],
    ids=[c[0] for c in BAD_STATEMENTS],
)
def test_malformed_statement(payload: bytes, reason: str, message: str) -> None:
    rej = rejected(statement.parse_statement, payload, "publish bundle")
    assert (rej.code, rej.message) == (reason, f"publish bundle: {message}")


def test_statement_fields() -> None:
    st = statement.parse_statement(
        _doc(
            _type="https://in-toto.io/Statement/v0.1",
            subject=_subject(digest={"sha512": HEX.upper(), "sha256": "x"}),
            predicateType=statement.PUBLISH_TYPE,
        ),
        LABEL,
    )
    assert st == statement.Statement(statement.PUBLISH_TYPE, "pkg:npm/a@1.0.0", HEX, {"k": "v"})


def test_publish_predicate_names_the_package() -> None:
    def st(predicate: dict[str, Any]) -> statement.Statement:
        return statement.Statement(statement.PUBLISH_TYPE, "pkg:npm/a@1.0.0", HEX, predicate)

    statement.check_publish_predicate(st({"name": "a", "version": "1.0.0"}), "a", "1.0.0", "p")
    for lie, shown in (
        ({"name": "b", "version": "1.0.0"}, "'b'@'1.0.0'"),
        ({"name": "a", "version": "1.0.1"}, "'a'@'1.0.1'"),
        ({"version": "1.0.0"}, "'None'@'1.0.0'"),
        ({"name": "a"}, "'a'@'None'"),
        ({"name": "a" * 300, "version": "1" * 300}, f"{'a' * 100!r}@{'1' * 40!r}"),
    ):
        rej = rejected(statement.check_publish_predicate, st(lie), "a", "1.0.0", "p")
        assert (rej.code, rej.message) == (
            "PUBLISH_PREDICATE",
            f"p: publish predicate is for {shown}, expected a@1.0.0",
        )


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    [
        ("@acme/widget", "1.0.0", "pkg:npm/%40acme/widget@1.0.0"),
        ("widget", "2.0.0-rc.1", "pkg:npm/widget@2.0.0-rc.1"),
        ("w@x", "1.0.0", "pkg:npm/w@x@1.0.0"),  # only a leading (scope) `@` is encoded
    ],
)
def test_purl(name: str, version: str, expected: str) -> None:
    assert statement.purl(name, version) == expected


LONG = "x" * 300


def test_attacker_text_in_messages_is_cut() -> None:
    """Predicate and certificate values are shown in one-line messages, each cut to a
    fixed length (120 characters of a field, 100 of a build type, issuer or project)."""

    def message(builder: str, stmt: dict[str, Any], identity: Identity | None = None) -> str:
        identity = identity or cert_identity(IDENTS[builder])
        return rejected(check, stmt, identity).message

    long_ref = edited(genuine("gha-v2"), (*ENV, "GITHUB_REF"), "refs/heads/" + LONG)
    assert f"is {('refs/heads/' + LONG)[:120]!r}, certificate" in message("gha-v2", long_ref)
    truth = replace(cert_identity(GHA_V2), ref="refs/heads/" + LONG)
    assert message("gha-v2", genuine("gha-v2"), truth).endswith(
        f"certificate says {f'git+{GH}@refs/heads/{LONG}'[:120]!r}"  # configSource.uri
    )
    for builder, path in (("slsa-v1", (*V1, "buildType")), ("gha-v2", ("buildType",))):
        bt = edited(genuine(builder), path, "https://bt.example/" + LONG)
        assert message(builder, bt).endswith(f"buildType {('https://bt.example/' + LONG)[:100]!r}")
    extra = edited(genuine("slsa-v1"), V1_GH, {f"k{i}": "v" for i in range(7)})
    assert message("slsa-v1", extra).endswith("keys ['k0', 'k1', 'k2', 'k3', 'k4']")
    issuer = "https://" + LONG
    github = replace(cert_identity(GHA_V2), issuer=issuer)
    assert message("gha-v2", genuine("gha-v2"), github).endswith(f"issuer is {issuer[:100]!r}")
    byob = replace(cert_identity(BYOB), build_signer=issuer)
    assert f"signed by {issuer[:120]!r}, not" in message("byob", genuine("byob"), byob)
    builder_id = edited(genuine("byob"), ("builder", "id"), issuer)
    assert f"builder.id {issuer[:120]!r} is not" in message("byob", builder_id)
    project = "https://gitlab.com/" + LONG
    gitlab = replace(cert_identity(GITLAB), issuer=issuer, source_repository=project)
    assert message("gitlab", genuine("gitlab"), gitlab).endswith(
        f"issuer {issuer[:100]!r} is not the GitLab instance of {project[:100]!r}"
    )
    runner = edited(genuine("gitlab"), ("builder", "id"), issuer)
    gitlab = replace(cert_identity(GITLAB), source_repository=project)
    assert message("gitlab", runner, gitlab).endswith(
        f"builder.id {issuer[:120]!r} is not a runner of {project[:100]!r}"
    )


REPLACEMENTS: list[Any] = [None, 0, -1, 1.5, True, False, "", "x", [], {}, [1], {"a": 1}, ["x"]]


def _paths(node: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


@pytest.mark.parametrize("builder", sorted(IDENTS))
def test_wrong_json_types_in_every_predicate_field(builder: str) -> None:
    """Every field of the predicate replaced by every JSON type: a verdict (pass, or a
    `Reject` with a reason), never another exception (which the verifier could only report
    as an unexpected BUNDLE_MALFORMED)."""
    stmt = genuine(builder)
    seen = 0
    for path in _paths(stmt["predicate"]):
        for value in REPLACEMENTS:
            try:
                check_builder(builder, edited(stmt, path, value))
            except Reject as rej:
                assert rej.code in ("CERT_PREDICATE_MISMATCH", "BUILD_TYPE_UNKNOWN"), rej
            seen += 1
    assert seen > 200
