"""The internal rejection signal and the catalogue of stable reason codes."""

from __future__ import annotations

from auditor.reasons import VERIFY_REASONS

# The verifier's codes (statuses `invalid`), from the one catalogue.
REASONS: dict[str, str] = VERIFY_REASONS

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
