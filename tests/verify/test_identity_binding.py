"""Kit-signed provenance: builder pins bind to the certificate, and `@` in a workflow file
or a branch name is part of the name (URIs split at the ref boundary)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from auditor import verify
from auditor.models import (
    Finding,
    Package,
    PackageResult,
    SourceKind,
    Status,
    VerificationResult,
    strip_ref,
)
from auditor.policy import PolicyContext, evaluate, parse_policy
from tests.support.kit import GITHUB, GITLAB, SignerIdentity, SigstoreKit

SHA = hashlib.sha512(b"binding tarball").hexdigest()
SRI = "sha512-" + base64.b64encode(bytes.fromhex(SHA)).decode()
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NAME, VERSION = "@acme/widget", "1.0.0"
Hook = Callable[[str, dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="binding-tests", cache_leaf=True)


@pytest.fixture(scope="module")
def trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root, keys = kit.write_trust(tmp_path_factory.mktemp("trust"))
    return verify.load_trust(root, keys)


def mint(
    kit: SigstoreKit, trust: Any, ident: SignerIdentity, hook: Hook | None = None, **kw: Any
) -> VerificationResult:
    body = kit.attestations(
        NAME, VERSION, SHA, ident, signed_at=WHEN, statement_hook=hook, fmt="v0.2", **kw
    )
    return verify.verify_attestations(NAME, VERSION, SRI, body, trust)


def pinned(result: VerificationResult, builders: list[str]) -> list[Finding]:
    policy = parse_policy(
        f'version = 1\n[[identity]]\npackages = ["@acme/*"]\nbuilders = {json.dumps(builders)}\n',
        "pin.toml",
    )
    pkg = Package(NAME, VERSION, SourceKind.REGISTRY, integrity=SRI, line=3)
    r = PackageResult(pkg, result.status, result.reason, result.message, result)
    return evaluate(policy, [r], PolicyContext(now=WHEN + timedelta(days=30)))


def _set_builder_id(builder_id: str, predicate: dict[str, Any]) -> None:
    predicate["builder"]["id"] = builder_id


def provenance_hook(edit: Callable[[dict[str, Any]], None]) -> Hook:
    def hook(role: str, stmt: dict[str, Any]) -> dict[str, Any]:
        if role == "provenance":
            edit(stmt["predicate"])
        return stmt

    return hook


def as_npm_cli_v0(builder_id: str, build_type: str = "https://github.com/npm/cli/gha@v0") -> Hook:
    """Turn the kit's gha/v2 predicate into a 2023 npm CLI `gha@v0`/`@v1` one."""

    def edit(p: dict[str, Any]) -> None:
        p["buildType"] = build_type
        p["builder"]["id"] = builder_id
        env = p["invocation"]["environment"]
        p["invocation"]["configSource"]["entryPoint"] = env["GITHUB_WORKFLOW_REF"]

    return provenance_hook(edit)


# --- builder pins ---------------------------------------------------------------------------

GHA_V2 = replace(GITHUB, builder="gha-v2")
BYOB = replace(GITHUB, builder="byob")
RUNNER = "https://github.com/actions/runner"


@pytest.mark.parametrize(
    ("ident", "builder_id"),
    [
        (GITHUB, RUNNER + "/github-hosted"),
        (replace(GITHUB, runner_environment="self-hosted"), RUNNER + "/self-hosted"),
        (GHA_V2, RUNNER),
        (
            BYOB,
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
            "builder_nodejs_slsa3.yml@refs/tags/v1.6.0",
        ),
    ],
    ids=["slsa-v1", "slsa-v1-self-hosted", "gha-v2", "byob"],
)
def test_vouched_builder_ids_pass_their_pin(
    kit: SigstoreKit, trust: Any, ident: SignerIdentity, builder_id: str
) -> None:
    r = mint(kit, trust, ident)
    assert r.status is Status.VERIFIED, r.message
    assert r.identity is not None and r.identity.builder_id == builder_id
    assert pinned(r, [builder_id]) == []
    assert [f.rule for f in pinned(r, ["https://builder.example/*"])] == ["identity-builder"]


@pytest.mark.parametrize(
    "build_type", ["https://github.com/npm/cli/gha@v0", "https://github.com/npm/cli/gha@v1"]
)
def test_npm_cli_v0_builder_id_is_never_vouched(
    kit: SigstoreKit, trust: Any, build_type: str
) -> None:
    """Attack: the build job writes the builder id a pin expects.  `gha@v0`/`@v1` put the
    npm CLI's version there, which no certificate attests: genuine provenance verifies, but
    no builder-id glob can pass on it."""
    for claimed in (RUNNER, RUNNER + "/github-hosted", "https://github.com/npm/cli@9.5.0"):
        r = mint(kit, trust, GHA_V2, as_npm_cli_v0(claimed, build_type))
        assert r.status is Status.VERIFIED, r.message
        assert r.identity is not None
        assert (r.identity.build_type, r.identity.builder_id) == (build_type, None)
        assert [f.rule for f in pinned(r, [claimed])] == ["identity-builder"]


def test_npm_cli_v2_builder_id_must_be_the_runner(kit: SigstoreKit, trust: Any) -> None:
    hook = provenance_hook(lambda p: p["builder"].__setitem__("id", RUNNER + "/github-hosted"))
    r = mint(kit, trust, GHA_V2, hook)
    assert (r.status, r.reason) == (Status.INVALID, "CERT_PREDICATE_MISMATCH")


def test_slsa_v1_builder_id_needs_the_runner_environment_claim(
    kit: SigstoreKit, trust: Any
) -> None:
    """Attack: a certificate without the runner environment (.11) cannot vouch for
    `runner/github-hosted`, whatever the predicate says."""
    legacy = replace(GITHUB, legacy_only=True, visibility=None)
    r = mint(kit, trust, legacy)
    assert r.status is Status.VERIFIED, r.message
    assert r.identity is not None and r.identity.builder_id is None
    findings = pinned(r, [RUNNER + "/github-hosted"])
    assert [f.rule for f in findings] == ["identity-builder"]
    # ...and with the claim, a predicate that names another runner is invalid.
    hook = provenance_hook(
        lambda p: p["runDetails"]["builder"].__setitem__("id", RUNNER + "/github-hosted")
    )
    r = mint(kit, trust, replace(GITHUB, runner_environment="self-hosted"), hook)
    assert (r.status, r.reason) == (Status.INVALID, "CERT_PREDICATE_MISMATCH")


def test_byob_builder_must_be_a_released_generator_workflow(kit: SigstoreKit, trust: Any) -> None:
    hook = provenance_hook(
        lambda p: p["builder"].__setitem__("id", "https://github.com/evil/gen/.github/x.yml@v1")
    )
    r = mint(kit, trust, BYOB, hook)
    assert (r.status, r.reason) == (Status.INVALID, "CERT_PREDICATE_MISMATCH")
    # The delegator build type signed by an ordinary workflow is not BYOB.
    byob_type = provenance_hook(
        lambda p: p.__setitem__(
            "buildType",
            "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0",
        )
    )
    r = mint(kit, trust, GHA_V2, byob_type)
    assert (r.status, r.reason) == (Status.INVALID, "CERT_PREDICATE_MISMATCH")


def test_gitlab_runner_id_is_not_vouched(kit: SigstoreKit, trust: Any) -> None:
    r = mint(kit, trust, GITLAB)
    assert r.status is Status.VERIFIED, r.message
    assert r.identity is not None and r.identity.builder_id is None
    runner = f"{GITLAB.source_repository}/-/runners/{GITLAB.runner_id}"
    assert [f.rule for f in pinned(r, [runner])] == ["identity-builder"]
    assert pinned(r, ["gitlab-hosted"]) == []  # the certificate's runner environment


def test_gitlab_builder_id_outside_the_project_is_invalid(kit: SigstoreKit, trust: Any) -> None:
    for claimed in (RUNNER + "/github-hosted", "https://gitlab.com/other/proj/-/runners/1"):
        hook = provenance_hook(partial(_set_builder_id, claimed))
        r = mint(kit, trust, GITLAB, hook)
        assert (r.status, r.reason) == (Status.INVALID, "CERT_PREDICATE_MISMATCH"), claimed


def test_gitlab_build_type_under_a_github_certificate_is_invalid(
    kit: SigstoreKit, trust: Any
) -> None:
    """Attack: a GitHub job signs npm's GitLab predicate (which GitHub checks never see)."""
    gitlab_on_github = replace(
        GITLAB, issuer="https://token.actions.githubusercontent.com", server="https://github.com"
    )
    r = mint(kit, trust, gitlab_on_github)
    assert (r.status, r.reason) == (Status.INVALID, "CERT_PREDICATE_MISMATCH")
    assert "GitLab build type" in (r.message or "")
    # Another issuer than the project's instance.
    foreign = replace(GITLAB, issuer="https://gitlab.example")
    r = mint(kit, trust, foreign)
    assert (r.status, r.reason) == (Status.INVALID, "CERT_PREDICATE_MISMATCH")


# --- '@' in workflow files and branches ---------------------------------------------------


@pytest.mark.parametrize(
    "ident",
    [
        replace(GITHUB, workflow_path=".github/workflows/release@v2.yml"),
        replace(GITHUB, ref="refs/heads/fix@2"),
        replace(GITHUB, workflow_path=".github/workflows/a@b.yml", ref="refs/heads/x@refs/y"),
        replace(GHA_V2, workflow_path=".github/workflows/release@v2.yml"),
        replace(GHA_V2, ref="refs/heads/fix@2"),
        replace(BYOB, workflow_path=".github/workflows/release@v2.yml", ref="refs/heads/a@b"),
        replace(GITLAB, ref="refs/heads/fix@2"),
        replace(GITLAB, workflow_path="ci/release@v2.yml", ref="refs/tags/v1@rc"),
    ],
    ids=lambda i: f"{i.builder}:{i.workflow_path}:{i.ref}",
)
@pytest.mark.parametrize("fmt", ["v0.1", "v0.2", "v0.3"])
def test_at_sign_in_workflow_or_branch_verifies(
    kit: SigstoreKit, trust: Any, ident: SignerIdentity, fmt: str
) -> None:
    body = kit.attestations(NAME, VERSION, SHA, ident, signed_at=WHEN, fmt=fmt)
    r = verify.verify_attestations(NAME, VERSION, SRI, body, trust)
    assert r.status is Status.VERIFIED, r.message
    assert r.identity is not None
    assert r.identity.workflow_path == ident.workflow_path
    assert r.identity.ref == ident.ref
    policy = parse_policy(
        "version = 1\n[[identity]]\n"
        f'packages = ["@acme/*"]\nworkflows = ["{ident.workflow_path}"]\n'
        f'refs = ["{ident.ref}"]\n',
        "at.toml",
    )
    pkg = Package(NAME, VERSION, SourceKind.REGISTRY, integrity=SRI, line=3)
    findings = evaluate(
        policy, [PackageResult(pkg, r.status, None, None, r)], PolicyContext(now=WHEN)
    )
    assert findings == []


@pytest.mark.parametrize(
    ("uri", "ref", "path"),
    [
        ("https://github.com/o/r/.github/workflows/a@b.yml@refs/tags/v1", "refs/tags/v1", None),
        ("https://github.com/o/r/.github/workflows/a@b.yml@refs/tags/v1", None, None),
        ("https://github.com/o/r/.github/workflows/a.yml@refs/heads/x@y", "refs/heads/x@y", None),
        ("https://github.com/o/r/.github/workflows/a.yml@refs/heads/x@y", None, None),
        ("https://github.com/o/r/.github/workflows/a@b.yml@0123abcd", None, None),
        ("https://gitlab.com/g/p//ci/a@b.yml@refs/heads/m@n", "refs/heads/m@n", None),
        ("https://github.com/o/r/.github/workflows/a.yml", None, "same"),
    ],
)
def test_strip_ref_cuts_at_the_ref_boundary(uri: str, ref: str | None, path: str | None) -> None:
    expected = uri if path == "same" else uri[: uri.index(".yml") + 4]
    assert strip_ref(uri, ref) == expected
