"""release-age: the version is younger than the policy's minimum release age.

The age is the verified log time of the registry's acceptance first, the packument's
publish time otherwise; without either the package is `incomplete`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from auditor.models import Finding, PackageResult
from auditor.policy.rules.base import (
    Judge,
    Rule,
    accepted,
    aware,
    iso,
    rule_info,
)

INFO = rule_info(
    "release-age",
    "Version is younger than the minimum release age",
    "The version was published more recently than the cooldown allows. Every recent "
    "npm compromise was caught and removed within hours to days; a cooldown keeps "
    "fresh malicious versions out.",
    "Wait until the version is old enough, or pin an older version; add a dated "
    "[[exception]] for urgent security fixes.",
    "[release_age] days / exclude",
    severity="5.5",
    tags=("freshness",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    cfg, p = j.policy.release_age, r.package
    if not j.applies(r, INFO.id, cfg.exclude):
        return
    source = "transparency log"
    when = accepted(r)
    if when is None:
        info = r.version_info
        when, source = (info.published if info else None), "registry publish time"
    if when is None:
        yield from j.undecided(r, INFO.id, "publish time (no log time, no packument)")
        return
    age = j.now - aware(when)
    if age >= timedelta(days=cfg.days):
        return
    days = age.total_seconds() / 86400
    yield from j.finding(
        INFO.id,
        r,
        f"{p.spec} is {days:.1f} days old ({source}); the minimum release age is {cfg.days:g} days",
        {
            "expected": f">= {cfg.days:g} days",
            "actual": round(days, 2),
            "published": iso(when),
            "time_source": source,
        },
    )


RULE = Rule(INFO, package=check)
