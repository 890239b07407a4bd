"""Stripped provenance, decided in one place.

The packument is the registry's own claim about a version: `dist.attestations` says the
attestations endpoint has a bundle for it, `dist.attestations.provenance` that one of them is
SLSA provenance.  When the endpoint does not serve what the packument advertises, someone
between the registry and us (a mirror, a proxy, the pull request's registry) removed it: the
package is `invalid`, reason PROVENANCE_STRIPPED, whatever the endpoint answered instead (404,
410, 500, an HTML page, an empty body).

Also decided here: when the packument lists a version without `dist.attestations`, the
endpoint is not asked at all (as npm does), and a publish-only answer for a version the
packument does not list cannot be checked (`error`, PACKUMENT_VERSION_MISSING).

`dist.signatures` alone is not such a claim: the registry signs every version, including the
many published without attestations (registry signatures are judged on their own).
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from auditor.models import Status, VersionInfo
from auditor.reasons import PROVENANCE_STRIPPED

__all__ = [
    "PROVENANCE_STRIPPED",
    "Served",
    "Verdict",
    "answered_without_attestations",
    "endpoint_skipped",
    "judge",
    "stripped",
]


# FetchError reasons that mean "the endpoint answered, but not with attestations": for these
# the packument decides between `invalid` (stripped) and `error`.  Connection failures,
# timeouts and size limits say nothing about what the registry has.
ANSWERED_WITHOUT_ATTESTATIONS_PREFIXES = ("FETCH_HTTP_", "FETCH_MALFORMED")


class Served(Enum):
    NOTHING = "nothing"  # 404/410, another status, or a body that is not an attestations set
    PUBLISH_ONLY = "publish-only"  # a verified set without SLSA provenance


def answered_without_attestations(reason: str) -> bool:
    return reason.startswith(ANSWERED_WITHOUT_ATTESTATIONS_PREFIXES)


def stripped(info: VersionInfo | None, served: Served) -> str | None:
    """Why the response looks stripped (a message for PROVENANCE_STRIPPED), or None."""
    if info is None:
        return None
    if served is Served.NOTHING and info.attestations_advertised:
        what = "a provenance attestation" if info.provenance_advertised else "attestations"
        return f"the registry advertises {what} but the attestations endpoint served none"
    if served is Served.PUBLISH_ONLY and info.provenance_advertised:
        return (
            "the registry advertises a provenance attestation that its attestations response lacks"
        )
    return None


class Verdict(NamedTuple):
    status: Status
    reason: str
    message: str


# What the endpoint gave that the packument is checked against: no provenance.
UNPROVEN = (Status.PUBLISH_ONLY, Status.UNATTESTED, Status.ERROR)


def judge(info: VersionInfo | None, status: Status, failed: str | None = None) -> Verdict | None:
    """The verdict on a package whose endpoint served no provenance (`status` publish-only,
    unattested, or error with `failed` the reason of what it answered instead), given the
    packument's entry for the version; None: not stripped (the endpoint's answer stands)."""
    if status not in UNPROVEN:
        return None
    if info is None and status is Status.PUBLISH_ONLY:
        return Verdict(
            Status.ERROR,
            "PACKUMENT_VERSION_MISSING",
            "the registry's packument does not list this version; "
            "cannot check for stripped provenance",
        )
    served = Served.PUBLISH_ONLY if status is Status.PUBLISH_ONLY else Served.NOTHING
    why = stripped(info, served)
    if why is None:
        return None
    if failed is not None:
        why += f" ({failed})"
    return Verdict(Status.INVALID, PROVENANCE_STRIPPED, why)


def endpoint_skipped(info: VersionInfo | None) -> bool:
    """The packument lists the version without `dist.attestations`: the endpoint is not
    asked.  The packument is attacker data, but leaving `dist.attestations` out can only make
    the verdict less favourable: the package is `unattested`, exactly as if the endpoint had
    answered 404 (which that attacker could answer anyway), and never `verified`.  A
    packument that failed or lacks the version takes the plain path."""
    return info is not None and not info.attestations_advertised
