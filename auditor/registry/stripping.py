"""Stripped provenance, decided in one place.

The packument is the registry's own claim about a version: `dist.attestations` says the
attestations endpoint has a bundle for it, `dist.attestations.provenance` that one of them is
SLSA provenance.  When the endpoint does not serve what the packument advertises, someone
between the registry and us (a mirror, a proxy, the pull request's registry) removed it: the
package is `invalid`, reason PROVENANCE_STRIPPED, whatever the endpoint answered instead (404,
410, 500, an HTML page, an empty body).

`dist.signatures` alone is not such a claim: the registry signs every version, including the
many published without attestations (registry signatures are judged on their own).
"""

from __future__ import annotations

from enum import Enum

from auditor.models import VersionInfo
from auditor.reasons import PROVENANCE_STRIPPED

__all__ = ["PROVENANCE_STRIPPED", "Served", "answered_without_attestations", "stripped"]


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
