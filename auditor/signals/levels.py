"""Trust levels and trust continuity (the `trust-downgrade` rule's reading of the evidence).

Levels, highest first (`models.Evidence`):

1. `staged-publish`: verified provenance from a CI provider's OIDC certificate, and the
   registry marks the publish as approved by a maintainer (`_npmUser.approver`, npm's
   staged publishing).
2. `trusted-publisher`: verified provenance from a CI provider's OIDC certificate, and the
   registry marks an OIDC trusted publish (`_npmUser.trustedPublisher`, whose `id` must
   name the provider that issued the certificate).
3. `provenance`: verified provenance.
4. `publish-only`: a verified publish attestation or a verified registry signature, no
   provenance.
5. `none`.

The audited version's level comes from what verified: the registry's `_npmUser` can only
tell apart the levels above `provenance`, and only for a version whose provenance verified
from a CI certificate (so editing `_npmUser` never lifts an unattested or publish-only
version).  Whether the publish came from CI is read from the certificate, not from
`_npmUser`: staged publishing rewrites `_npmUser` to the approving person, so a staged
publish from CI has no `trustedPublisher` there.

Earlier versions are judged by the packument's claims (`claimed_level`): they are not
fetched or verified, so a registry can hide a downgrade by stripping earlier versions'
claims; the identity lock (`auditor.signals.identity_lock`), read from the trusted side,
does not depend on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from auditor.models import (
    GITHUB_ISSUER,
    GITLAB_ISSUER,
    Evidence,
    Identity,
    PackageResult,
    Packument,
    SignatureStatus,
    Status,
    VersionInfo,
)

# The OIDC issuers of CI providers npm accepts for trusted publishing, by the id npm writes
# in `_npmUser.trustedPublisher.id`.
OIDC_PROVIDERS = {GITHUB_ISSUER: "github", GITLAB_ISSUER: "gitlab"}

# Words for a level in messages.
LEVEL_WORDS = {
    Evidence.NONE: "no attestation or signature",
    Evidence.PUBLISH_ONLY: "publish attestation or registry signature only",
    Evidence.PROVENANCE: "provenance",
    Evidence.TRUSTED_PUBLISHER: "trusted publisher",
    Evidence.STAGED_PUBLISH: "staged publish",
}

# How earlier versions are compared: within the audited version's major line, or all.
SCOPES = ("major", "all")


def oidc_provider(identity: Identity | None) -> str | None:
    """The CI provider ("github", "gitlab") whose OIDC token the verified certificate was
    issued for, or None (no verified certificate, or another issuer)."""
    if identity is None or not identity.issuer:
        return None
    return OIDC_PROVIDERS.get(identity.issuer.rstrip("/").lower())


def trust_level(result: PackageResult) -> Evidence | None:
    """The level of an audited version, from what verified; None when undecided (`error`)."""
    status = result.status
    if status is Status.ERROR:
        return None
    if status is Status.VERIFIED:
        provider = oidc_provider(result.identity)
        info = result.version_info
        if provider is not None and info is not None:
            if info.approver:
                return Evidence.STAGED_PUBLISH
            if info.trusted_publisher and info.trusted_publisher_id in (None, provider):
                return Evidence.TRUSTED_PUBLISHER
        return Evidence.PROVENANCE
    if status is Status.PUBLISH_ONLY:
        return Evidence.PUBLISH_ONLY
    signature = result.registry_signature
    if (
        status is Status.UNATTESTED
        and signature is not None
        and signature.status is SignatureStatus.VERIFIED
    ):
        return Evidence.PUBLISH_ONLY
    return Evidence.NONE


def claimed_level(info: VersionInfo) -> Evidence:
    """The level the packument claims for a version (registry data, not verified)."""
    if info.provenance_advertised:
        if info.approver:
            return Evidence.STAGED_PUBLISH
        if info.trusted_publisher:
            return Evidence.TRUSTED_PUBLISHER
        return Evidence.PROVENANCE
    if info.attestations_advertised or info.signed:
        return Evidence.PUBLISH_ONLY
    return Evidence.NONE


def publisher(result: PackageResult) -> str:
    """Who published the audited version, in words: the verified CI identity when there
    is one (and the approving maintainer of a staged publish), else the registry account."""
    ident = result.identity if result.status is Status.VERIFIED else None
    info = result.version_info
    if ident is not None and ident.source_repository:
        where = ident.source_repository
        workflow = ident.workflow_path
        text = f"{where} ({workflow})" if workflow else where
        if info is not None and info.approver and info.publisher:
            text += f", approved by {info.publisher!r}"
        return text
    return claimed_publisher(info)


def claimed_publisher(info: VersionInfo | None) -> str:
    """The registry's account for a version (`_npmUser.name`), as a claim."""
    if info is None or not info.publisher:
        return "unknown publisher"
    if info.approver:
        return f"npm user {info.publisher!r} (approver)"
    if info.trusted_publisher:
        return f"npm trusted publisher {info.publisher!r}"
    return f"npm user {info.publisher!r}"


_NUM = re.compile(r"(\d+)")
# node-semver's strict FULL pattern: v?MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
_N = r"(?:0|[1-9]\d*)"
_ID = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"v?{_N}\.{_N}\.{_N}(?P<pre>-{_ID}(?:\.{_ID})*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)


def is_prerelease(version: str) -> bool:
    """True for `1.0.0-beta.1`; versions that are not strict semver count as prereleases
    (ignored for stable versions), as `auditor.policy.globs.is_prerelease` reads them.
    Kept here so that the signals do not import the policy package that uses them."""
    m = _SEMVER.fullmatch(version.strip()) if len(version) <= 256 else None
    return m is None or m.group("pre") is not None


def major_line(version: str) -> str:
    """The major version line of a version ("1" for 1.14.1); the version itself when it
    does not start with a number (compared only with itself)."""
    m = _NUM.match(version.lstrip("v="))
    return str(int(m.group(1)[:18])) if m else version


@dataclass(frozen=True, slots=True)
class Downgrade:
    """A version with a lower trust level than an earlier version of the same line."""

    version: str
    level: Evidence
    published: datetime
    earlier_version: str  # the strongest earlier version (latest among equals)
    earlier_level: Evidence
    earlier_published: datetime
    earlier_publisher: str
    last_trusted_version: str  # the latest earlier version above `level`
    last_trusted_level: Evidence
    last_trusted_published: datetime
    scope: str  # "major 1" or "all versions"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def find_downgrade(
    version: str,
    level: Evidence,
    published: datetime,
    packument: Packument,
    *,
    scope: str = "major",
) -> Downgrade | None:
    """The downgrade of `version` (at `level`, published at `published`) against the
    versions published earlier by time (not by semver) in the packument, or None.

    Prereleases are ignored when `version` is stable; `scope` "major" compares only with
    the same major version line (backports to an older line do not trip it), "all" with
    every version.  Linear in the number of versions.
    """
    published = _aware(published)
    stable = not is_prerelease(version)
    line = major_line(version)
    best: tuple[int, datetime, str] | None = None
    last: tuple[datetime, str] | None = None
    for other, info in packument.versions.items():
        if other == version or info.published is None:
            continue
        rank = claimed_level(info).rank
        if rank <= level.rank:
            continue  # cheap filters first
        when = _aware(info.published)
        if when >= published or (stable and is_prerelease(other)):
            continue
        if scope == "major" and major_line(other) != line:
            continue
        candidate = (rank, when, other)
        if best is None or candidate > best:
            best = candidate
        if last is None or (when, other) > last:
            last = (when, other)
    if best is None or last is None:
        return None
    earlier = packument.versions[best[2]]
    latest = packument.versions[last[1]]
    return Downgrade(
        version=version,
        level=level,
        published=published,
        earlier_version=best[2],
        earlier_level=claimed_level(earlier),
        earlier_published=best[1],
        earlier_publisher=claimed_publisher(earlier),
        last_trusted_version=last[1],
        last_trusted_level=claimed_level(latest),
        last_trusted_published=last[0],
        scope=f"major {line}" if scope == "major" else "all versions",
    )


def levels_of(infos: Iterable[VersionInfo]) -> dict[str, Evidence]:
    """Every version's claimed level (for reports and tests)."""
    return {info.version: claimed_level(info) for info in infos}
