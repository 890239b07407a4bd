"""The identity rules' one check: each `[[identity]]` key as a row of a table.

An identity rule module lists its rows (`Claim`: the rule id and a judge reading one
`[[identity]]` key and one certificate claim) and calls `identity_check`.  The check
judges verified provenance only; it applies every block that selects the package, says
which install name selected an alias, and treats claims Fulcio added in 2023 as unknown
on older certificates unless the block's `require_claims` names the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from auditor.models import Finding, Identity, PackageResult, Status
from auditor.policy.globs import Glob
from auditor.policy.rules.base import Judge, decided, via
from auditor.signals.identity_lock import legacy_certificate

if TYPE_CHECKING:
    from auditor.policy.model import IdentityRule

# Fulcio added the Build Signer URI (.9) and the other claims from .8 on in 2023; a
# certificate without any of them is one of the older ones (only when accepted before
# 2024: a newer certificate missing them is odd, and claims stay required).  The identity
# lock reads certificates the same way: `legacy_certificate` is shared with it.


@dataclass(frozen=True, slots=True)
class Verdict:
    """One block's judgement of one claim."""

    ok: bool
    what: str  # how the message names the claim
    expected: list[str]
    actual: str | None
    # The [[identity]] key (LEGACY_ABSENT_KEYS) when an old certificate cannot carry the claim.
    legacy_key: str | None = None
    denied: bool = False  # a deny list matched (`deny_triggers`), not an allow list missed


# (block, certificate identity, legacy certificate) -> verdict, None: the block does not check it
ClaimJudge = Callable[["IdentityRule", Identity, bool], Verdict | None]


@dataclass(frozen=True, slots=True)
class Claim:
    """One row of the identity table: which rule a judge's failures belong to."""

    rule: str
    judge: ClaimJudge


def allowed(
    values: Callable[[IdentityRule], tuple[Glob, ...] | tuple[str, ...]],
    what: str,
    actual: Callable[[Identity], str | None],
    *,
    legacy_key: str | None = None,
) -> ClaimJudge:
    """The common row: the claim must match one of the block's values (globs match, plain
    strings compare equal); a block without values does not check it."""

    def judge(block: IdentityRule, ident: Identity, legacy: bool) -> Verdict | None:
        allowed_values = values(block)
        if not allowed_values:
            return None
        value = actual(ident)
        ok = any(v.match(value) if isinstance(v, Glob) else v == value for v in allowed_values)
        expected = [v.pattern if isinstance(v, Glob) else v for v in allowed_values]
        return Verdict(ok, what, expected, value, legacy_key)

    return judge


def identity_check(j: Judge, r: PackageResult, claims: Sequence[Claim]) -> Iterator[Finding]:
    """The findings of `claims` for every `[[identity]]` block that selects `r`."""
    if r.status is not Status.VERIFIED or not decided(r):
        return
    blocks = j.identity_blocks(r)
    if not blocks:
        return
    ident = r.identity or Identity()  # fail closed: no identity = nothing matches
    legacy = legacy_certificate(r, ident)
    for block, matched in blocks:
        for claim in claims:
            verdict = claim.judge(block, ident, legacy)
            if verdict is None or verdict.ok:
                continue
            for f in _failed(j, r, block, claim.rule, verdict, legacy):
                if not r.package.aliases:
                    yield f
                    continue
                # An alias: say which of its names the block selected.
                yield replace(
                    f,
                    message=f.message + via(matched),
                    evidence={**f.evidence, "matched": {"name": matched[0], "as": matched[1]}},
                )


def _failed(
    j: Judge, r: PackageResult, block: IdentityRule, rule: str, v: Verdict, legacy: bool
) -> Iterator[Finding]:
    spec = r.package.spec
    if v.denied:
        yield from j.finding(
            rule,
            r,
            f"{spec}: {v.what} {v.actual!r} is denied by {block.label}",
            {"denied": v.expected, "actual": v.actual, "policy": block.label},
        )
        return
    if v.actual is not None:
        shown = repr(v.actual)
    elif legacy:
        shown = "(absent: the certificate predates this claim)"
    else:
        shown = "(absent from the certificate)"
    evidence: dict[str, object] = {
        "expected": v.expected,
        "actual": v.actual,
        "policy": block.label,
    }
    message = (
        f"{spec}: {v.what} {shown} is not allowed by {block.label}; expected one of {v.expected}"
    )
    if v.actual is None and legacy and v.legacy_key is not None:
        # Fulcio added the claim in 2023: an older certificate cannot carry it, so the claim
        # is unknown, and fails only where the policy requires it.
        if v.legacy_key not in block.require_claims:
            return
        evidence["claim"] = "absent: certificate issued before Fulcio carried it"
        evidence["required_by"] = f"{block.label}.require_claims"
        message += f" (required by require_claims: {v.legacy_key})"
    yield from j.finding(rule, r, message, evidence)


def alias_pins(
    j: Judge,
    r: PackageResult,
    rule: str,
    pinned: Callable[[IdentityRule], list[str] | None],
) -> Iterator[Finding]:
    """An alias installed under a pinned name without verified provenance: the code that
    loads as the pinned name is another package, which cannot show the pinned repository.
    (The pinned package itself without provenance is `provenance-required`, at the
    policy's level; an alias is a different package wearing its name.)  `pinned` gives a
    block's expected values for `rule`, None when the block is not this rule's."""
    p = r.package
    if not p.aliases or r.status is Status.VERIFIED or not decided(r):
        return
    for block, matched in j.identity_blocks(r):
        if matched[1] != "install name":
            continue
        expected = pinned(block)
        if expected is None:
            continue
        yield from j.finding(
            rule,
            r,
            f"{p.spec} is installed as {matched[0]!r}, which {block.label} pins, but it is "
            f"another package with no verified provenance ({r.status.value}): nothing shows "
            f"it was built from {expected}",
            {
                "expected": expected,
                "actual": None,
                "policy": block.label,
                "matched": {"name": matched[0], "as": matched[1]},
            },
        )
