"""exception-expired: a policy `[[exception]]` passed its expiry date.

The finding is about the policy entry (it names the exception's package glob and no
version), so no exception can waive it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from auditor.models import Finding, Level, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info

INFO = rule_info(
    "exception-expired",
    "A policy exception has expired",
    "An [[exception]] passed its expires date. It no longer waives anything; the "
    "findings it waived are reported again.",
    "Remove the exception, or renew it with a new date and reason after review.",
    "[[exception]] expires",
    level=Level.WARNING,
    severity="3.0",
    tags=("policy",),
)


def check(j: Judge, results: Sequence[PackageResult]) -> Iterator[Finding]:
    for exc in j.policy.exceptions:
        if not exc.expired(j.now):
            continue
        expires = exc.expires.isoformat() if exc.expires else None
        for f in j.finding(
            INFO.id,
            None,
            f"exception[{exc.index}] for {exc.package.spec} ({', '.join(exc.rules)}) "
            f"expired on {expires}; it no longer waives anything",
            {
                "expected": f"expires on or after {j.now.date().isoformat()}",
                "actual": expires,
                "package": exc.package.spec,
                "rules": list(exc.rules),
                "reason": exc.reason,
            },
        ):
            yield replace(f, package=exc.package.name.pattern)


RULE = Rule(INFO, builtin_level=Level.WARNING, waivable=False, audit=check)
