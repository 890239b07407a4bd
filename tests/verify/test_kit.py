"""Every format and builder minted by the test signing kit (tests/support/kit.py), with
trust supplied through trusted_root.json / keys files exactly like the real ones."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest

from auditor.models import Status
from auditor.verify import REASON_CODES, TrustMaterial, load_trust, verify_attestations
from tests.support import kit as kit_module
from tests.support.kit import GITHUB, GITLAB, SignerIdentity, SigstoreKit, Tamper

NAME, VERSION = "@acme/widget", "1.2.3"
SHA512 = hashlib.sha512(b"the tarball").digest()
INTEGRITY = "sha512-" + base64.b64encode(SHA512).decode()
# Every format the kit mints (Rekor v2 "rekor2-*" included when the kit has them).
FORMATS = list(get_args(kit_module.BundleFormat))
REKOR_V2 = [f for f in FORMATS if f.startswith("rekor2")]
IDENTITIES = {
    "slsa-v1": GITHUB,
    "gha-v2": dataclasses.replace(GITHUB, builder="gha-v2"),
    "byob": dataclasses.replace(GITHUB, builder="byob"),
    "gitlab": GITLAB,
    "legacy-2023": dataclasses.replace(GITHUB, builder="gha-v2", legacy_only=True),
    "self-hosted": dataclasses.replace(GITHUB, runner_environment="self-hosted"),
}


@pytest.fixture(scope="module")
def kit() -> SigstoreKit:
    return SigstoreKit(seed="verify-tests", cache_leaf=True)


@pytest.fixture(scope="module")
def kit_trust(kit: SigstoreKit, tmp_path_factory: pytest.TempPathFactory) -> TrustMaterial:
    root, keys = kit.write_trust(tmp_path_factory.mktemp("trust"))
    return load_trust(root, keys)


def _verify(body: bytes, trust: TrustMaterial, integrity: str = INTEGRITY) -> Any:
    r = verify_attestations(NAME, VERSION, integrity, body, trust)
    if r.status is Status.INVALID:
        assert r.reason in REASON_CODES and r.message and "\n" not in r.message
    return r


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("builder", sorted(IDENTITIES))
def test_kit_formats_verify(
    fmt: str, builder: str, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    ident: SignerIdentity = IDENTITIES[builder]
    body = kit.attestations(NAME, VERSION, SHA512, identity=ident, fmt=fmt)
    r = _verify(body, kit_trust)
    assert r.status is Status.VERIFIED, r.message
    identity = r.identity
    assert identity.issuer == ident.issuer_url
    assert identity.source_repository == ident.source_repository
    assert identity.commit == ident.commit
    assert identity.ref == ident.ref
    assert identity.san == ident.build_signer
    assert identity.build_type
    # The builder id is reported only where the certificate vouches for it.
    assert (identity.builder_id is None) == (ident.builder == "gitlab"), identity.builder_id
    if ident.legacy_only:
        assert identity.repository_id is None and identity.workflow is None
    else:
        assert identity.repository_id == ident.repository_id
        assert identity.owner_id == ident.owner_id
        assert identity.workflow == ident.build_config
        assert identity.runner_environment == ident.runner_environment
        assert identity.invocation == ident.invocation
    kinds = {a.tlog_kind for a in r.attestations}
    if fmt in REKOR_V2:
        assert kinds == {"hashedrekord/0.0.2" if "hashedrekord" in fmt else "dsse/0.0.2"}
    else:
        assert kinds <= {"intoto/0.0.2", "dsse/0.0.1"}
    assert [a.key_id for a in r.attestations if a.key_id] == [kit.npm_key_id]


def test_kit_dsse_kind_in_v02(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    body = kit.attestations(NAME, VERSION, SHA512, fmt="v0.2", kind="dsse")
    r = _verify(body, kit_trust)
    assert r.status is Status.VERIFIED
    assert {a.tlog_kind for a in r.attestations} == {"dsse/0.0.1"}


def test_kit_publish_only(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    body = kit.attestations(NAME, VERSION, SHA512, provenance=False)
    r = _verify(body, kit_trust)
    assert r.status is Status.PUBLISH_ONLY and r.identity is None


def test_kit_provenance_only(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    body = kit.attestations(NAME, VERSION, SHA512, publish=False)
    assert _verify(body, kit_trust).status is Status.VERIFIED


# Keyed by the kit's tamper names (values), so a kit that grows new modes fails loudly here.
EXPECTED: dict[str, str | Status] = {
    "payload": "DSSE_SIGNATURE",
    "signature": "DSSE_SIGNATURE",
    "payload-type": "DSSE_SIGNATURE",
    "subject-digest": "SUBJECT_DIGEST",
    "subject-name": "SUBJECT_NAME",
    "two-subjects": "SUBJECT_NAME",
    "statement-type": "STATEMENT_MALFORMED",
    "outer-predicate-type": "PREDICATE_TYPE",
    "set": "SET_INVALID",
    "set-missing": "NO_VERIFIED_TIME",  # v0.2+: the proof alone gives no time
    "integrated-time": "SET_INVALID",
    "proof-hash": "INCLUSION_PROOF",
    "proof-root": "CHECKPOINT",  # the proof is self-consistent; its root is not the log's
    "checkpoint-signature": "CHECKPOINT",
    "body-mismatch": "TLOG_BODY_MISMATCH",
    "unknown-log": "LOG_UNKNOWN",
    "timestamp": "TIMESTAMP_INVALID",
    "untrusted-ca": "CERT_CHAIN",
    "no-sct": "SCT",
    "bad-sct": "SCT",
    "cert-expired": "CERT_CHAIN",
    "leaf-ca": "CERT_CHAIN",
    "no-code-signing": "CERT_CHAIN",
    "no-digital-signature": "CERT_CHAIN",
    "unknown-critical": "CERT_CHAIN",
    "role-swap": "ROLE_MISMATCH",
    "publish-unknown-key": "KEY_UNKNOWN",
    "publish-key-expired": "KEY_NOT_VALID_AT_TIME",
    "predicate-mismatch": "CERT_PREDICATE_MISMATCH",
    "strip-provenance": Status.PUBLISH_ONLY,
    "duplicate-publish": "DUPLICATE_ATTESTATION",
}
# Rekor v2 entries carry no SET and no trusted integratedTime: these tampers touch fields
# the verifier (rightly) ignores for tile logs.
REKOR_V2_IGNORED = {"set", "set-missing", "integrated-time"}
# v0.1: no inclusion proof or timestamp to tamper with.
V01_NOT_APPLICABLE = {"proof-hash", "proof-root", "checkpoint-signature", "timestamp"}


def test_every_kit_tamper_is_mapped() -> None:
    assert {t.value for t in Tamper} <= set(EXPECTED)


@pytest.fixture(scope="module")
def expiring(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigstoreKit, TrustMaterial]:
    kit = SigstoreKit(seed="verify-expiring", npm_key_valid_until=datetime(2024, 1, 1, tzinfo=UTC))
    root, keys = kit.write_trust(tmp_path_factory.mktemp("trust-expiring"))
    return kit, load_trust(root, keys)


@pytest.mark.parametrize("fmt", ["v0.1", "v0.2", "v0.3", *REKOR_V2])
@pytest.mark.parametrize("tamper", list(Tamper), ids=str)
def test_kit_tamper(
    fmt: str,
    tamper: Tamper,
    kit: SigstoreKit,
    kit_trust: TrustMaterial,
    expiring: tuple[SigstoreKit, TrustMaterial],
) -> None:
    expected = EXPECTED[tamper.value]
    if fmt == "v0.1" and tamper.value in V01_NOT_APPLICABLE:
        pytest.skip("v0.1 bundles carry no inclusion proof or timestamp")
    if fmt != "v0.1" and fmt not in REKOR_V2 and tamper.value == "timestamp":
        pytest.skip("Rekor v1 bundles carry no RFC 3161 timestamp")
    if fmt == "v0.1" and tamper.value == "set-missing":
        expected = "SET_INVALID"  # v0.1 needs its SET
    if fmt in REKOR_V2 and tamper.value in REKOR_V2_IGNORED:
        expected = Status.VERIFIED
    minter, trust = (kit, kit_trust)
    if tamper is Tamper.PUBLISH_KEY_EXPIRED:
        minter, trust = expiring
    body = minter.attestations(NAME, VERSION, SHA512, fmt=fmt, tamper=tamper)
    r = _verify(body, trust)
    if isinstance(expected, Status):
        assert r.status is expected
    else:
        assert (r.status, r.reason) == (Status.INVALID, expected), r.message


@pytest.mark.parametrize("builder", ["gha-v2", "byob", "gitlab"])
def test_kit_predicate_mismatch_each_builder(
    builder: str, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    body = kit.attestations(
        NAME, VERSION, SHA512, identity=IDENTITIES[builder], tamper=Tamper.PREDICATE_MISMATCH
    )
    assert _verify(body, kit_trust).reason == "CERT_PREDICATE_MISMATCH"


def _hook(path: list[str], value: Any) -> Any:
    def hook(role: str, stmt: dict[str, Any]) -> dict[str, Any]:
        if role != "provenance":
            return stmt
        node = stmt["predicate"]
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return stmt

    return hook


V1_FIELDS = [
    (["buildDefinition", "externalParameters", "workflow", "ref"], "refs/heads/evil"),
    (["buildDefinition", "externalParameters", "workflow", "path"], ".github/workflows/x.yml"),
    (["buildDefinition", "externalParameters", "workflow", "repository"], "https://github.com/e/v"),
    (["buildDefinition", "internalParameters", "github", "event_name"], "workflow_dispatch"),
    (["buildDefinition", "internalParameters", "github", "repository_id"], "1"),
    (["buildDefinition", "internalParameters", "github", "repository_owner_id"], "1"),
    (["buildDefinition", "internalParameters", "github", "injected"], "x"),
    (["buildDefinition", "resolvedDependencies"], []),
    (["runDetails", "builder", "id"], "https://github.com/actions/runner/self-hosted"),
    (
        ["runDetails", "metadata", "invocationId"],
        "https://github.com/acme/widget/actions/runs/1/attempts/1",
    ),
    (["buildDefinition", "externalParameters", "workflow", "ref"], KeyError),
]


@pytest.mark.parametrize(("path", "value"), V1_FIELDS, ids=lambda v: str(v)[:40])
def test_slsa_v1_predicate_field_mismatch(
    path: list[str], value: Any, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    body = kit.attestations(NAME, VERSION, SHA512, statement_hook=_hook(path, value))
    assert _verify(body, kit_trust).reason == "CERT_PREDICATE_MISMATCH"


V02_FIELDS = [
    (["invocation", "configSource", "uri"], "git+https://github.com/acme/widget@refs/heads/x"),
    (["invocation", "configSource", "digest", "sha1"], "0" * 40),
    (["invocation", "configSource", "entryPoint"], ".github/workflows/other.yml"),
    (["invocation", "environment", "GITHUB_REPOSITORY"], "evil/widget"),
    (["invocation", "environment", "GITHUB_SHA"], "0" * 40),
    (["invocation", "environment", "GITHUB_RUN_ID"], "1"),
    (["invocation", "environment", "GITHUB_WORKFLOW_REF"], "acme/widget/x.yml@refs/tags/v1"),
    # Each environment variable the certificate attests (mutation testing found the
    # workflow digest, Fulcio .19, unguarded).
    (["invocation", "environment", "GITHUB_WORKFLOW_SHA"], "0" * 40),
    (["invocation", "environment", "GITHUB_EVENT_NAME"], "workflow_dispatch"),
    (["invocation", "environment", "GITHUB_REF"], "refs/heads/evil"),
    (["invocation", "environment", "GITHUB_REPOSITORY_ID"], "1"),
    (["invocation", "environment", "GITHUB_REPOSITORY_OWNER_ID"], "1"),
    (["invocation", "environment", "GITHUB_RUN_ATTEMPT"], "9"),
    (["invocation", "parameters"], {"x": 1}),
    (["metadata", "completeness"], "x"),  # not BUNDLE_MALFORMED (an AttributeError before)
    (["materials"], []),
    (["metadata", "buildInvocationId"], "1-1"),
    (["builder", "id"], "https://example.com/builder"),
]


@pytest.mark.parametrize(("path", "value"), V02_FIELDS, ids=lambda v: str(v)[:40])
def test_npm_gha_v2_predicate_field_mismatch(
    path: list[str], value: Any, kit: SigstoreKit, kit_trust: TrustMaterial
) -> None:
    body = kit.attestations(
        NAME, VERSION, SHA512, identity=IDENTITIES["gha-v2"], statement_hook=_hook(path, value)
    )
    assert _verify(body, kit_trust).reason == "CERT_PREDICATE_MISMATCH"


def test_unknown_build_type(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    hook = _hook(["buildDefinition", "buildType"], "https://example.com/buildtype/v1")
    body = kit.attestations(NAME, VERSION, SHA512, statement_hook=hook)
    assert _verify(body, kit_trust).reason == "BUILD_TYPE_UNKNOWN"


def test_publish_predicate_for_other_version(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    def hook(role: str, stmt: dict[str, Any]) -> dict[str, Any]:
        if role == "publish":
            stmt["predicate"]["version"] = "9.9.9"
        return stmt

    body = kit.attestations(NAME, VERSION, SHA512, statement_hook=hook)
    assert _verify(body, kit_trust).reason == "PUBLISH_PREDICATE"


def test_wrong_trust_rejects_kit_bundles(kit: SigstoreKit, trust: TrustMaterial) -> None:
    # Kit bundles under the production trust root: the log is unknown.
    body = kit.attestations(NAME, VERSION, SHA512)
    assert _verify(body, trust).reason in {"LOG_UNKNOWN", "KEY_UNKNOWN"}


def test_signing_time_is_reported(tmp_path: Path) -> None:
    kit = SigstoreKit(seed="verify-time")  # no leaf cache: the leaf is issued at `when`
    when = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    body = kit.attestations(NAME, VERSION, SHA512, signed_at=when)
    r = _verify(body, load_trust(*kit.write_trust(tmp_path)))
    times = [a.signed_at for a in r.attestations]
    assert all(when <= t <= when + timedelta(minutes=10) for t in times)
    assert r.signed_at == min(times)


def test_kit_trust_files_are_plain_paths(tmp_path: Path, kit: SigstoreKit) -> None:
    root, keys = kit.write_trust(tmp_path)
    assert load_trust(root, keys).npm_key(kit.npm_key_id, "npm:attestations") is not None


@dataclasses.dataclass(frozen=True)
class _Disagreeing(SignerIdentity):
    """A leaf whose deprecated extension (.1-.6) contradicts its replacement."""

    lie_oid: str = "1"
    lie: bytes = b"https://evil.example"

    def extensions(self) -> list[tuple[str, bytes]]:
        return [(o, self.lie if o == self.lie_oid else v) for o, v in super().extensions()]


@pytest.mark.parametrize(
    ("oid", "value", "field"),
    [
        ("1", b"https://token.actions.example", "issuer"),  # .1 vs .8
        ("5", b"evil/widget", "source repository"),  # .5 vs .12
        ("6", b"refs/heads/evil", "ref"),  # .6 vs .14
        ("3", b"0" * 40, "commit"),  # .3 vs .13
        ("2", b"workflow_dispatch", "trigger"),  # .2 vs .20
    ],
)
def test_deprecated_oid_must_agree(oid: str, value: bytes, field: str, tmp_path: Path) -> None:
    kit = SigstoreKit(seed="verify-oids")
    ident = _Disagreeing(lie_oid=oid, lie=value)
    body = kit.attestations(NAME, VERSION, SHA512, identity=ident)
    r = _verify(body, load_trust(*kit.write_trust(tmp_path)))
    assert (r.status, r.reason) == (Status.INVALID, "CERT_IDENTITY"), r.message
    # The message names the field whose two extensions disagree.
    assert f"provenance bundle: certificate {field} '" in r.message, r.message


def test_non_der_extension_rejected(tmp_path: Path) -> None:
    kit = SigstoreKit(seed="verify-oids")
    ident = _Disagreeing(lie_oid="12", lie=b"https://github.com/acme/widget")  # raw, no DER
    body = kit.attestations(NAME, VERSION, SHA512, identity=ident)
    r = _verify(body, load_trust(*kit.write_trust(tmp_path)))
    assert r.reason == "CERT_IDENTITY"


@pytest.mark.parametrize("oid", ["1", "5"])
def test_non_utf8_deprecated_extension_rejected(oid: str, tmp_path: Path) -> None:
    """The deprecated extensions (.1 .. .6) are raw UTF-8, never trusted when they are not."""
    kit = SigstoreKit(seed="verify-oids")
    ident = _Disagreeing(lie_oid=oid, lie=b"acme\xff/widget")
    body = kit.attestations(NAME, VERSION, SHA512, identity=ident)
    r = _verify(body, load_trust(*kit.write_trust(tmp_path)))
    assert r.reason == "CERT_IDENTITY"
    assert r.message == f"provenance bundle: Fulcio extension .{oid} is not UTF-8"


def test_gitlab_config_path_mismatch(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    hook = _hook(["invocation", "parameters", "CI_CONFIG_PATH"], "other-ci.yml")
    body = kit.attestations(NAME, VERSION, SHA512, identity=GITLAB, statement_hook=hook)
    assert _verify(body, kit_trust).reason == "CERT_PREDICATE_MISMATCH"


def test_npm_cli_v02_cannot_claim_completeness(kit: SigstoreKit, kit_trust: TrustMaterial) -> None:
    hook = _hook(["metadata", "reproducible"], True)
    body = kit.attestations(
        NAME, VERSION, SHA512, identity=IDENTITIES["gha-v2"], statement_hook=hook
    )
    assert _verify(body, kit_trust).reason == "CERT_PREDICATE_MISMATCH"
