"""A test Sigstore (Fulcio CA, CT log, Rekor log) and npm registry key that mint npm
attestation responses byte-compatible with the real ones.

    kit = SigstoreKit(seed=1)
    body = kit.attestations("@acme/widget", "1.2.3", tarball_sha512, identity=GITHUB)
    root, keys = kit.write_trust(tmp_path)      # trusted_root.json, npm-registry-keys.json

Every byte follows docs/attestation-verification.md (shared spec, sections 2-4):

* Fulcio: P-384 root and intermediate (like production), a fresh P-256 leaf per signing,
  valid 10 minutes, Fulcio OID extensions .1-.6 raw and .8-.22 DER UTF8String.
* CT: the leaf is first issued as a precertificate (poison extension); the SCT is signed
  over the RFC 6962 precert struct and embedded in the final certificate.
* Rekor v1: an RFC 6962 Merkle tree with real inclusion proofs, SETs over the canonical
  JSON of {body, integratedTime, logID, logIndex} (global index), signed-note checkpoints
  with origin "<host> - <treeID>" and the 4-byte key hint.  Entries live in a shard: the
  proof index differs from the global log index, as in production.
* npm registry key: P-256; keyId = "SHA256:" + base64-nopad(SHA-256(OpenSSH wire blob)).
  The key set mirrors the real one: the current key (`npm_key`, both usages, window from
  `valid_from`, open unless `npm_key_valid_until`) and a retired key (`npm_key_2023`, like
  the registry's 2023 key: `npm:signatures` valid [1999-01-01, 2025-01-29),
  `npm:attestations` [2022-12-01, 2025-01-29)).  Registry signatures (`sign_registry`)
  are ECDSA-SHA256 DER over `<name>@<version>:<integrity>`, base64, by either key.

Formats: "v0.1" (SET only, 3-cert chain, intoto/0.0.2, "inclusionProof": null),
"v0.2" (intoto/0.0.2 + proof + checkpoint), "v0.3" / "v0.3-alt" (dsse/0.0.1, both media
type spellings), and Rekor v2 ("rekor2-dsse": dsse/0.0.2, "rekor2-hashedrekord":
hashedrekord/0.0.2 as sigstore-python emits DSSE): an Ed25519 tile log with a C2SP key
id and origin = host, no SET and no integratedTime, time from an RFC 3161 TSA token over
the signature bytes.  Tampering: see `Tamper`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.rfc3161 import TimestampAuthority

__all__ = [
    "FORMATS",
    "GITHUB",
    "GITLAB",
    "PREDICATE_PROVENANCE_V02",
    "PREDICATE_PROVENANCE_V1",
    "PREDICATE_PUBLISH",
    "BundleFormat",
    "MintOptions",
    "SignerIdentity",
    "SigstoreKit",
    "Tamper",
    "purl",
]

PREDICATE_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
PREDICATE_PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2"
PREDICATE_PUBLISH = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1"
STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
MEDIA_V01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
MEDIA_V02 = "application/vnd.dev.sigstore.bundle+json;version=0.2"
MEDIA_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
MEDIA_V03_ALT = "application/vnd.dev.sigstore.bundle+json;version=0.3"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
BUILD_TYPE_GHA_V1 = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
BUILD_TYPE_NPM_GHA_V2 = "https://github.com/npm/cli/gha/v2"
BUILD_TYPE_NPM_GITLAB = "https://github.com/npm/cli/gitlab/v0alpha1"
BUILD_TYPE_BYOB = "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"
BYOB_REPO = "https://github.com/slsa-framework/slsa-github-generator"
# Loopback on purpose: the publish predicate names the registry published to (evidence only).
DEFAULT_PUBLISH_REGISTRY = "http://127.0.0.1:4873"

FULCIO_OID = "1.3.6.1.4.1.57264.1."
SCT_LIST_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# The end of the real 2023 registry key's validity, mirrored by the kit's retired key.
NPM_2023_END = "2025-01-29T00:00:00.000Z"

BundleFormat = Literal["v0.1", "v0.2", "v0.3", "v0.3-alt", "rekor2-dsse", "rekor2-hashedrekord"]
FORMATS: tuple[BundleFormat, ...] = (
    "v0.1",
    "v0.2",
    "v0.3",
    "v0.3-alt",
    "rekor2-dsse",
    "rekor2-hashedrekord",
)
BuilderKind = Literal["slsa-v1", "gha-v2", "gitlab", "byob"]


def purl(name: str, version: str) -> str:
    """npm-package-arg `toPurl`: only the scope's `@` is encoded."""
    return "pkg:npm/" + (("%40" + name[1:]) if name.startswith("@") else name) + "@" + version


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 for the ASCII, integer-only documents used here (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_utf8(value: str) -> bytes:
    raw = value.encode()
    return b"\x0c" + _der_len(len(raw)) + raw


def der_octets(value: bytes) -> bytes:
    return b"\x04" + _der_len(len(value)) + value


def _derive_key(seed: str, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    """Deterministic key from a seed label (test keys only)."""
    digest = hashlib.sha512(seed.encode()).digest()
    bits = curve.key_size
    value = int.from_bytes(digest, "big") % (1 << (bits - 1)) + 1  # < the group order
    return ec.derive_private_key(value, curve)


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def ssh_key_id(key: ec.EllipticCurvePublicKey) -> str:
    """npm's keyId: the OpenSSH SHA256 fingerprint of the key."""
    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- identity


@dataclass(frozen=True, slots=True)
class SignerIdentity:
    """The CI job that signs a provenance attestation (what Fulcio puts in the leaf).

    Use `SignerIdentity.github(...)` / `.gitlab(...)` or the `GITHUB` / `GITLAB` defaults
    with `dataclasses.replace`.  `builder` picks the SLSA predicate:
    "slsa-v1" (npm 10, SLSA v1 GitHub workflow buildType), "gha-v2" (npm 9.5+ SLSA v0.2),
    "byob" (slsa-github-generator delegator; the signer is the reusable workflow),
    "gitlab" (npm cli GitLab buildType).
    """

    platform: Literal["github", "gitlab"] = "github"
    server: str = "https://github.com"
    repository: str = "acme/widget"  # owner/repo, or group/project for GitLab
    repository_id: str = "810002373"
    owner_id: str = "32398091"
    ref: str = "refs/tags/v1.0.0"
    workflow_path: str = ".github/workflows/release.yml"
    trigger: str = "push"
    runner_environment: str = "github-hosted"
    commit: str = "5995008213440b070902a7a5666064bfdaba715d"
    workflow_sha: str | None = None  # Build Config Digest; defaults to `commit`
    visibility: str | None = "public"
    run_id: str = "9358004112"
    run_attempt: str = "1"
    job_id: str = "6547312093"  # GitLab
    runner_id: str = "12270852"  # GitLab (not in the certificate)
    workflow_name: str = "Publish Package to npm"
    builder: BuilderKind = "slsa-v1"
    byob_version: str = "v1.6.0"
    byob_sha: str = "0779f7bec68e2bf54a7b0a32bf4763f25ab29702"
    issuer: str | None = None  # override (default from the platform)
    legacy_only: bool = False  # a pre-March-2023 leaf: only the deprecated .1-.6 extensions

    @classmethod
    def github(cls, repository: str = "acme/widget", **kw: Any) -> SignerIdentity:
        return cls(repository=repository, **kw)

    @classmethod
    def gitlab(cls, repository: str = "acme-group/widget", **kw: Any) -> SignerIdentity:
        base: dict[str, Any] = {
            "platform": "gitlab",
            "server": "https://gitlab.com",
            "repository": repository,
            "repository_id": "45119876",
            "owner_id": "8812345",
            "ref": "refs/heads/main",
            "workflow_path": ".gitlab-ci.yml",
            "trigger": "push",
            "runner_environment": "gitlab-hosted",
            "builder": "gitlab",
        }
        base.update(kw)
        return cls(**base)

    # derived values ------------------------------------------------------------------
    @property
    def issuer_url(self) -> str:
        if self.issuer:
            return self.issuer
        return GITHUB_ISSUER if self.platform == "github" else self.server

    @property
    def source_repository(self) -> str:
        return f"{self.server}/{self.repository}"

    @property
    def owner_uri(self) -> str:
        return f"{self.server}/{self.repository.split('/', 1)[0]}"

    @property
    def build_config(self) -> str:
        """Build Config URI (.18): the top-level workflow."""
        if self.platform == "gitlab":
            return f"{self.source_repository}//{self.workflow_path}@{self.ref}"
        return f"{self.source_repository}/{self.workflow_path}@{self.ref}"

    @property
    def build_signer(self) -> str:
        """Build Signer URI (.9) = SAN: the reusable workflow for BYOB."""
        if self.builder == "byob":
            return (
                f"{BYOB_REPO}/.github/workflows/delegator_lowperms-generic_slsa3.yml"
                f"@refs/tags/{self.byob_version}"
            )
        return self.build_config

    @property
    def build_signer_digest(self) -> str:
        return self.byob_sha if self.builder == "byob" else self.config_digest

    @property
    def config_digest(self) -> str:
        return self.workflow_sha or self.commit

    @property
    def invocation(self) -> str:
        if self.platform == "gitlab":
            return f"{self.source_repository}/-/jobs/{self.job_id}"
        return f"{self.source_repository}/actions/runs/{self.run_id}/attempts/{self.run_attempt}"

    def extensions(self) -> list[tuple[str, bytes]]:
        """The Fulcio OID extensions (oid suffix, extnValue bytes) in Fulcio's order."""
        # .1 (deprecated issuer) is still emitted for every issuer; .2-.6 are GitHub-only.
        out: list[tuple[str, bytes]] = [("1", self.issuer_url.encode())]
        if self.platform == "github":
            out += [
                ("2", self.trigger.encode()),
                ("3", self.commit.encode()),
                ("4", self.workflow_name.encode()),
                ("5", self.repository.encode()),
                ("6", self.ref.encode()),
            ]
        if self.legacy_only:
            return out
        values = [
            ("8", self.issuer_url),
            ("9", self.build_signer),
            ("10", self.build_signer_digest),
            ("11", self.runner_environment),
            ("12", self.source_repository),
            ("13", self.commit),
            ("14", self.ref),
            ("15", self.repository_id),
            ("16", self.owner_uri),
            ("17", self.owner_id),
            ("18", self.build_config),
            ("19", self.config_digest),
            ("20", self.trigger),
            ("21", self.invocation),
        ]
        if self.visibility:
            values.append(("22", self.visibility))
        out += [(oid, der_utf8(v)) for oid, v in values]
        return out


GITHUB = SignerIdentity()
GITLAB = SignerIdentity.gitlab()


def provenance_statement(
    name: str, version: str, sha512_hex: str, ident: SignerIdentity
) -> dict[str, Any]:
    """The SLSA provenance statement npm would generate for `ident` (consistent with the
    certificate the kit issues for it, field by field as spec section 3.11 requires)."""
    subject = [{"name": purl(name, version), "digest": {"sha512": sha512_hex}}]
    r = ident.source_repository
    if ident.builder == "slsa-v1":
        return {
            "_type": STATEMENT_V1,
            "subject": subject,
            "predicateType": PREDICATE_PROVENANCE_V1,
            "predicate": {
                "buildDefinition": {
                    "buildType": BUILD_TYPE_GHA_V1,
                    "externalParameters": {
                        "workflow": {
                            "ref": ident.ref,
                            "repository": r,
                            "path": ident.workflow_path,
                        }
                    },
                    "internalParameters": {
                        "github": {
                            "event_name": ident.trigger,
                            "repository_id": ident.repository_id,
                            "repository_owner_id": ident.owner_id,
                        }
                    },
                    "resolvedDependencies": [
                        {"uri": f"git+{r}@{ident.ref}", "digest": {"gitCommit": ident.commit}}
                    ],
                },
                "runDetails": {
                    "builder": {
                        "id": f"https://github.com/actions/runner/{ident.runner_environment}"
                    },
                    "metadata": {"invocationId": ident.invocation},
                },
            },
        }
    if ident.builder == "gitlab":
        ref_name = ident.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
        host = ident.server.split("://", 1)[-1]
        return {
            "_type": STATEMENT_V01,
            "subject": subject,
            "predicateType": PREDICATE_PROVENANCE_V02,
            "predicate": {
                "buildType": BUILD_TYPE_NPM_GITLAB,
                "builder": {"id": f"{r}/-/runners/{ident.runner_id}"},
                "invocation": {
                    "configSource": {
                        "uri": f"git+{r}",
                        "digest": {"sha1": ident.commit},
                        "entryPoint": "publish",
                    },
                    "parameters": {
                        "CI": "true",
                        "CI_COMMIT_REF_NAME": ref_name,
                        "CI_COMMIT_SHA": ident.commit,
                        "CI_CONFIG_PATH": ident.workflow_path,
                        "CI_JOB_NAME": "publish",
                        "CI_JOB_URL": ident.invocation,
                        "CI_PIPELINE_SOURCE": ident.trigger,
                        "CI_PROJECT_ID": ident.repository_id,
                        "CI_PROJECT_NAMESPACE_ID": ident.owner_id,
                        "CI_PROJECT_PATH": ident.repository,
                        "CI_PROJECT_URL": r,
                        "CI_SERVER_HOST": host,
                        "CI_SERVER_URL": ident.server,
                        "GITLAB_CI": "true",
                    },
                    "environment": {
                        "name": "shared-runner",
                        "architecture": "amd64",
                        "server": ident.server,
                        "project": ident.repository,
                        "job": {"id": ident.job_id},
                        "pipeline": {"id": "1234567890", "ref": ident.workflow_path},
                    },
                },
                "metadata": {
                    "buildInvocationId": ident.invocation,
                    "completeness": {"parameters": True, "environment": True, "materials": False},
                    "reproducible": False,
                },
                "materials": [{"uri": f"git+{r}", "digest": {"sha1": ident.commit}}],
            },
        }
    # SLSA v0.2 on GitHub: the npm CLI (gha/v2) or the BYOB delegator.
    owner_repo = ident.repository
    env = {
        "GITHUB_EVENT_NAME": ident.trigger,
        "GITHUB_REF": ident.ref,
        "GITHUB_REPOSITORY": owner_repo,
        "GITHUB_REPOSITORY_ID": ident.repository_id,
        "GITHUB_REPOSITORY_OWNER_ID": ident.owner_id,
        "GITHUB_RUN_ATTEMPT": ident.run_attempt,
        "GITHUB_RUN_ID": ident.run_id,
        "GITHUB_SHA": ident.commit,
        "GITHUB_WORKFLOW_REF": f"{owner_repo}/{ident.workflow_path}@{ident.ref}",
        "GITHUB_WORKFLOW_SHA": ident.config_digest,
    }
    predicate: dict[str, Any] = {
        "buildType": BUILD_TYPE_NPM_GHA_V2,
        "builder": {"id": "https://github.com/actions/runner"},
        "invocation": {
            "configSource": {
                "uri": f"git+{r}@{ident.ref}",
                "digest": {"sha1": ident.commit},
                "entryPoint": ident.workflow_path,
            },
            "parameters": {},
            "environment": env,
        },
        "metadata": {
            "buildInvocationId": f"{ident.run_id}-{ident.run_attempt}",
            "completeness": {"parameters": False, "environment": False, "materials": False},
            "reproducible": False,
        },
        "materials": [{"uri": f"git+{r}@{ident.ref}", "digest": {"sha1": ident.commit}}],
    }
    if ident.builder == "byob":
        predicate["buildType"] = BUILD_TYPE_BYOB
        predicate["builder"] = {
            "id": f"{BYOB_REPO}/.github/workflows/builder_nodejs_slsa3.yml"
            f"@refs/tags/{ident.byob_version}"
        }
        predicate["invocation"]["parameters"] = {"inputs": {"directory": ".", "run-scripts": ""}}
        predicate["metadata"] = {
            "buildInvocationId": f"{ident.run_id}-{ident.run_attempt}",
            "completeness": {"parameters": True},
        }
    return {
        "_type": STATEMENT_V01,
        "subject": subject,
        "predicateType": PREDICATE_PROVENANCE_V02,
        "predicate": predicate,
    }


def publish_statement(
    name: str, version: str, sha512_hex: str, registry: str = DEFAULT_PUBLISH_REGISTRY
) -> dict[str, Any]:
    return {
        "_type": STATEMENT_V01,
        "subject": [{"name": purl(name, version), "digest": {"sha512": sha512_hex}}],
        "predicateType": PREDICATE_PUBLISH,
        "predicate": {"name": name, "version": version, "registry": registry},
    }


# --------------------------------------------------------------------------- transparency log


def _leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleTree:
    """RFC 6962 tree; full power-of-two subtrees are memoized, so proofs cost O(log n)
    amortized and minting thousands of entries stays fast."""

    def __init__(self) -> None:
        self.leaves: list[bytes] = []
        self._full: dict[tuple[int, int], bytes] = {}

    def append(self, entry: bytes) -> int:
        self.leaves.append(_leaf_hash(entry))
        return len(self.leaves) - 1

    def _mth(self, start: int, n: int) -> bytes:
        if n == 1:
            return self.leaves[start]
        full = n & (n - 1) == 0
        if full:
            hit = self._full.get((start, n))
            if hit is not None:
                return hit
        k = 1 << ((n - 1).bit_length() - 1)  # largest power of two < n
        h = _node_hash(self._mth(start, k), self._mth(start + k, n - k))
        if full:
            self._full[(start, n)] = h
        return h

    def root(self, size: int) -> bytes:
        return self._mth(0, size)

    def proof(self, index: int, size: int) -> list[bytes]:
        """Audit path, leaf to root (RFC 6962 PATH)."""

        def path(m: int, start: int, n: int) -> list[bytes]:
            if n == 1:
                return []
            k = 1 << ((n - 1).bit_length() - 1)
            if m < k:
                return [*path(m, start, k), self._mth(start + k, n - k)]
            return [*path(m - k, start + k, n - k), self._mth(start, k)]

        return path(index, 0, size)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What a Rekor v1 upload returns, ready to go into a bundle."""

    log_index: int  # global
    shard_index: int
    tree_size: int
    integrated_time: int
    body: bytes
    set_signature: bytes
    root: bytes
    hashes: tuple[bytes, ...]
    checkpoint: str


class RekorLog:
    """A Rekor v1 log: one active shard with an offset, ECDSA P-256 key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, host: str, tree_id: int, offset: int):
        self.key = key
        self.host = host
        self.tree_id = tree_id
        self.offset = offset  # entries of older, frozen shards
        self.tree = MerkleTree()
        self.key_id = hashlib.sha256(spki_der(key.public_key())).digest()

    @property
    def origin(self) -> str:
        return f"{self.host} - {self.tree_id}"

    def _sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def set_payload(self, body: bytes, integrated_time: int, log_index: int) -> bytes:
        return canonical_json(
            {
                "body": b64(body),
                "integratedTime": integrated_time,
                "logID": self.key_id.hex(),
                "logIndex": log_index,
            }
        )

    def checkpoint(self, size: int, root: bytes) -> str:
        text = f"{self.origin}\n{size}\n{b64(root)}\n"
        sig = self._sign(text.encode())
        return f"{text}\n\u2014 {self.host} {b64(self.key_id[:4] + sig)}\n"

    def upload(self, body: bytes, integrated_time: int) -> LogEntry:
        shard_index = self.tree.append(body)
        size = len(self.tree.leaves)
        log_index = self.offset + shard_index
        root = self.tree.root(size)
        return LogEntry(
            log_index=log_index,
            shard_index=shard_index,
            tree_size=size,
            integrated_time=integrated_time,
            body=body,
            set_signature=self._sign(self.set_payload(body, integrated_time, log_index)),
            root=root,
            hashes=tuple(self.tree.proof(shard_index, size)),
            checkpoint=self.checkpoint(size, root),
        )


class RekorV2Log:
    """A Rekor v2 (tile) log: Ed25519, C2SP key id, checkpoint origin = host."""

    def __init__(self, key: ed25519.Ed25519PrivateKey, host: str):
        self.key = key
        self.host = host
        self.tree = MerkleTree()
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.key_id = hashlib.sha256(host.encode() + b"\n\x01" + raw).digest()

    def checkpoint(self, size: int, root: bytes) -> str:
        text = f"{self.host}\n{size}\n{b64(root)}\n"
        sig = self.key.sign(text.encode())
        return f"{text}\n\u2014 {self.host} {b64(self.key_id[:4] + sig)}\n"

    def upload(self, body: bytes) -> LogEntry:
        index = self.tree.append(body)
        size = len(self.tree.leaves)
        root = self.tree.root(size)
        return LogEntry(
            log_index=index,
            shard_index=index,
            tree_size=size,
            integrated_time=0,
            body=body,
            set_signature=b"",
            root=root,
            hashes=tuple(self.tree.proof(index, size)),
            checkpoint=self.checkpoint(size, root),
        )


# --------------------------------------------------------------------------- tampering


class Tamper(StrEnum):
    """Ways to break a minted response.  Each must make verification fail (or, for the
    set-level ones, change the verdict), without test-only code in the verifier."""

    # DSSE / statement
    PAYLOAD = "payload"  # payload edited after signing (a commit digit changed)
    SIGNATURE = "signature"  # one bit of the DSSE signature flipped
    PAYLOAD_TYPE = "payload-type"  # payloadType changed after signing
    SUBJECT_DIGEST = "subject-digest"  # validly signed for another tarball
    SUBJECT_NAME = "subject-name"  # validly signed for another package name
    TWO_SUBJECTS = "two-subjects"  # validly signed statement with two subjects
    STATEMENT_TYPE = "statement-type"  # validly signed, unknown _type
    OUTER_PREDICATE_TYPE = "outer-predicate-type"  # API-level predicateType disagrees
    # transparency log
    SET = "set"  # SET signature corrupted
    SET_MISSING = "set-missing"  # no inclusionPromise (v0.1 then has no trusted time)
    INTEGRATED_TIME = "integrated-time"  # integratedTime edited (SET no longer matches)
    PROOF_HASH = "proof-hash"  # one inclusion-proof hash corrupted
    # A self-consistent forged proof: other sibling hashes and the root they lead to, so
    # only the checkpoint (signed over the real root, same size) can tell.
    PROOF_ROOT = "proof-root"
    CHECKPOINT_SIGNATURE = "checkpoint-signature"  # checkpoint signed by another key
    BODY_MISMATCH = "body-mismatch"  # tlog entry of another signature attached (all signed)
    UNKNOWN_LOG = "unknown-log"  # entry from a log not in the trusted root
    TIMESTAMP = "timestamp"  # RFC 3161 token over other bytes (Rekor v2: no trusted time)
    # certificate / keys
    UNTRUSTED_CA = "untrusted-ca"  # leaf issued by a CA outside the trusted root
    NO_SCT = "no-sct"  # leaf without an embedded SCT
    BAD_SCT = "bad-sct"  # SCT signed over a different TBS
    CERT_EXPIRED = "cert-expired"  # integratedTime after the leaf's notAfter (all signed)
    LEAF_CA = "leaf-ca"  # the leaf says it is a CA (BasicConstraints ca=true)
    NO_CODE_SIGNING = "no-code-signing"  # extended key usage clientAuth, not codeSigning
    NO_DIGITAL_SIGNATURE = "no-digital-signature"  # key usage keyEncipherment only
    UNKNOWN_CRITICAL = "unknown-critical"  # an unknown extension marked critical
    ROLE_SWAP_PUBLISH_CERT = "role-swap"  # publish attestation signed with a Fulcio cert
    PUBLISH_UNKNOWN_KEY = "publish-unknown-key"  # publish signed by a key not in keys.json
    PUBLISH_KEY_EXPIRED = "publish-key-expired"  # integratedTime after the key's validFor
    # identity (provenance content)
    PREDICATE_MISMATCH = "predicate-mismatch"  # predicate repository differs from the cert
    # set level
    STRIP_PROVENANCE = "strip-provenance"  # provenance entry removed (publish-only remains)
    DUPLICATE_PUBLISH = "duplicate-publish"  # two publish attestations


PROVENANCE_TAMPERS = frozenset(
    {
        Tamper.UNTRUSTED_CA,
        Tamper.NO_SCT,
        Tamper.BAD_SCT,
        Tamper.CERT_EXPIRED,
        Tamper.LEAF_CA,
        Tamper.NO_CODE_SIGNING,
        Tamper.NO_DIGITAL_SIGNATURE,
        Tamper.UNKNOWN_CRITICAL,
        Tamper.PREDICATE_MISMATCH,
    }
)
# Leaf certificate flaws that are otherwise validly issued (chain and SCT verify).
_LEAF_FLAWS = {
    Tamper.LEAF_CA: "ca",
    Tamper.NO_CODE_SIGNING: "eku",
    Tamper.NO_DIGITAL_SIGNATURE: "key-usage",
    Tamper.UNKNOWN_CRITICAL: "critical",
}
PUBLISH_TAMPERS = frozenset(
    {
        Tamper.ROLE_SWAP_PUBLISH_CERT,
        Tamper.PUBLISH_UNKNOWN_KEY,
        Tamper.PUBLISH_KEY_EXPIRED,
    }
)


# --------------------------------------------------------------------------- the kit


@dataclass
class _Leaf:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    not_after: datetime


@dataclass
class _CA:
    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    inter_key: ec.EllipticCurvePrivateKey
    inter: x509.Certificate


@dataclass
class MintOptions:
    """Per-call knobs of `SigstoreKit.attestations`."""

    fmt: BundleFormat = "v0.2"
    publish_fmt: BundleFormat | None = None  # default: like `fmt` (v0.3 publish uses v0.2)
    kind: Literal["intoto", "dsse"] | None = None  # tlog kind; default by format
    provenance: bool = True
    publish: bool = True
    signed_at: datetime | None = None  # integratedTime of the provenance entry
    # integratedTime of the publish entry; default: two seconds after `signed_at`
    publish_signed_at: datetime | None = None
    registry: str = DEFAULT_PUBLISH_REGISTRY
    tamper: Tamper | None = None
    # Which attestation a tamper hits; default: provenance when minted, else publish
    # (the publish-key tampers always hit the publish attestation).
    target: Literal["provenance", "publish"] | None = None
    statement_hook: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
    bundle_hook: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None


class SigstoreKit:
    """Test trust roots and signers.  Keys derive from `seed` (same seed, same keys)."""

    def __init__(
        self,
        seed: int | str = 0,
        *,
        cache_leaf: bool = False,  # one long-lived leaf per identity (fast, unrealistic)
        valid_from: datetime = EPOCH,
        npm_key_valid_until: datetime | None = None,
        rekor_host: str = "rekor.sigstore.test",
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.seed = str(seed)
        self.cache_leaf = cache_leaf
        self.valid_from = valid_from
        self.npm_key_valid_until = npm_key_valid_until
        self._now = now or (lambda: datetime.now(UTC))
        self.ca = self._make_ca("fulcio")
        self.rogue_ca = self._make_ca("rogue")
        self.ct_key = _derive_key(f"{self.seed}:ctlog", ec.SECP256R1())
        self.ct_log_id = hashlib.sha256(spki_der(self.ct_key.public_key())).digest()
        tree_id = int.from_bytes(hashlib.sha256(f"{self.seed}:tree".encode()).digest()[:8]) >> 2
        self.rekor = RekorLog(
            _derive_key(f"{self.seed}:rekor", ec.SECP256R1()), rekor_host, tree_id, 4_163_431
        )
        self.rogue_rekor = RekorLog(
            _derive_key(f"{self.seed}:rogue-rekor", ec.SECP256R1()), rekor_host, tree_id, 0
        )
        self.rekor2 = RekorV2Log(
            ed25519.Ed25519PrivateKey.from_private_bytes(
                hashlib.sha256(f"{self.seed}:rekor2".encode()).digest()
            ),
            "log2025-1." + rekor_host,
        )
        self.tsa = TimestampAuthority(
            _derive_key(f"{self.seed}:tsa-root", ec.SECP384R1()),
            _derive_key(f"{self.seed}:tsa", ec.SECP384R1()),
        )
        self.npm_key = _derive_key(f"{self.seed}:npm", ec.SECP256R1())
        self.npm_key_id = ssh_key_id(self.npm_key.public_key())
        self.rogue_npm_key = _derive_key(f"{self.seed}:rogue-npm", ec.SECP256R1())
        self.npm_key_2023 = _derive_key(f"{self.seed}:npm-2023", ec.SECP256R1())
        self.npm_key_2023_id = ssh_key_id(self.npm_key_2023.public_key())
        self._leaves: dict[SignerIdentity, _Leaf] = {}
        self._tbs_key = _derive_key(f"{self.seed}:tbs-only", ec.SECP256R1())
        self._serial = int.from_bytes(hashlib.sha256(self.seed.encode()).digest()[:8])

    # ----------------------------------------------------------------- CA and leaves

    def _make_ca(self, label: str) -> _CA:
        root_key = _derive_key(f"{self.seed}:{label}-root", ec.SECP384R1())
        inter_key = _derive_key(f"{self.seed}:{label}-intermediate", ec.SECP384R1())
        org = "sigstore.test" if label == "fulcio" else "rogue.test"
        root_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                x509.NameAttribute(NameOID.COMMON_NAME, "sigstore"),
            ]
        )
        inter_name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                x509.NameAttribute(NameOID.COMMON_NAME, "sigstore-intermediate"),
            ]
        )
        start = datetime(2019, 1, 1, tzinfo=UTC)
        end = datetime(2045, 1, 1, tzinfo=UTC)
        root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(int.from_bytes(hashlib.sha256(f"{label}root".encode()).digest()[:19]))
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(root_ski, False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False
            )
            .sign(root_key, hashes.SHA384(), ecdsa_deterministic=True)
        )
        inter = (
            x509.CertificateBuilder()
            .subject_name(inter_name)
            .issuer_name(root_name)
            .public_key(inter_key.public_key())
            .serial_number(int.from_bytes(hashlib.sha256(f"{label}inter".encode()).digest()[:19]))
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(inter_key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False
            )
            .sign(root_key, hashes.SHA384(), ecdsa_deterministic=True)
        )
        return _CA(root_key, root, inter_key, inter)

    def _next_serial(self) -> int:
        self._serial += 1
        return int.from_bytes(hashlib.sha256(b"%d" % self._serial).digest()[:19])

    def issue_leaf(
        self,
        ident: SignerIdentity,
        signed_at: datetime,
        *,
        ca: _CA | None = None,
        sct: Literal["good", "none", "bad"] = "good",
        key: ec.EllipticCurvePrivateKey | None = None,
        long_lived: bool = False,
        flaw: Literal["ca", "eku", "key-usage", "critical"] | None = None,
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A Fulcio leaf for `ident`, valid [signed_at - 5 s, + 10 min], with an embedded SCT.
        `long_lived`: valid from the kit's `valid_from` for 25 years instead (cached leaves;
        not realistic, but any signing time then falls inside it).  `flaw`: a CA leaf, no
        codeSigning usage, no digitalSignature usage, or an unknown critical extension."""
        ca = ca or self.ca
        key = key or ec.generate_private_key(ec.SECP256R1())
        eku = ExtendedKeyUsageOID
        usage = eku.CLIENT_AUTH if flaw == "eku" else eku.CODE_SIGNING
        not_before = (signed_at - timedelta(seconds=5)).replace(microsecond=0)
        lifetime = timedelta(minutes=10)
        if long_lived:
            not_before, lifetime = self.valid_from, timedelta(days=25 * 365)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(ca.inter.subject)
            .public_key(key.public_key())
            .serial_number(self._next_serial())
            .not_valid_before(not_before)
            .not_valid_after(not_before + lifetime)
            .add_extension(
                x509.KeyUsage(
                    flaw != "key-usage",
                    False,
                    flaw == "key-usage",
                    False,
                    False,
                    False,
                    False,
                    False,
                    False,
                ),
                True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([usage]),
                False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.inter_key.public_key()),
                False,
            )
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(ident.build_signer)]),
                True,
            )
        )
        if flaw == "ca":
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        if flaw == "critical":
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\5\0"),
                True,
            )
        for suffix, value in ident.extensions():
            builder = builder.add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier(FULCIO_OID + suffix), value),
                False,
            )
        if sct == "none":
            return key, builder.sign(ca.inter_key, hashes.SHA384())
        # RFC 6962 signs the precertificate's TBS without the poison extension.  With the
        # SCT list appended last, that is exactly the TBS of the same certificate without
        # any CT extension, so sign that instead of a throw-away poisoned precertificate
        # (one P-384 signature less per leaf; the bytes are identical).
        # The TBS holds the signature algorithm but not the issuer key: any EC key signing
        # with SHA-384 yields the same bytes, and P-256 signs faster than P-384.
        tbs = builder.sign(self._tbs_key, hashes.SHA384()).tbs_certificate_bytes
        if sct == "bad":
            tbs = tbs[:-1] + bytes([tbs[-1] ^ 1])
        timestamp_ms = int(not_before.timestamp() * 1000) + 250
        issuer_key_hash = hashlib.sha256(spki_der(ca.inter_key.public_key())).digest()
        signed = (
            b"\x00\x00"
            + struct.pack(">Q", timestamp_ms)
            + b"\x00\x01"
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + b"\x00\x00"
        )
        sig = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct_bytes = (
            b"\x00"
            + self.ct_log_id
            + struct.pack(">Q", timestamp_ms)
            + b"\x00\x00"  # no CT extensions
            + b"\x04\x03"  # sha256, ecdsa
            + struct.pack(">H", len(sig))
            + sig
        )
        sct_list = (
            struct.pack(">H", len(sct_bytes) + 2) + struct.pack(">H", len(sct_bytes)) + sct_bytes
        )
        cert = builder.add_extension(
            x509.UnrecognizedExtension(SCT_LIST_OID, der_octets(sct_list)), False
        ).sign(ca.inter_key, hashes.SHA384())
        return key, cert

    def _leaf_for(self, ident: SignerIdentity, signed_at: datetime) -> _Leaf:
        if self.cache_leaf:
            hit = self._leaves.get(ident)
            if hit is not None:
                return hit
        key, cert = self.issue_leaf(ident, signed_at, long_lived=self.cache_leaf)
        leaf = _Leaf(key, cert, cert.not_valid_after_utc)
        if self.cache_leaf:
            self._leaves[ident] = leaf
        return leaf

    # ----------------------------------------------------------------- trust material

    def trusted_root(self) -> dict[str, Any]:
        """The `trusted_root.json` document for this kit (Sigstore trustedroot 0.1)."""
        start = _iso(self.valid_from)
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                {
                    "baseUrl": f"https://{self.rekor.host}",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": b64(spki_der(self.rekor.key.public_key())),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": start},
                    },
                    "logId": {"keyId": b64(self.rekor.key_id)},
                },
                {
                    "baseUrl": f"https://{self.rekor2.host}",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": b64(
                            self.rekor2.key.public_key().public_bytes(
                                serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo,
                            )
                        ),
                        "keyDetails": "PKIX_ED25519",
                        "validFor": {"start": start},
                    },
                    "logId": {"keyId": b64(self.rekor2.key_id)},
                },
            ],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "sigstore.test", "commonName": "sigstore"},
                    "uri": "https://fulcio.sigstore.test",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))}
                            for c in (self.ca.inter, self.ca.root)
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [
                {
                    "baseUrl": "https://ctfe.sigstore.test/test",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": b64(spki_der(self.ct_key.public_key())),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": start},
                    },
                    "logId": {"keyId": b64(self.ct_log_id)},
                }
            ],
            "timestampAuthorities": [
                {
                    "subject": {"organization": "sigstore.test", "commonName": "sigstore-tsa"},
                    "uri": "https://timestamp.sigstore.test/api/v1/timestamp",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))}
                            for c in (self.tsa.leaf, self.tsa.root)
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
        }

    def npm_keys(self) -> dict[str, Any]:
        """The npm keys file (format of fixtures/trust/npm-registry-keys.json): the retired
        2023-style key first, then the current key, each once per usage, as the real file."""
        valid_for: dict[str, str] = {"start": _iso(self.valid_from).replace("Z", ".000Z")}
        if self.npm_key_valid_until is not None:
            valid_for["end"] = _iso(self.npm_key_valid_until).replace("Z", ".000Z")
        raw = b64(spki_der(self.npm_key.public_key()))
        old = b64(spki_der(self.npm_key_2023.public_key()))
        retired = [
            ("npm:signatures", {"start": "1999-01-01T00:00:00.000Z", "end": NPM_2023_END}),
            ("npm:attestations", {"start": "2022-12-01T00:00:00.000Z", "end": NPM_2023_END}),
        ]
        return {
            "keys": [
                *(
                    {
                        "keyId": self.npm_key_2023_id,
                        "keyUsage": usage,
                        "publicKey": {
                            "rawBytes": old,
                            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                            "validFor": window,
                        },
                    }
                    for usage, window in retired
                ),
                *(
                    {
                        "keyId": self.npm_key_id,
                        "keyUsage": usage,
                        "publicKey": {
                            "rawBytes": raw,
                            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                            "validFor": dict(valid_for),
                        },
                    }
                    for usage in ("npm:signatures", "npm:attestations")
                ),
            ]
        }

    def registry_keys(self) -> list[dict[str, Any]]:
        """Entries of `GET /-/npm/v1/keys` (the retired key with its `expires`)."""
        expires = None
        if self.npm_key_valid_until is not None:
            expires = _iso(self.npm_key_valid_until).replace("Z", ".000Z")
        return [
            {
                "expires": NPM_2023_END,
                "keyid": self.npm_key_2023_id,
                "keytype": "ecdsa-sha2-nistp256",
                "scheme": "ecdsa-sha2-nistp256",
                "key": b64(spki_der(self.npm_key_2023.public_key())),
            },
            {
                "expires": expires,
                "keyid": self.npm_key_id,
                "keytype": "ecdsa-sha2-nistp256",
                "scheme": "ecdsa-sha2-nistp256",
                "key": b64(spki_der(self.npm_key.public_key())),
            },
        ]

    def sign_registry(
        self, message: str, *, key: Literal["current", "2023", "rogue"] = "current"
    ) -> dict[str, str]:
        """A `dist.signatures` entry over `<name>@<version>:<integrity>`."""
        signer = {
            "current": self.npm_key,
            "2023": self.npm_key_2023,
            "rogue": self.rogue_npm_key,
        }[key]
        sig = signer.sign(message.encode(), ec.ECDSA(hashes.SHA256()))
        return {"keyid": ssh_key_id(signer.public_key()), "sig": b64(sig)}

    def write_trust(self, directory: Path) -> tuple[Path, Path]:
        """Write trusted_root.json and npm-registry-keys.json; return their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        root = directory / "trusted_root.json"
        keys = directory / "npm-registry-keys.json"
        root.write_text(json.dumps(self.trusted_root(), indent=2) + "\n")
        keys.write_text(json.dumps(self.npm_keys(), indent=4) + "\n")
        return root, keys

    # ----------------------------------------------------------------- bundles

    def attestations(
        self,
        name: str,
        version: str,
        sha512: bytes | str,
        identity: SignerIdentity = GITHUB,
        options: MintOptions | None = None,
        **kw: Any,
    ) -> bytes:
        """The attestations endpoint body for one package version.

        `sha512`: digest bytes, lower-case hex or a `sha512-` SRI.  `kw` are `MintOptions`
        fields (fmt, provenance, publish, signed_at, tamper, ...).
        """
        opts = replace(options or MintOptions(), **kw)
        digest_hex = _sha512_hex(sha512)
        tamper = opts.tamper
        target = opts.target
        if target is None:
            publish_side = tamper in PUBLISH_TAMPERS or not opts.provenance
            target = "publish" if publish_side else "provenance"
        prov_tamper = tamper if target == "provenance" else None
        pub_tamper = tamper if target == "publish" else None
        signed_at = (opts.signed_at or self._now()).astimezone(UTC).replace(microsecond=0)
        entries: list[dict[str, Any]] = []
        if opts.provenance and tamper is not Tamper.STRIP_PROVENANCE:
            stmt = provenance_statement(name, version, digest_hex, identity)
            stmt = self._tamper_statement(stmt, prov_tamper, name, version, identity)
            if opts.statement_hook:
                stmt = opts.statement_hook("provenance", stmt)
            bundle = self._provenance_bundle(stmt, identity, signed_at, opts, prov_tamper)
            if opts.bundle_hook:
                bundle = opts.bundle_hook("provenance", bundle)
            outer = stmt["predicateType"]
            if prov_tamper is Tamper.OUTER_PREDICATE_TYPE:
                outer = outer.replace("provenance", "provenanc")
            entries.append({"predicateType": outer, "bundle": bundle})
        if opts.publish:
            for _ in range(2 if tamper is Tamper.DUPLICATE_PUBLISH else 1):
                stmt = publish_statement(name, version, digest_hex, opts.registry)
                stmt = self._tamper_statement(stmt, pub_tamper, name, version, None)
                if opts.statement_hook:
                    stmt = opts.statement_hook("publish", stmt)
                # The registry signs a couple of seconds after the CI job.
                published = opts.publish_signed_at or signed_at + timedelta(seconds=2)
                bundle = self._publish_bundle(stmt, published, opts, pub_tamper)
                if opts.bundle_hook:
                    bundle = opts.bundle_hook("publish", bundle)
                outer = PREDICATE_PUBLISH
                if pub_tamper is Tamper.OUTER_PREDICATE_TYPE:
                    outer = outer.replace("publish", "publis")
                entries.append({"predicateType": outer, "bundle": bundle})
        return json.dumps({"attestations": entries}).encode()

    def _tamper_statement(
        self,
        stmt: dict[str, Any],
        tamper: Tamper | None,
        name: str,
        version: str,
        ident: SignerIdentity | None,
    ) -> dict[str, Any]:
        """Statement-level tampering that is then validly signed.  `ident` is set for the
        provenance statement (None for the publish one)."""
        if tamper is None:
            return stmt
        stmt = json.loads(json.dumps(stmt))
        if tamper is Tamper.SUBJECT_DIGEST:
            stmt["subject"][0]["digest"]["sha512"] = hashlib.sha512(b"other tarball").hexdigest()
        elif tamper is Tamper.SUBJECT_NAME:
            stmt["subject"][0]["name"] = purl(name + "-evil", version)
        elif tamper is Tamper.TWO_SUBJECTS:
            stmt["subject"].append(
                {"name": purl("other", "1.0.0"), "digest": dict(stmt["subject"][0]["digest"])}
            )
        elif tamper is Tamper.STATEMENT_TYPE:
            stmt["_type"] = "https://in-toto.io/StatementA/v0.1"
        elif tamper is Tamper.PREDICATE_MISMATCH and ident is not None:
            # The build job lies about its repository; the certificate tells the truth.
            text = json.dumps(stmt["predicate"])
            stmt["predicate"] = json.loads(
                text.replace(ident.repository, ident.repository + "-fork")
            )
        return stmt

    def _provenance_bundle(
        self,
        stmt: dict[str, Any],
        ident: SignerIdentity,
        signed_at: datetime,
        opts: MintOptions,
        tamper: Tamper | None,
    ) -> dict[str, Any]:
        if tamper is Tamper.UNTRUSTED_CA:
            key, cert = self.issue_leaf(ident, signed_at, ca=self.rogue_ca)
            chain = [cert, self.rogue_ca.inter, self.rogue_ca.root]
        elif tamper in (Tamper.NO_SCT, Tamper.BAD_SCT):
            key, cert = self.issue_leaf(
                ident, signed_at, sct="none" if tamper is Tamper.NO_SCT else "bad"
            )
            chain = [cert, self.ca.inter, self.ca.root]
        elif tamper is Tamper.CERT_EXPIRED:
            key, cert = self.issue_leaf(ident, signed_at)  # a real 10-minute leaf
            chain = [cert, self.ca.inter, self.ca.root]
        elif tamper in _LEAF_FLAWS:
            key, cert = self.issue_leaf(ident, signed_at, flaw=_LEAF_FLAWS[tamper])  # type: ignore[arg-type]
            chain = [cert, self.ca.inter, self.ca.root]
        else:
            leaf = self._leaf_for(ident, signed_at)
            key, cert = leaf.key, leaf.cert
            chain = [cert, self.ca.inter, self.ca.root]
        integrated = signed_at
        if tamper is Tamper.CERT_EXPIRED:
            integrated = cert.not_valid_after_utc + timedelta(minutes=5)
        return self._bundle(
            stmt,
            key,
            cert_chain=chain,
            hint=None,
            fmt=opts.fmt,
            kind=opts.kind,
            integrated_time=int(integrated.timestamp()),
            tamper=tamper,
        )

    def _publish_bundle(
        self, stmt: dict[str, Any], signed_at: datetime, opts: MintOptions, tamper: Tamper | None
    ) -> dict[str, Any]:
        fmt = opts.publish_fmt or opts.fmt
        kind = opts.kind
        if opts.publish_fmt is None and fmt in ("v0.3", "v0.3-alt"):
            fmt, kind = "v0.2", kind or "dsse"  # what the registry served next to v0.3 provenance
        integrated = int(signed_at.timestamp())
        if tamper is Tamper.ROLE_SWAP_PUBLISH_CERT:
            key, cert = self.issue_leaf(GITHUB, signed_at)
            return self._bundle(
                stmt, key, [cert, self.ca.inter, self.ca.root], None, fmt, kind, integrated, None
            )
        key = self.npm_key
        if tamper is Tamper.PUBLISH_UNKNOWN_KEY:
            key = self.rogue_npm_key
        if tamper is Tamper.PUBLISH_KEY_EXPIRED:
            if self.npm_key_valid_until is None:
                raise ValueError("PUBLISH_KEY_EXPIRED needs SigstoreKit(npm_key_valid_until=...)")
            integrated = int((self.npm_key_valid_until + timedelta(days=1)).timestamp())
        hint = ssh_key_id(key.public_key())
        return self._bundle(stmt, key, None, hint, fmt, kind, integrated, tamper)

    def _bundle(
        self,
        stmt: dict[str, Any],
        key: ec.EllipticCurvePrivateKey,
        cert_chain: list[x509.Certificate] | None,
        hint: str | None,
        fmt: BundleFormat,
        kind: Literal["intoto", "dsse"] | None,
        integrated_time: int,
        tamper: Tamper | None,
    ) -> dict[str, Any]:
        if fmt.startswith("rekor2"):
            return self._bundle_rekor2(stmt, key, cert_chain, hint, fmt, integrated_time, tamper)
        kind = kind or ("dsse" if fmt in ("v0.3", "v0.3-alt") else "intoto")
        payload = json.dumps(stmt, separators=(",", ":")).encode()
        sig = key.sign(pae(PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
        keyid = hint or ""
        if cert_chain is not None:
            pem = cert_chain[0].public_bytes(serialization.Encoding.PEM)
        else:
            pem = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        body = self._tlog_body(kind, payload, sig, pem, keyid)
        log = self.rogue_rekor if tamper is Tamper.UNKNOWN_LOG else self.rekor
        if tamper is Tamper.PROOF_ROOT and not log.tree.leaves:
            log.upload(b"filler", integrated_time)  # a forged proof needs a sibling
        if tamper is Tamper.BODY_MISMATCH:
            # A genuine entry for a different signature by the same key.
            other = key.sign(pae(PAYLOAD_TYPE, payload + b"\n"), ec.ECDSA(hashes.SHA256()))
            entry = log.upload(
                self._tlog_body(kind, payload + b"\n", other, pem, keyid), integrated_time
            )
        else:
            entry = log.upload(body, integrated_time)

        if fmt == "v0.1":
            media = MEDIA_V01
        elif fmt == "v0.2":
            media = MEDIA_V02
        elif fmt == "v0.3":
            media = MEDIA_V03
        else:
            media = MEDIA_V03_ALT
        material: dict[str, Any]
        if cert_chain is None:
            material = {"publicKey": {"hint": hint}}
        elif fmt == "v0.1":
            material = {
                "x509CertificateChain": {
                    "certificates": [
                        {"rawBytes": b64(c.public_bytes(serialization.Encoding.DER))}
                        for c in cert_chain
                    ]
                }
            }
        elif fmt == "v0.2":
            der = cert_chain[0].public_bytes(serialization.Encoding.DER)
            material = {"x509CertificateChain": {"certificates": [{"rawBytes": b64(der)}]}}
        else:
            der = cert_chain[0].public_bytes(serialization.Encoding.DER)
            material = {"certificate": {"rawBytes": b64(der)}}
        tlog: dict[str, Any] = {
            "logIndex": str(entry.log_index),
            "logId": {"keyId": b64(log.key_id)},
            "kindVersion": {"kind": kind, "version": "0.0.2" if kind == "intoto" else "0.0.1"},
            "integratedTime": str(entry.integrated_time),
            "inclusionPromise": {"signedEntryTimestamp": b64(entry.set_signature)},
        }
        if fmt == "v0.1":
            tlog["inclusionProof"] = None
        else:
            tlog["inclusionProof"] = {
                "logIndex": str(entry.shard_index),
                "rootHash": b64(entry.root),
                "treeSize": str(entry.tree_size),
                "hashes": [b64(h) for h in entry.hashes],
                "checkpoint": {"envelope": entry.checkpoint},
            }
        tlog["canonicalizedBody"] = b64(entry.body)
        material["tlogEntries"] = [tlog]
        material["timestampVerificationData"] = None if fmt == "v0.1" else {"rfc3161Timestamps": []}
        envelope = {
            "payload": b64(payload),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": b64(sig), "keyid": keyid}],
        }
        bundle = {"mediaType": media, "verificationMaterial": material, "dsseEnvelope": envelope}
        if tamper is not None:
            self._tamper_bundle(bundle, tamper, entry, log)
        return bundle

    def _bundle_rekor2(
        self,
        stmt: dict[str, Any],
        key: ec.EllipticCurvePrivateKey,
        cert_chain: list[x509.Certificate] | None,
        hint: str | None,
        fmt: BundleFormat,
        signed_time: int,
        tamper: Tamper | None,
    ) -> dict[str, Any]:
        """A Rekor v2 bundle: v0.3, tile-log entry without SET, RFC 3161 timestamp."""
        payload = json.dumps(stmt, separators=(",", ":")).encode()
        signed = pae(PAYLOAD_TYPE, payload)
        sig = key.sign(signed, ec.ECDSA(hashes.SHA256()))
        verifier: dict[str, Any] = {"keyDetails": "PKIX_ECDSA_P256_SHA_256"}
        if cert_chain is not None:
            der = cert_chain[0].public_bytes(serialization.Encoding.DER)
            verifier["x509Certificate"] = {"rawBytes": b64(der)}
            material: dict[str, Any] = {"certificate": {"rawBytes": b64(der)}}
        else:
            verifier["publicKey"] = {"rawBytes": b64(spki_der(key.public_key()))}
            material = {"publicKey": {"hint": hint}}

        def body_for(content: bytes, signature: bytes) -> bytes:
            if fmt == "rekor2-hashedrekord":
                spec: dict[str, Any] = {
                    "hashedRekordV002": {
                        "data": {
                            "algorithm": "SHA2_256",
                            "digest": b64(hashlib.sha256(pae(PAYLOAD_TYPE, content)).digest()),
                        },
                        "signature": {"content": b64(signature), "verifier": verifier},
                    }
                }
                return canonical_json({"apiVersion": "0.0.2", "kind": "hashedrekord", "spec": spec})
            spec = {
                "dsseV002": {
                    "payloadHash": {
                        "algorithm": "SHA2_256",
                        "digest": b64(hashlib.sha256(content).digest()),
                    },
                    "signatures": [{"content": b64(signature), "verifier": verifier}],
                }
            }
            return canonical_json({"apiVersion": "0.0.2", "kind": "dsse", "spec": spec})

        log = self.rekor2
        if tamper is Tamper.PROOF_ROOT and not log.tree.leaves:
            log.upload(b"filler")  # a forged proof needs a sibling
        if tamper is Tamper.UNKNOWN_LOG:
            log = RekorV2Log(
                ed25519.Ed25519PrivateKey.from_private_bytes(
                    hashlib.sha256(f"{self.seed}:rogue-rekor2".encode()).digest()
                ),
                self.rekor2.host,
            )
        if tamper is Tamper.BODY_MISMATCH:
            other = key.sign(pae(PAYLOAD_TYPE, payload + b"\n"), ec.ECDSA(hashes.SHA256()))
            entry = log.upload(body_for(payload + b"\n", other))
        else:
            entry = log.upload(body_for(payload, sig))
        when = datetime.fromtimestamp(signed_time, UTC)
        token = self.tsa.timestamp(b"other bytes" if tamper is Tamper.TIMESTAMP else sig, when)
        kind = "hashedrekord" if fmt == "rekor2-hashedrekord" else "dsse"
        material["tlogEntries"] = [
            {
                "logIndex": str(entry.log_index),
                "logId": {"keyId": b64(log.key_id)},
                "kindVersion": {"kind": kind, "version": "0.0.2"},
                "inclusionProof": {
                    "logIndex": str(entry.shard_index),
                    "rootHash": b64(entry.root),
                    "treeSize": str(entry.tree_size),
                    "hashes": [b64(h) for h in entry.hashes],
                    "checkpoint": {"envelope": entry.checkpoint},
                },
                "canonicalizedBody": b64(entry.body),
            }
        ]
        material["timestampVerificationData"] = {
            "rfc3161Timestamps": [{"signedTimestamp": b64(token)}]
        }
        signature: dict[str, str] = {"sig": b64(sig)}
        if hint:
            signature["keyid"] = hint
        bundle = {
            "mediaType": MEDIA_V03,
            "verificationMaterial": material,
            "dsseEnvelope": {
                "payload": b64(payload),
                "payloadType": PAYLOAD_TYPE,
                "signatures": [signature],
            },
        }
        if tamper is not None and tamper is not Tamper.TIMESTAMP:
            self._tamper_bundle(bundle, tamper, entry, log)
        return bundle

    @staticmethod
    def _tlog_body(kind: str, payload: bytes, sig: bytes, pem: bytes, keyid: str) -> bytes:
        """The canonicalized Rekor body (what Rekor stores; payload stripped)."""
        if kind == "intoto":
            signature: dict[str, str] = {"publicKey": b64(pem), "sig": b64(b64(sig).encode())}
            if keyid:
                signature = {"keyid": keyid, **signature}
            envelope_json = json.dumps(
                {
                    "payload": b64(payload),
                    "payloadType": PAYLOAD_TYPE,
                    "signatures": [
                        {"keyid": keyid, "sig": b64(sig)} if keyid else {"sig": b64(sig)}
                    ],
                },
                separators=(",", ":"),
            ).encode()
            body: dict[str, Any] = {
                "apiVersion": "0.0.2",
                "kind": "intoto",
                "spec": {
                    "content": {
                        "envelope": {"payloadType": PAYLOAD_TYPE, "signatures": [signature]},
                        "hash": {
                            "algorithm": "sha256",
                            "value": hashlib.sha256(envelope_json).hexdigest(),
                        },
                        "payloadHash": {
                            "algorithm": "sha256",
                            "value": hashlib.sha256(payload).hexdigest(),
                        },
                    }
                },
            }
        else:
            envelope_json = json.dumps(
                {
                    "payload": b64(payload),
                    "payloadType": PAYLOAD_TYPE,
                    "signatures": [{"keyid": keyid, "sig": b64(sig)}],
                },
                separators=(",", ":"),
            ).encode()
            body = {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(envelope_json).hexdigest(),
                    },
                    "payloadHash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(payload).hexdigest(),
                    },
                    "signatures": [{"signature": b64(sig), "verifier": b64(pem)}],
                },
            }
        return canonical_json(body)

    def _tamper_bundle(
        self, bundle: dict[str, Any], tamper: Tamper, entry: LogEntry, log: RekorLog | RekorV2Log
    ) -> None:
        env = bundle["dsseEnvelope"]
        tlog = bundle["verificationMaterial"]["tlogEntries"][0]
        proof = tlog.get("inclusionProof")
        if tamper is Tamper.PAYLOAD:
            # Flip one digit of a commit sha (exactly 40 hex digits, never the subject's
            # sha512), like slsa-verifier's invalidsig fixtures; no commit: append "\n".
            payload = base64.b64decode(env["payload"])
            match = re.search(rb"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])", payload)
            if match:
                end = match.end() - 1
                flipped = b"1" if payload[end : end + 1] != b"1" else b"2"
                payload = payload[:end] + flipped + payload[end + 1 :]
            else:
                payload += b"\n"
            env["payload"] = b64(payload)
        elif tamper is Tamper.SIGNATURE:
            bad_sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
            bad_sig[-1] ^= 0x01
            env["signatures"][0]["sig"] = b64(bytes(bad_sig))
        elif tamper is Tamper.PAYLOAD_TYPE:
            env["payloadType"] = PAYLOAD_TYPE + "A"
        elif tamper is Tamper.SET and "inclusionPromise" in tlog:
            raw = bytearray(base64.b64decode(tlog["inclusionPromise"]["signedEntryTimestamp"]))
            raw[-1] ^= 0x01
            tlog["inclusionPromise"]["signedEntryTimestamp"] = b64(bytes(raw))
        elif tamper is Tamper.SET_MISSING:
            tlog.pop("inclusionPromise", None)
        elif tamper is Tamper.INTEGRATED_TIME and "integratedTime" in tlog:
            tlog["integratedTime"] = str(int(tlog["integratedTime"]) - 3600)
        elif tamper is Tamper.PROOF_HASH and proof:
            if proof["hashes"]:
                raw = bytearray(base64.b64decode(proof["hashes"][0]))
                raw[0] ^= 0x80
                proof["hashes"][0] = b64(bytes(raw))
            else:
                proof["hashes"] = [b64(b"\x00" * 32)]
        elif tamper is Tamper.PROOF_ROOT and proof:
            # Other siblings, and the root they lead to: the proof verifies on its own, and
            # only the checkpoint's (signed) root hash tells it is not the log's tree.
            forged = [bytes([h[0] ^ 0x80]) + h[1:] for h in entry.hashes]
            root = _root_from_path(entry.body, entry.shard_index, entry.tree_size, forged)
            proof["hashes"] = [b64(h) for h in forged]
            proof["rootHash"] = b64(root)
        elif tamper is Tamper.CHECKPOINT_SIGNATURE and proof:
            note = (
                RekorLog(self.rogue_rekor.key, log.host, log.tree_id, log.offset).checkpoint(
                    entry.tree_size, entry.root
                )
                if isinstance(log, RekorLog)
                else RekorV2Log(ed25519.Ed25519PrivateKey.generate(), log.host).checkpoint(
                    entry.tree_size, entry.root
                )
            )
            # Keep the genuine key hint so the line is selected, with a foreign signature.
            head, _, line = note.rpartition("\u2014 ")
            name, sig_b64 = line.strip().split(" ")
            sig = base64.b64decode(sig_b64)[4:]
            proof["checkpoint"]["envelope"] = f"{head}\u2014 {name} {b64(log.key_id[:4] + sig)}\n"


def _root_from_path(body: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """The root an RFC 9162 inclusion path leads to from the leaf `body`."""
    inner = (index ^ (size - 1)).bit_length()
    node = _leaf_hash(body)
    for i, sibling in enumerate(path):
        if i < inner and not (index >> i) & 1:
            node = _node_hash(node, sibling)
        else:
            node = _node_hash(sibling, node)
    return node


def _sha512_hex(value: bytes | str) -> str:
    if isinstance(value, bytes):
        if len(value) != 64:
            raise ValueError("sha512 digest must be 64 bytes")
        return value.hex()
    if value.startswith("sha512-"):
        return base64.b64decode(value[7:]).hex()
    if len(value) == 128:
        return value.lower()
    raise ValueError("expected sha512 bytes, hex or a sha512- SRI")
