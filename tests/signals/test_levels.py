"""Trust levels from verified results and packument claims, and the downgrade search."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.models import (
    Evidence,
    Packument,
    RegistrySignature,
    SignatureStatus,
    Status,
    VersionInfo,
)
from auditor.policy import globs
from auditor.registry.packument import parse_packument
from auditor.signals.levels import (
    claimed_level,
    find_downgrade,
    is_prerelease,
    major_line,
    oidc_provider,
    publisher,
    trust_level,
)
from tests.policy._helpers import NOW, identity, result, verified

GITLAB = "https://gitlab.com"


def _info(**over: Any) -> VersionInfo:
    """A version's claims (version 1.0.0 unless `version=` is given)."""
    return VersionInfo(**{"version": "1.0.0", **over})


def _pk(name: str, *infos: VersionInfo) -> Packument:
    return Packument(name=name, versions={i.version: i for i in infos})


# ------------------------------------------------------------------ the audited version

PROV = {"provenance_advertised": True, "attestations_advertised": True}


@pytest.mark.parametrize(
    ("claims", "level"),
    [
        ({}, Evidence.PROVENANCE),
        (PROV, Evidence.PROVENANCE),
        ({**PROV, "trusted_publisher": True}, Evidence.TRUSTED_PUBLISHER),
        (
            {**PROV, "trusted_publisher": True, "trusted_publisher_id": "github"},
            Evidence.TRUSTED_PUBLISHER,
        ),
        # The registry says GitLab published it; the certificate says GitHub: not raised.
        (
            {**PROV, "trusted_publisher": True, "trusted_publisher_id": "gitlab"},
            Evidence.PROVENANCE,
        ),
        ({**PROV, "approver": True, "publisher": "alice"}, Evidence.STAGED_PUBLISH),
        # Staged publishing rewrites _npmUser: no trustedPublisher, the approver instead.
        ({**PROV, "approver": True, "trusted_publisher": False}, Evidence.STAGED_PUBLISH),
    ],
)
def test_verified_level(claims: dict[str, object], level: Evidence) -> None:
    r = verified(packument=_pk("@acme/widget", _info(**claims)))
    assert trust_level(r) is level


def test_claims_above_provenance_need_a_ci_certificate() -> None:
    """A verified certificate from an issuer that is not a CI provider's OIDC: the
    registry's trusted-publisher or approver claim does not raise it."""
    claims = _pk("@acme/widget", _info(**PROV, trusted_publisher=True, approver=True))
    r = verified(ident=identity(issuer="https://accounts.example.test"), packument=claims)
    assert trust_level(r) is Evidence.PROVENANCE
    assert oidc_provider(identity(issuer=GITLAB + "/")) == "gitlab"


@pytest.mark.parametrize("status", [Status.UNATTESTED, Status.PUBLISH_ONLY])
def test_registry_npmuser_cannot_raise_a_version_without_provenance(status: Status) -> None:
    """Attack: the registry marks an unattested or publish-only version as a trusted or
    staged publish.  Without verified provenance its level stays where it is."""
    claims = _pk("dep", _info(**PROV, trusted_publisher=True, approver=True, publisher="x"))
    r = result(status, packument=claims)
    assert trust_level(r) is (
        Evidence.NONE if status is Status.UNATTESTED else Evidence.PUBLISH_ONLY
    )


def test_signature_alone_is_publish_only_and_undecided_is_none() -> None:
    signed = replace(
        result(Status.UNATTESTED),
        registry_signature=RegistrySignature(SignatureStatus.VERIFIED, "k"),
    )
    assert trust_level(signed) is Evidence.PUBLISH_ONLY
    forged = replace(signed, registry_signature=RegistrySignature(SignatureStatus.INVALID, "k"))
    assert trust_level(forged) is Evidence.NONE
    assert trust_level(result(Status.ERROR)) is None
    assert trust_level(result(Status.INVALID)) is Evidence.NONE


def test_claimed_levels() -> None:
    assert claimed_level(_info()) is Evidence.NONE
    assert claimed_level(_info(signed=True)) is Evidence.PUBLISH_ONLY
    assert claimed_level(_info(attestations_advertised=True)) is Evidence.PUBLISH_ONLY
    assert claimed_level(_info(**PROV)) is Evidence.PROVENANCE
    assert claimed_level(_info(**PROV, trusted_publisher=True)) is Evidence.TRUSTED_PUBLISHER
    assert claimed_level(_info(**PROV, approver=True)) is Evidence.STAGED_PUBLISH
    # An approver without provenance: a staged publish nothing shows was built in CI.
    assert claimed_level(_info(approver=True, signed=True)) is Evidence.PUBLISH_ONLY


def test_publisher_words() -> None:
    staged = verified(
        packument=_pk("@acme/widget", _info(**PROV, approver=True, publisher="alice"))
    )
    assert publisher(staged) == (
        "https://github.com/acme/widget (.github/workflows/release.yml), approved by 'alice'"
    )
    assert publisher(result(Status.UNATTESTED, packument=_pk("dep", _info(publisher="bob")))) == (
        "npm user 'bob'"
    )
    assert publisher(result(Status.UNATTESTED)) == "unknown publisher"


# ------------------------------------------------------------------ packument parsing

_NPMUSER_DOC = {
    "name": "axios",
    "versions": {
        "1.0.0": {
            "version": "1.0.0",
            "dist": {"integrity": "sha512-x", "signatures": [{"keyid": "k", "sig": "s"}]},
            "_npmUser": {"name": "jasonsaayman", "email": "j@example.test"},
        },
        "1.1.0": {
            "version": "1.1.0",
            "dist": {"attestations": {"provenance": {"predicateType": "p"}}, "signatures": []},
            "_npmUser": {
                "name": "GitHub Actions",
                "trustedPublisher": {"id": "github", "oidcConfigId": "oidc:x"},
            },
        },
        "1.2.0": {
            "version": "1.2.0",
            "dist": {"attestations": {"provenance": {"predicateType": "p"}}},
            "_npmUser": {"name": "alice", "email": "a@example.test", "approver": {"name": "alice"}},
        },
    },
    "time": {"1.0.0": "2026-01-01T00:00:00.000Z"},
}


@pytest.mark.parametrize("history", [True, False])
def test_packument_reads_npmuser(history: bool) -> None:
    body = json.dumps(_NPMUSER_DOC).encode()
    pk = parse_packument(
        "axios", body, None if history else ["1.0.0", "1.1.0", "1.2.0"], history=history
    )
    v0, v1, v2 = (pk.versions[v] for v in ("1.0.0", "1.1.0", "1.2.0"))
    assert (v0.publisher, v0.signed, v0.approver, v0.trusted_publisher) == (
        "jasonsaayman",
        True,
        False,
        False,
    )
    assert (v1.publisher, v1.trusted_publisher_id, v1.signed) == ("GitHub Actions", "github", False)
    assert (v2.publisher, v2.approver) == ("alice", True)
    assert [claimed_level(v) for v in (v0, v1, v2)] == [
        Evidence.PUBLISH_ONLY,
        Evidence.TRUSTED_PUBLISHER,
        Evidence.STAGED_PUBLISH,
    ]


def test_packument_npmuser_hostile_values_are_bounded() -> None:
    doc = {
        "versions": {
            "1.0.0": {
                "_npmUser": {"name": "x" * 10000, "approver": "", "trustedPublisher": {"id": 5}}
            }
        }
    }
    info = parse_packument("p", json.dumps(doc).encode()).versions["1.0.0"]
    assert info.publisher is not None and len(info.publisher) == 214
    assert not info.approver and info.trusted_publisher_id is None
    bad = parse_packument("p", b'{"versions": {"1.0.0": {"_npmUser": "str"}}}').versions["1.0.0"]
    assert bad.publisher is None and not bad.trusted_publisher


# ------------------------------------------------------------------ downgrade search


def test_major_line() -> None:
    assert major_line("1.14.1") == "1"
    assert major_line("0.3.0") == "0"
    assert major_line("v2.0.0") == "2"
    assert major_line("latest") == "latest"


def _hist(*rows: tuple[str, int, Evidence]) -> Packument:
    claims: dict[Evidence, dict[str, Any]] = {
        Evidence.NONE: {},
        Evidence.PUBLISH_ONLY: {"signed": True},
        Evidence.PROVENANCE: PROV,
        Evidence.TRUSTED_PUBLISHER: {
            **PROV,
            "trusted_publisher": True,
            "publisher": "GitHub Actions",
        },
        Evidence.STAGED_PUBLISH: {**PROV, "approver": True, "publisher": "alice"},
    }
    return _pk(
        "axios",
        *(_info(version=v, published=NOW - timedelta(days=d), **claims[e]) for v, d, e in rows),
    )


def test_downgrade_explains_from_and_to_and_last_trusted() -> None:
    pk = _hist(
        ("1.13.0", 30, Evidence.STAGED_PUBLISH),
        ("1.14.0", 10, Evidence.TRUSTED_PUBLISHER),
        ("1.14.1", 0, Evidence.NONE),
    )
    got = find_downgrade("1.14.1", Evidence.NONE, NOW, pk)
    assert got is not None
    assert (got.earlier_version, got.earlier_level) == ("1.13.0", Evidence.STAGED_PUBLISH)
    assert got.earlier_publisher == "npm user 'alice' (approver)"
    assert (got.last_trusted_version, got.last_trusted_level) == (
        "1.14.0",
        Evidence.TRUSTED_PUBLISHER,
    )
    assert got.scope == "major 1"


def test_downgrade_within_the_major_line_only_by_default() -> None:
    """A backport to 0.x published after 1.x had trusted publishing is not a downgrade."""
    pk = _hist(("1.0.0", 10, Evidence.TRUSTED_PUBLISHER), ("0.9.9", 0, Evidence.NONE))
    assert find_downgrade("0.9.9", Evidence.NONE, NOW, pk) is None
    across = find_downgrade("0.9.9", Evidence.NONE, NOW, pk, scope="all")
    assert across is not None and across.scope == "all versions"


def test_no_downgrade_for_equal_later_or_prerelease_evidence() -> None:
    pk = _hist(
        ("1.0.0", 10, Evidence.PROVENANCE),
        ("1.1.0-rc.1", 5, Evidence.STAGED_PUBLISH),
        ("1.2.0", -1, Evidence.STAGED_PUBLISH),  # published later
        ("1.1.0", 0, Evidence.PROVENANCE),
    )
    assert find_downgrade("1.1.0", Evidence.PROVENANCE, NOW, pk) is None
    # A prerelease is compared with everything earlier.
    got = find_downgrade("1.1.0-rc.2", Evidence.PROVENANCE, NOW, pk)
    assert got is not None and got.earlier_version == "1.1.0-rc.1"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(
            r"\s?v?[0-9]{1,3}\.[0-9]{1,2}\.[0-9]{1,2}(-[0-9a-z.-]{0,6})?(\+[a-z0-9.]{0,4})?\s?",
            fullmatch=True,
        ),
        st.text(max_size=12),
    )
)
def test_prerelease_reads_versions_as_node_semver(version: str) -> None:
    """The signals' prerelease test agrees with the policy's (node-semver, strict)."""
    assert is_prerelease(version) == globs.is_prerelease(version)
