"""Every stable reason code, in one catalogue.

A result's `reason` (JSON `packages[].reason`) and a registry signature's `reason` are
stable codes: a public contract (extend, never rename).  Each group below is one status:

- `VERIFY_REASONS`: `invalid` from the verifier (`auditor.verify` raises only these);
- `ENGINE_INVALID_REASONS`: `invalid` decided beside the verifier;
- `SIGNATURE_REASONS`: `registry_signature.reason`;
- `ERROR_REASONS`: `error`, the package could not be fetched or decided (never a pass);
- `NOT_APPLICABLE_REASONS`: `not-applicable`.

docs/verification.md's reason tables are generated from here (`make docs`;
tests/test_reasons.py checks they are current).
"""

from __future__ import annotations

VERIFY_REASONS: dict[str, str] = {
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

# The lockfile integrity, read as npm reads it (`auditor.models.check_integrity`): the
# verifier rejects a set it cannot bind, and `integrity-missing` names the code.
INTEGRITY_REASONS: dict[str, str] = {
    code: VERIFY_REASONS[code]
    for code in (
        "MISSING_INTEGRITY",
        "WEAK_INTEGRITY",
        "INTEGRITY_UNCHECKED",
        "INTEGRITY_MALFORMED",
        "INTEGRITY_AMBIGUOUS",
    )
}

PROVENANCE_STRIPPED = "PROVENANCE_STRIPPED"

ENGINE_INVALID_REASONS: dict[str, str] = {
    "PUBLISH_ATTESTATION_MISSING": "provenance without a publish attestation, and no verified "
    "registry signature binds `name@version:integrity` (see above)",
    PROVENANCE_STRIPPED: "the registry's packument advertises provenance (or attestations) that "
    "the attestations endpoint did not serve, whatever it answered instead (404, 410, another "
    "status, an HTML page, an empty body); see [engine.md](engine.md#fetching)",
}

SIGNATURE_REASONS: dict[str, str] = {
    "SIGNATURE_MISSING": "the version has no `dist.signatures`",
    "VERSION_NOT_IN_PACKUMENT": "the registry's packument does not list this version",
    "SIGNATURE_MALFORMED": "`dist.signatures` or `dist.integrity` is not in the registry's format",
    "SIGNATURE_KEY_UNKNOWN": "an entry's `keyid` is not a trusted `npm:signatures` key",
    "SIGNATURE_KEY_EXPIRED": "the key's validity ended before the version was published",
    "SIGNATURE_INVALID": "the signature does not verify over `<name>@<version>:<integrity>`",
    "INTEGRITY_MISMATCH": "the lockfile's integrity does not pin the integrity the registry signed",
}

# FETCH_HTTP_<status> stands for every status code (FETCH_HTTP_404, FETCH_HTTP_500, ...).
FETCH_HTTP_PREFIX = "FETCH_HTTP_"

ERROR_REASONS: dict[str, str] = {
    "FETCH_TIMEOUT": "a request timed out (after the retries)",
    "FETCH_CONNECTION": "the registry could not be connected to (after the retries), or was "
    "given up for the run after repeated connection failures",
    "FETCH_TRUNCATED": "a response body ended early",
    "FETCH_TOO_LARGE": "a response is over the size limit (attestations: "
    "`auditor.models.MAX_ATTESTATIONS_BYTES`, 10 MiB, the same for the HTTP client, offline "
    "and cache reads and the verifier; packuments: 64 MiB): too large to judge, not tampering",
    FETCH_HTTP_PREFIX + "<status>": "the registry answered with this HTTP status (after the "
    "retries for 408, 425, 429 and 5xx)",
    "FETCH_REDIRECT": "too many redirects, or a redirect without a valid Location",
    "FETCH_BUDGET": "the run's overall time budget was spent before this request",
    "FETCH_MALFORMED": "a response is not the JSON document expected (e.g. an HTML page with "
    "status 200)",
    "PACKUMENT_VERSION_MISSING": "the registry's packument does not list this version: "
    "stripped provenance cannot be checked",
    "OFFLINE_MISSING": "the offline directory has no response for this package",
    "OFFLINE_UNREADABLE": "the offline directory's recorded response cannot be read",
    "INVALID_NAME": "the package name is not safe to turn into a registry URL or an offline "
    "file name",
    "INSECURE_REGISTRY": "the package's scoped registry is refused (plain http to a "
    "non-loopback host)",
    "TRUST_UNAVAILABLE": "the trust material could not be loaded",
    "VERIFY_CRASHED": "the verifier failed unexpectedly (a worker process died or raised)",
    "VERIFY_ERROR": "the verifier could not decide the response (e.g. a cache entry over the "
    "size limit)",
    "ALIAS_INVALID": "the entry's alias is malformed (v2/v3 `name` not a valid package name, "
    "v1 `npm:` version without a valid `name@version`); the message names the entry; nothing "
    "is fetched",
    "RESOLVED_INVALID": "the entry's `resolved` URL has a bad IPv6 literal or port",
}

NOT_APPLICABLE_REASONS: dict[str, str] = {
    "NOT_REGISTRY": "a git, remote-tarball, file or link dependency: registry attestations "
    "cannot exist",
}

# (docs heading of the table, first column, codes): what `make docs` writes.
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "invalid": ("code", {**dict(sorted(VERIFY_REASONS.items())), **ENGINE_INVALID_REASONS}),
    "signature": ("`registry_signature.reason`", SIGNATURE_REASONS),
    "error": ("`error` reason", ERROR_REASONS),
    "not-applicable": ("`not-applicable` reason", NOT_APPLICABLE_REASONS),
}

ALL_REASONS: dict[str, str] = {
    **VERIFY_REASONS,
    **ENGINE_INVALID_REASONS,
    **SIGNATURE_REASONS,
    **ERROR_REASONS,
    **NOT_APPLICABLE_REASONS,
}


def is_reason_code(code: str) -> bool:
    """A catalogued code (any FETCH_HTTP_<status> included)."""
    if code.startswith(FETCH_HTTP_PREFIX):
        return code[len(FETCH_HTTP_PREFIX) :].isdigit()
    return code in ALL_REASONS


def markdown_table(table: str) -> str:
    """One reason table of docs/verification.md, as `make docs` writes it."""
    header, codes = TABLES[table]
    rows = [f"| {header} | meaning |", "|---|---|"]
    rows += [f"| `{code}` | {meaning} |" for code, meaning in codes.items()]
    return "\n".join(rows) + "\n"
