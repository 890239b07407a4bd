"""The internal rejection signal and the catalogue of stable reason codes."""

from __future__ import annotations

REASONS: dict[str, str] = {
    "RESPONSE_MALFORMED": "the attestations response is not the expected JSON document",
    "UNSUPPORTED_FORMAT": "unknown bundle media type, tlog kind, key type or content kind",
    "BUNDLE_MALFORMED": "a bundle field is missing, of the wrong JSON type, or not valid base64",
    "DUPLICATE_ATTESTATION": "more than one publish or provenance attestation",
    "NO_ATTESTATIONS": "the response lists no attestation",
    "PREDICATE_TYPE": "predicate type unknown, or the outer type differs from the statement",
    "STATEMENT_MALFORMED": "the DSSE payload is not a valid in-toto statement",
    "PAYLOAD_TYPE": "DSSE payloadType is not application/vnd.in-toto+json",
    "SUBJECT_NAME": "subject name is not the package's purl, or not exactly one subject",
    "SUBJECT_DIGEST": "subject sha512 differs from the lockfile integrity, or is missing",
    "PUBLISH_PREDICATE": "publish predicate name/version differ from the package",
    # The lockfile integrity, read as npm reads it (auditor.models.INTEGRITY_REASONS):
    "MISSING_INTEGRITY": "the lockfile entry has no integrity to bind the attestations to",
    "WEAK_INTEGRITY": "npm would check the tarball with an algorithm other than sha512",
    "INTEGRITY_UNCHECKED": "npm recognises no hash in the integrity and would check nothing",
    "INTEGRITY_MALFORMED": "a sha512 digest npm checks is not the base64 of 64 bytes",
    "INTEGRITY_AMBIGUOUS": "npm would accept any of several different sha512 hashes",
    "DSSE_SIGNATURE": "the DSSE signature does not verify with the signer's key",
    "TLOG_BODY_MISMATCH": "the transparency-log entry body describes another signature/key/payload",
    "SET_INVALID": "the signed entry timestamp (inclusion promise) does not verify",
    "INCLUSION_PROOF": "the Merkle inclusion proof does not lead to the checkpoint root",
    "CHECKPOINT": "the checkpoint (signed note) is malformed or not signed by the log",
    "LOG_UNKNOWN": "the transparency log is not in the trusted root, or its key was not valid then",
    "NO_VERIFIED_TIME": "neither a verified SET nor a verified RFC 3161 timestamp gives a time",
    "TIMESTAMP_INVALID": "an RFC 3161 timestamp does not verify against a trusted TSA",
    "CERT_CHAIN": "the signing certificate does not chain to a trusted Fulcio CA at signing time",
    "SCT": "the certificate carries no verifiable SCT from a trusted CT log",
    "CERT_IDENTITY": "the certificate's Fulcio extensions are malformed or inconsistent",
    "KEY_UNKNOWN": "the publish attestation names no known npm attestation key",
    "KEY_NOT_VALID_AT_TIME": "the npm key was outside its validity window at the verified time",
    "ROLE_MISMATCH": "provenance not signed by a Fulcio certificate, or publish not by the npm key",
    "CERT_PREDICATE_MISMATCH": "the SLSA predicate contradicts the certificate identity",
    "BUILD_TYPE_UNKNOWN": "the SLSA build type is not one the verifier can check",
}

REASON_CODES: frozenset[str] = frozenset(REASONS)


# Added to the message when the trust material does not know a log, CA, CT log or key: the
# pinned (or refreshed) files may predate it.  The status stays `invalid`.
OUT_OF_DATE_HINT = (
    "; the trust material may be out of date: run 'audit trust update' to refresh it "
    "through Sigstore's TUF repository"
)


class Reject(Exception):
    """Raised inside the verifier for one failed check; never escapes `verify_attestations`.

    `unknown_trust`: the check failed because the trust material lacks a log, CA or key
    (the message then carries OUT_OF_DATE_HINT)."""

    def __init__(self, code: str, message: str, *, unknown_trust: bool = False) -> None:
        assert code in REASON_CODES, code
        message += OUT_OF_DATE_HINT if unknown_trust else ""
        super().__init__(message)
        self.code = code
        self.message = message
