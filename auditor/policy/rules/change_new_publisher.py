"""change-new-publisher: an updated package was published by another builder or account.

Both versions verified from CI: the builder identity from the certificates (the vouched
builder id, and a signing workflow outside the source repository; the OIDC issuer and the
repository's own workflow are change-workflow's), never the
registry's `_npmUser` (staged publishing rewrites it to whoever approved).  Otherwise the
registry's publisher account (`_npmUser` name and email), which a stolen token keeps or an
account takeover changes.  A version that gained provenance is not reported; one that lost
it is reported here too when its publisher is an account (change-provenance-lost says what
was lost).
"""

from __future__ import annotations

from auditor.models import Level, PackageResult, Status
from auditor.policy.rules.base import ChangeEmitter, ChangeSubject, Rule, rule_info
from auditor.signals.identity_lock import LockedIdentity, observed
from auditor.signals.levels import publisher

INFO = rule_info(
    "change-new-publisher",
    "Changed version was published by another builder or account",
    "Against the base lockfile, the verified builder identity (builder id, a reusable "
    "signing workflow) of an updated package differs from the base version's, "
    "or, without provenance, the registry's publisher account (npm user name and email) "
    "differs. Account takeovers and stolen tokens publish from another account, another "
    "email or another builder.",
    "Confirm the new publisher with the project (release notes, maintainers list); pin the "
    "base version until it is explained.",
    "[rules] change-new-publisher",
    level=Level.WARNING,
    severity="6.5",
    tags=("diff", "identity"),
)


OWN_WORKFLOW = "(a workflow of the source repository)"


def _builder(i: LockedIdentity) -> dict[str, str | None]:
    """The parts of a verified identity that say who built it, not from where."""
    repo = (i.repository or "").rstrip("/").lower()
    signer = i.signer
    if signer is not None and repo and signer.lower().startswith(repo + "/"):
        signer = OWN_WORKFLOW  # which one is change-workflow's business
    return {"builder": i.builder, "signer": signer}


def _account(r: PackageResult) -> tuple[str | None, str | None] | None:
    info = r.version_info
    if info is None or info.publisher is None:
        return None
    return info.publisher, (info.publisher_email or "").lower() or None


def check(emit: ChangeEmitter, c: ChangeSubject) -> None:
    base, head = c.base, c.head
    if c.before is None or base is None or head is None:
        return
    if Status.ERROR in (base.status, head.status):
        return  # undecided: change-provenance-lost reports the base, the head audit the head
    was, now = observed(base), observed(head)
    if was is not None and now is not None:
        a, b = _builder(was), _builder(now)
        diffs = [
            f"{k} {a[k]!r} -> {b[k]!r}"
            for k in ("builder", "signer")
            if a[k] != b[k] and a[k] is not None and b[k] is not None
        ]
        if diffs:
            emit.add(
                INFO.id,
                "built by another builder: " + "; ".join(diffs),
                before_publisher=publisher(base),
                after_publisher=publisher(head),
                before_builder=a,
                after_builder=b,
            )
        return
    if now is not None:
        return  # gained verified provenance
    after = _account(head)
    if after is None:
        return  # the registry names no account: nothing to compare
    shown_after = publisher(head) + (f" <{after[1]}>" if after[1] else "")
    if was is not None:
        emit.add(
            INFO.id,
            f"published by an account instead of its CI builder: {publisher(base)} -> "
            f"{shown_after}",
            before_publisher=publisher(base),
            after_publisher=shown_after,
            before_account=None,
            after_account=list(after),
        )
        return
    before = _account(base)
    if before is None or before == after:
        return
    shown_before = publisher(base) + (f" <{before[1]}>" if before[1] else "")
    emit.add(
        INFO.id,
        f"published by another account: {shown_before} -> {shown_after}",
        before_publisher=shown_before,
        after_publisher=shown_after,
        before_account=list(before),
        after_account=list(after),
    )


RULE = Rule(INFO, change=check)
