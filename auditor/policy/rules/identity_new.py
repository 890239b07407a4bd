"""identity-new: a package with verified provenance whose name the identity lock lacks."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.models import Finding, Level, PackageResult
from auditor.policy.rules.base import Judge, Rule, rule_info
from auditor.signals.identity_lock import check as check_lock

INFO = rule_info(
    "identity-new",
    "Verified package not in the identity lock",
    "The package has verified provenance but the identity lock records no identity for "
    "its name: nobody has reviewed who builds it yet. Off by default (every new "
    "dependency would be reported); turn it on in [rules] to require each new builder "
    "to be recorded and reviewed.",
    "Record the package with `audit lock --update` and review the lock file's diff.",
    "[identity_lock] file",
    level=Level.WARNING,
    severity="3.0",
    tags=("identity", "identity-lock"),
)


def check(j: Judge, r: PackageResult) -> Iterator[Finding]:
    lock = j.context.identity_lock
    if lock is None or not j.policy.enabled(INFO.id):
        return
    got = check_lock(lock, r)
    if got is None or got.kind != "new" or got.observed is None:
        return
    now = got.observed
    built = f"{now.repository} ({now.workflow})" if now.workflow else f"{now.repository}"
    yield from j.finding(
        INFO.id,
        r,
        f"{r.package.spec}: verified provenance from {built} is not in the identity lock; "
        "record it with 'audit lock --update'",
        {"expected": "an entry in the identity lock", "actual": None, "observed": now.as_dict()},
    )


RULE = Rule(INFO, package=check)
