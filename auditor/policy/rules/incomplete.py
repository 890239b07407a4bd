"""incomplete: a package could not be fetched or decided (not a pass).

This module reports packages whose status is `error`; checks that lack the data they need
report `incomplete` themselves (`Judge.undecided`), and so does the pull-request mode for
a base version it cannot compare.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, Level, PackageResult, Status
from auditor.policy.rules.base import Judge, Rule, rule_info

INFO = rule_info(
    "incomplete",
    "The package could not be fetched or decided",
    "The audit could not decide this package: its attestations or registry metadata "
    "could not be fetched or decoded, or a check lacked the data it needs (for example "
    "a publish time). An incomplete audit is not a pass; at level error it makes the "
    "exit code 3.",
    "Re-run when the registry is reachable, or record the responses with `audit fetch` "
    "and audit with `--offline`.",
    "[rules] incomplete",
    severity="5.0",
    tags=("availability",),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    if r.status is not Status.ERROR:
        return
    detail = ": ".join(x for x in (r.reason, r.message) if x) or "unknown error"
    yield from j.finding(
        INFO.id,
        r,
        f"{r.package.spec} could not be checked ({detail})",
        {"reason": r.reason, "detail": r.message},
    )


RULE = Rule(INFO, builtin_level=Level.ERROR, package=check)
