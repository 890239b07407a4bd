"""What every policy rule module is made of: its catalogue entry and its checks.

A rule module (`auditor/policy/rules/<rule>.py`) defines `RULE = Rule(info=rule_info(...),
package=..., audit=..., change=...)`; `auditor.policy.rules.RULE_MODULES` lists the modules.
The checks are pure: they read results and the policy through a `Judge`, and a `Judge`
drops findings of rules the policy turned off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from auditor.models import (
    Evidence,
    Finding,
    Identity,
    Level,
    Package,
    PackageResult,
    SourceKind,
    Status,
    accepted_at,
)
from auditor.policy.globs import Selector
from auditor.reasons import PROVENANCE_STRIPPED
from auditor.signals.newdeps import NewDependency

if TYPE_CHECKING:  # the policy model imports the catalogue built from the rules
    from auditor.policy.model import IdentityRule, Policy, PolicyContext

__all__ = [
    "DECIDED",
    "NON_REGISTRY_SOURCES",
    "ChangeEmitter",
    "ChangeSubject",
    "Judge",
    "Rule",
    "RuleInfo",
    "aware",
    "decided",
    "rule_info",
]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One policy rule, as SARIF and `audit policy explain` describe it.

    `default_level` is the level the rule gets when a policy configures its check without
    naming a level in `[rules]` (never `off`; the built-in default policy turns most rules
    off, see `Rule.builtin_level`).
    """

    id: str
    name: str  # PascalCase identifier (SARIF `name`)
    short_description: str
    full_description: str
    help_text: str
    help_markdown: str  # remediation plus the policy key that controls the rule
    default_level: Level
    security_severity: str  # SARIF `properties.security-severity` (0.0 to 10.0)
    tags: tuple[str, ...]
    always_on: bool = False


def rule_info(
    rule_id: str,
    short: str,
    full: str,
    fix: str,
    key: str,
    *,
    level: Level = Level.ERROR,
    severity: str,
    tags: tuple[str, ...] = (),
    always_on: bool = False,
) -> RuleInfo:
    """A catalogue entry: `key` is the policy key that controls the rule ("" when always on)."""
    name = "".join(part.capitalize() for part in rule_id.split("-"))
    control = (
        "Always on: no policy key can disable or waive it."
        if always_on
        else f"Controlled by `{key}` (level in `[rules]` `{rule_id}`)."
    )
    return RuleInfo(
        id=rule_id,
        name=name,
        short_description=short,
        full_description=full,
        help_text=f"{fix} {control.replace('`', '')}",
        help_markdown=f"{fix}\n\n{control}",
        default_level=level,
        security_severity=severity,
        tags=("security", "supply-chain", *tags),
        always_on=always_on,
    )


# Sources outside any registry: they can never carry provenance.
NON_REGISTRY_SOURCES = frozenset({SourceKind.GIT, SourceKind.REMOTE, SourceKind.FILE})
# Statuses the provenance, identity and history rules judge.
DECIDED = frozenset({Status.VERIFIED, Status.PUBLISH_ONLY, Status.UNATTESTED})


def aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC so comparisons never raise."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    return aware(moment).astimezone(UTC).isoformat() if moment else None


def registry_checked(r: PackageResult) -> bool:
    """A registry package whose evidence could be fetched (errors are `incomplete`'s)."""
    return r.status is not Status.ERROR and r.package.source is SourceKind.REGISTRY


def stripped(r: PackageResult) -> bool:
    """Decided by the engine for every registry package (auditor.registry.stripping)."""
    return r.reason == PROVENANCE_STRIPPED


def decided(r: PackageResult) -> bool:
    """A registry package with a decided verdict: neither tampered with nor undecided."""
    return registry_checked(r) and not stripped(r) and r.status in DECIDED


def verified_evidence(r: PackageResult) -> Evidence:
    """The evidence that verified for this version, by status alone: provenance, publish
    attestation only, or none (invalid and undecided are none here).  The trust levels of
    `auditor.signals.levels.trust_level` refine it (staged publish, trusted publisher)."""
    if r.status is Status.VERIFIED:
        return Evidence.PROVENANCE
    if r.status is Status.PUBLISH_ONLY:
        return Evidence.PUBLISH_ONLY
    return Evidence.NONE


def signers(c: ChangeSubject) -> tuple[Identity, Identity] | None:
    """The verified signers of an update's base and head versions; None unless both have
    one (a side without a verified signer is change-provenance-lost's business)."""
    was = c.base.identity if c.base is not None and c.before is not None else None
    now = c.head.identity if c.head is not None else None
    return None if was is None or now is None else (was, now)


def any_match(selectors: Iterable[Selector], name: str, version: str) -> bool:
    return any(s.matches(name, version) for s in selectors)


def selector_names(p: Package) -> tuple[tuple[str, str], ...]:
    """The names a requirement selector is matched against: the real name, then every
    install name of an alias (`node_modules/lodash` installing `evil-lodash`).  Exemptions
    (allow lists, excludes, exceptions) match the real name only."""
    return ((p.name, "real name"), *((alias, "install name") for alias in p.aliases))


def via(matched: tuple[str, str]) -> str:
    """How a selector matched an aliased package, for messages ('' for its real name)."""
    name, role = matched
    return f" (matched its install name {name!r})" if role == "install name" else ""


def accepted(r: PackageResult) -> datetime | None:
    """When the registry accepted the version: never the earliest verified time, since
    provenance signed weeks before publication must not age a new version."""
    return accepted_at(r.attestations)


class Judge:
    """What checks read besides the result: the policy, the clock, the configuration.

    `finding` yields a finding at the policy's level of the rule, or nothing when the
    policy turned the rule off.
    """

    def __init__(self, policy: Policy, context: PolicyContext) -> None:
        self.policy = policy
        self.context = context
        self.now = aware(context.now)
        regs = [*context.registries, *policy.source_hygiene.registries]
        self.registries = tuple(dict.fromkeys(r if r.endswith("/") else r + "/" for r in regs))
        self.signing_registries = context.signing_registries
        self._blocks_of: PackageResult | None = None
        self._blocks: list[tuple[IdentityRule, tuple[str, str]]] = []

    def finding(
        self,
        rule: str,
        result: PackageResult | None,
        message: str,
        evidence: dict[str, object],
    ) -> Iterator[Finding]:
        level = self.policy.level(rule)
        if level is Level.OFF:
            return
        pkg = result.package if result else None
        yield Finding(
            rule=rule,
            level=level,
            message=message,
            package=pkg.name if pkg else None,
            version=pkg.version if pkg else None,
            line=(pkg.line or None) if pkg else None,
            evidence=evidence,
        )

    def applies(self, r: PackageResult, rule: str, exclude: Iterable[Selector]) -> bool:
        """Whether a per-package rule with an `exclude` list judges `r`: the package was
        decided, the rule is on, and no selector of `exclude` names it."""
        p = r.package
        return (
            decided(r) and self.policy.enabled(rule) and not any_match(exclude, p.name, p.version)
        )

    def undecided(self, r: PackageResult, rule: str, missing: str) -> Iterator[Finding]:
        """An `incomplete` finding: `rule` lacks the data it needs (never a silent pass)."""
        yield from self.finding(
            "incomplete",
            r,
            f"{r.package.spec}: {rule} cannot be decided: {missing}",
            {"rule": rule, "missing": missing},
        )

    def identity_blocks(self, r: PackageResult) -> list[tuple[IdentityRule, tuple[str, str]]]:
        """The `[[identity]]` blocks that select `r`, each with the name that matched.
        Every identity rule asks; the answer for the last package is kept."""
        if self._blocks_of is not r:
            names = selector_names(r.package)
            self._blocks = [
                (block, matched)
                for block in self.policy.identity
                if (matched := block.matched_name(names, r.package.version)) is not None
            ]
            self._blocks_of = r
        return self._blocks


@dataclass(frozen=True, slots=True)
class ChangeSubject:
    """An added or updated package in pull-request mode, for the change-* checks.

    `base` and `head` are the verified results of the base and head versions (None when
    added, or when a result is missing); `base_in_head`: the base version is also audited
    as a head package (its undecided result is then reported by the head audit).
    `introduced`: for a new package, the existing package whose update brought it in
    (`auditor.signals.newdeps`); None when the project added it.
    """

    before: Package | None  # None: the package is new
    after: Package
    base: PackageResult | None = None
    head: PackageResult | None = None
    base_in_head: bool = False
    introduced: NewDependency | None = None
    introducer_before: str | None = None  # the introducer's base version (None: unchanged)
    now: datetime | None = None  # the run's clock (ages); None: not known


class ChangeEmitter(Protocol):
    """Makes a finding about one change (level from the policy; nothing when off)."""

    def add(self, rule: str, message: str, **evidence: object) -> None: ...


PackageCheck = Callable[[Judge, PackageResult], Iterable[Finding]]
AuditCheck = Callable[[Judge, Sequence[PackageResult]], Iterable[Finding]]
ChangeCheck = Callable[[ChangeEmitter, ChangeSubject], None]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its catalogue entry, its level in the built-in default policy, its checks.

    `package` runs for every audited package, `audit` once per audit (global findings),
    `change` for every added or updated package in pull-request mode.  A rule may have
    none (its findings are made elsewhere, e.g. `change-audit-config` by auditor.diff).
    """

    info: RuleInfo
    builtin_level: Level = Level.OFF  # without --policy; always-on rules are always error
    waivable: bool = True  # may an [[exception]] name it
    package: PackageCheck | None = None
    audit: AuditCheck | None = None
    change: ChangeCheck | None = None

    @property
    def id(self) -> str:
        return self.info.id
