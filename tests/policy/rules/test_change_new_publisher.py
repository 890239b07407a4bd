"""change-new-publisher: another verified builder, or another registry account."""

from __future__ import annotations

from dataclasses import replace

from auditor.models import Identity, Package, PackageResult, Packument, Status, VersionInfo
from tests.diff._build import REPO, WORKFLOW, identity, pkg, result
from tests.policy.rules._change import rules, run

A1, A2 = pkg("a", "1.0.0"), pkg("a", "1.0.1")
RUNNER = "https://github.com/actions/runner/github-hosted"
GENERATOR = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/x.yml"


def _built(p: Package, builder: str | None, signer: str | None = None) -> PackageResult:
    ident: Identity = replace(identity(), builder_id=builder, build_signer=signer or WORKFLOW)
    return result(p, Status.VERIFIED, ident)


def _account(
    p: Package, name: str, email: str, status: Status = Status.UNATTESTED
) -> PackageResult:
    info = VersionInfo(p.version, publisher=name, publisher_email=email)
    return replace(result(p, status), packument=Packument(p.name, {p.version: info}))


def test_builder_changed_positive_and_negative() -> None:
    base = _built(A1, RUNNER)
    assert rules(A1, A2, base=base, head=_built(A2, RUNNER)) == []
    out = run(A1, A2, base=base, head=_built(A2, GENERATOR + "@refs/tags/v2"))
    assert [r for r, _, _ in out] == ["change-new-publisher"]
    assert "built by another builder: builder" in out[0][2]
    # A reusable signing workflow from another repository is a new builder too.
    shared = _built(
        A2, RUNNER, "https://github.com/evil/ci/.github/workflows/pub.yml@refs/heads/main"
    )
    assert rules(A1, A2, base=base, head=shared) == ["change-new-publisher"]
    # The repository's own workflow moving is change-workflow's, not this rule's.
    own = _built(A2, RUNNER, f"{REPO}/.github/workflows/other.yml@refs/tags/v1.0.1")
    assert "change-new-publisher" not in rules(A1, A2, base=base, head=own)


def test_account_changed_positive_and_negative() -> None:
    base = _account(A1, "jasonsaayman", "jasonsaayman@example.test")
    same = _account(A2, "jasonsaayman", "JasonSaayman@example.test")
    assert rules(A1, A2, base=base, head=same) == []
    # The axios pattern: same account name, the account's email changed.
    moved = _account(A2, "jasonsaayman", "ifstap@proton.example")
    out = run(A1, A2, base=base, head=moved)
    assert [r for r, _, _ in out] == ["change-new-publisher"]
    assert (
        "npm user 'jasonsaayman' <jasonsaayman@example.test> -> npm user 'jasonsaayman' "
        in (out[0][2])
    )


def test_ci_to_account_is_reported_and_gaining_provenance_is_not() -> None:
    ci = _built(A1, RUNNER)
    token = _account(A2, "maintainer", "m@example.test")
    assert rules(A1, A2, base=ci, head=token) == ["change-provenance-lost", "change-new-publisher"]
    assert "change-new-publisher" not in rules(
        A1, A2, base=_account(A1, "m", "m@example.test"), head=_built(A2, RUNNER)
    )
