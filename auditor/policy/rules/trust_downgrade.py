"""trust-downgrade: weaker evidence than a version published earlier (possible takeover)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from auditor.models import Evidence, Finding, PackageResult, Status
from auditor.policy.globs import is_prerelease
from auditor.policy.rules.base import (
    Judge,
    Rule,
    accepted,
    any_match,
    aware,
    decided,
    iso,
    rule_info,
)

INFO = rule_info(
    "trust-downgrade",
    "Weaker evidence than earlier versions (possible takeover)",
    "This version's evidence (none < publish-only < provenance < trusted publisher; "
    "verified for this version, registry claims for earlier ones) is weaker than that "
    "of a version published earlier. Token-based re-publishes after a compromise look "
    "exactly like this.",
    "Check the maintainers' announcements before installing; pin the last version "
    "with strong evidence, or exclude the package with a reason.",
    "[trust_downgrade] ignore_after / exclude",
    severity="8.0",
    tags=("history",),
)


def current_evidence(r: PackageResult) -> Evidence:
    """The audited version's evidence is what verified, not what the registry claims."""
    if r.status is Status.VERIFIED:
        info = r.version_info
        return (
            Evidence.TRUSTED_PUBLISHER if info and info.trusted_publisher else Evidence.PROVENANCE
        )
    if r.status is Status.PUBLISH_ONLY:
        return Evidence.PUBLISH_ONLY
    return Evidence.NONE


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    cfg, p = j.policy.trust_downgrade, r.package
    if not decided(r) or not j.policy.enabled(INFO.id) or any_match(cfg.exclude, p.name, p.version):
        return
    if r.packument is None:
        yield from j.undecided(r, INFO.id, "registry metadata (packument)")
        return
    info = r.version_info
    published = info.published if info and info.published else None
    published = published or accepted(r)
    if published is None:
        yield from j.undecided(r, INFO.id, "publish time of this version")
        return
    published = aware(published)
    if cfg.ignore_after is not None and published < j.now - timedelta(days=cfg.ignore_after):
        return
    current = current_evidence(r)
    stable = not is_prerelease(p.version)
    best: tuple[int, datetime, str] | None = None
    for version, vi in r.packument.versions.items():
        if version == p.version or vi.published is None:
            continue
        rank = vi.evidence.rank
        if rank <= current.rank:
            continue  # cheap filters first: semver parsing is the costly part
        when = aware(vi.published)
        if when >= published or (stable and is_prerelease(version)):
            continue
        candidate = (rank, when, version)
        if best is None or candidate > best:
            best = candidate
    if best is None:
        return
    earlier = r.packument.versions[best[2]].evidence
    yield from j.finding(
        INFO.id,
        r,
        f"{p.spec} has weaker evidence ({current.value}) than {best[2]} "
        f"({earlier.value}), published earlier: possible takeover",
        {
            "expected": earlier.value,
            "actual": current.value,
            "earlier_version": best[2],
            "earlier_published": iso(best[1]),
            "published": iso(published),
        },
    )


RULE = Rule(INFO, package=check)
