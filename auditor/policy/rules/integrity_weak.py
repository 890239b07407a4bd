"""integrity-weak: the lockfile records only a sha1 integrity."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, Level, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info

INFO = rule_info(
    "integrity-weak",
    "Lockfile integrity is sha1 only",
    "Only a sha1 integrity is recorded; sha1 is broken for collision resistance and "
    "cannot be bound to the sha512 attestation subject.",
    "Regenerate the lockfile so it records sha512 integrity.",
    "[rules] integrity-weak",
    level=Level.WARNING,
    severity="5.0",
    tags=("integrity",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    if r.package.sha1_only:
        yield from j.finding(
            INFO.id,
            r,
            f"{r.package.spec} has only a sha1 integrity",
            {"expected": "sha512", "actual": "sha1"},
        )


RULE = Rule(INFO, package=check)
