"""trust-downgrade: a lower trust level than a version published earlier (possible takeover).

Levels, highest first (`auditor.signals.levels`): staged publish, trusted publisher,
provenance, publish attestation or registry signature only, none.  The audited version's
level is what verified (the registry's `_npmUser` only separates the levels above verified
provenance from a CI certificate); earlier versions' levels are the packument's claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from auditor.models import Evidence, Finding, PackageResult
from auditor.policy.rules.base import (
    Judge,
    Rule,
    accepted,
    aware,
    iso,
    rule_info,
)
from auditor.signals.levels import LEVEL_WORDS, find_downgrade, publisher, trust_level

INFO = rule_info(
    "trust-downgrade",
    "Weaker evidence than earlier versions (possible takeover)",
    "This version's trust level (none < publish attestation or registry signature only < "
    "provenance < trusted publisher < staged publish; verified for this version, registry "
    "claims for earlier ones) is lower than that of a version of the same major line "
    "published earlier. Token-based re-publishes after a compromise look exactly like "
    "this: the version lost the provenance or trusted publishing its predecessors had.",
    "Check the maintainers' announcements before installing; pin the last trusted "
    "version named in the finding, or waive this one version with an [[exception]] "
    "(package = 'name@version', rules = ['trust-downgrade']) and a reason.",
    "[trust_downgrade] ignore_after / exclude / scope",
    severity="8.0",
    tags=("history",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    cfg, p = j.policy.trust_downgrade, r.package
    if not j.applies(r, INFO.id, cfg.exclude):
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
    current = trust_level(r) or Evidence.NONE  # what verified, not what the registry claims
    got = find_downgrade(p.version, current, published, r.packument, scope=cfg.scope)
    if got is None:
        return
    last = (
        ""
        if got.last_trusted_version == got.earlier_version
        else f"; last version above it: {got.last_trusted_version} "
        f"({LEVEL_WORDS[got.last_trusted_level]})"
    )
    yield from j.finding(
        INFO.id,
        r,
        f"{p.spec} has weaker evidence ({current.value}) than {got.earlier_version} "
        f"({got.earlier_level.value}), published earlier: possible takeover; "
        f"{LEVEL_WORDS[got.earlier_level]} ({got.earlier_version}, {got.earlier_publisher}) "
        f"-> {LEVEL_WORDS[current]} ({p.version}, {publisher(r)}) within {got.scope}{last}",
        {
            "expected": got.earlier_level.value,
            "actual": current.value,
            "earlier_version": got.earlier_version,
            "earlier_published": iso(got.earlier_published),
            "published": iso(published),
            "earlier_publisher": got.earlier_publisher,
            "publisher": publisher(r),
            "last_trusted_version": got.last_trusted_version,
            "last_trusted_level": got.last_trusted_level.value,
            "last_trusted_published": iso(got.last_trusted_published),
            "scope": got.scope,
        },
    )


RULE = Rule(INFO, package=check)
