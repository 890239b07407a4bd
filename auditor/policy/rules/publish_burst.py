"""publish-burst: the version is one of several published within a short window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from auditor.models import Finding, Level, PackageResult
from auditor.policy.rules.base import Judge, Rule, accepted, iso, rule_info
from auditor.signals.burst import publish_burst

INFO = rule_info(
    "publish-burst",
    "Several versions published within a short window",
    "This version and others of the same package were published within minutes of each "
    "other (packument publish times). Compromised accounts and release pipelines publish "
    "in bursts: a worm republishing every package it can reach, or several malicious "
    "versions in a row before anyone notices.",
    "Check the package's release notes and repository for the versions in the window; "
    "prefer a version published before the burst, or wait until it is explained.",
    "[publish_burst] versions / within_minutes / exclude",
    level=Level.WARNING,
    severity="5.0",
    tags=("history", "freshness"),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    cfg, p = j.policy.publish_burst, r.package
    if not j.applies(r, INFO.id, cfg.exclude):
        return
    if r.packument is None:
        yield from j.undecided(r, INFO.id, "registry metadata (packument)")
        return
    window = timedelta(minutes=cfg.within_minutes)
    got = publish_burst(
        r.packument, p.version, versions=cfg.versions, within=window, published=accepted(r)
    )
    if got is None:
        return
    minutes = (got.end - got.start).total_seconds() / 60
    listed = ", ".join(v for v, _ in got.versions)
    yield from j.finding(
        INFO.id,
        r,
        f"{p.spec} is one of {got.count} versions published within {minutes:.0f} minutes "
        f"({listed}); the policy allows fewer than {cfg.versions} within "
        f"{cfg.within_minutes:g} minutes",
        {
            "expected": f"< {cfg.versions} versions within {cfg.within_minutes:g} minutes",
            "actual": got.count,
            "versions": [{"version": v, "published": iso(t)} for v, t in got.versions],
            "window_start": iso(got.start),
            "window_end": iso(got.end),
        },
    )


RULE = Rule(INFO, package=check)
