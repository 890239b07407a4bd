"""Offline verification of npm attestations (Sigstore bundles), bound to a lockfile entry.

Public API (see docs/architecture.md):

* `load_trust(trusted_root=None, npm_keys=None) -> TrustMaterial`: the pinned Sigstore
  trusted root and npm registry keys from `auditor/data/`, or explicit files.  Raises
  `TrustError`.  `TrustMaterial` is picklable: it pickles as the two source documents and
  is re-parsed once per process on unpickling (memoised by content digest), so a process
  pool can receive it with every task.
* `verify_attestations(name, version, integrity, response, trust) -> VerificationResult`:
  never raises for bad data; statuses VERIFIED, PUBLISH_ONLY, INVALID, and ERROR
  (FETCH_TOO_LARGE) for a response over `auditor.models.MAX_ATTESTATIONS_BYTES`.  A set with
  provenance and no publish attestation is VERIFIED (the publish attestation is checked
  "when present"); a publish-only set is PUBLISH_ONLY (stripping detection is policy's job).
* `verify_bundle(obj, role, trust, label)`: one JSON-decoded bundle in its role
  ("provenance" or "publish"); raises `Reject` (with `.code` and `.message`).
* `verify_registry_signature(name, version, lockfile_integrity, info, trust, published)
  -> RegistrySignature`: the registry's ECDSA signature in `dist.signatures` over
  `<name>@<version>:<integrity>` (see `auditor.verify.signatures`); `SIGNATURE_REASONS`
  are its reason codes (all reason codes: `auditor.reasons`).
* `REASON_CODES`: the stable reason codes of INVALID results:

  RESPONSE_MALFORMED, NO_ATTESTATIONS, DUPLICATE_ATTESTATION, UNSUPPORTED_FORMAT,
  BUNDLE_MALFORMED, PREDICATE_TYPE, STATEMENT_MALFORMED, PAYLOAD_TYPE, SUBJECT_NAME,
  SUBJECT_DIGEST, PUBLISH_PREDICATE, MISSING_INTEGRITY, WEAK_INTEGRITY, INTEGRITY_UNCHECKED,
  INTEGRITY_MALFORMED, INTEGRITY_AMBIGUOUS, DSSE_SIGNATURE,
  TLOG_BODY_MISMATCH, SET_INVALID, INCLUSION_PROOF, CHECKPOINT, LOG_UNKNOWN,
  NO_VERIFIED_TIME, TIMESTAMP_INVALID, CERT_CHAIN, SCT, CERT_IDENTITY, KEY_UNKNOWN,
  KEY_NOT_VALID_AT_TIME, ROLE_MISMATCH, CERT_PREDICATE_MISMATCH, BUILD_TYPE_UNKNOWN.

  `REASONS` maps each code to a one-line description.

Checks, in order, per bundle: media type and structure; role binding (provenance needs a
Fulcio certificate, publish the npm `npm:attestations` key); DSSE signature; payload type;
log lookup and log-body binding; SET (Rekor v1); inclusion proof and checkpoint; RFC 3161
timestamps; validity of the log key, Fulcio chain + SCT, or npm key at every verified time.
Per set: outer vs statement predicate type, exactly one subject equal to the purl, sha512
equal to the one sha512 npm would accept for the lockfile entry (its integrity read as npm's
ssri reads it: `auditor.models.check_integrity`), publish predicate name/version,
certificate-vs-SLSA predicate.
"""

from __future__ import annotations

from auditor.reasons import SIGNATURE_REASONS
from auditor.verify._errors import REASON_CODES, REASONS, Reject
from auditor.verify.core import verify_attestations, verify_bundle
from auditor.verify.signatures import (
    integrity_accepted,
    key_needs_time,
    verify_registry_signature,
)
from auditor.verify.trust import TrustMaterial, check_trusted_root, load_trust

__all__ = [
    "REASONS",
    "REASON_CODES",
    "SIGNATURE_REASONS",
    "Reject",
    "TrustMaterial",
    "check_trusted_root",
    "integrity_accepted",
    "key_needs_time",
    "load_trust",
    "verify_attestations",
    "verify_bundle",
    "verify_registry_signature",
]
