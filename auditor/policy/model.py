"""The parsed policy: frozen values, every default filled in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from auditor.models import Level
from auditor.policy.catalog import ALWAYS_ON_RULES, RULES
from auditor.policy.globs import Glob, Selector
from auditor.policy.rules import REGISTRY

if TYPE_CHECKING:
    from auditor.signals.identity_lock import IdentityLock

# Provenance requirement scopes (`direct` and `production` are independent selections).
REQUIRE_SCOPES = ("none", "direct", "production", "all")

# Named builders an identity rule may trust (see evaluate._builder_matches).
NAMED_BUILDERS = ("github-hosted", "gitlab-hosted", "slsa-github-generator")

# `[[identity]]` keys whose certificate claims Fulcio added in 2023 (extensions .9 onwards:
# Build Config URI, Runner Environment, repository and owner ids).  Certificates issued
# before cannot carry them: there the claim is unknown, not a failure, unless the block
# names the key in `require_claims` (or says `require_claims = true`).
LEGACY_ABSENT_KEYS = ("repository_ids", "owner_ids", "workflows", "runners", "builders")


@dataclass(frozen=True, slots=True)
class ProvenanceConfig:
    """`[provenance]`: which packages must have verified provenance."""

    require: str = "none"  # one of REQUIRE_SCOPES
    packages: tuple[Selector, ...] = ()  # always required, whatever `require` says
    exclude: tuple[Selector, ...] = ()


@dataclass(frozen=True, slots=True)
class CoverageConfig:
    """`[coverage]`: minimum share (0..1) of registry packages with verified provenance."""

    overall: float | None = None
    production: float | None = None
    development: float | None = None


@dataclass(frozen=True, slots=True)
class IdentityRule:
    """One `[[identity]]` block; every block whose `packages` match a package applies."""

    index: int
    packages: tuple[Selector, ...]
    exclude: tuple[Selector, ...] = ()
    require_provenance: bool = False
    repositories: tuple[Glob, ...] = ()
    repository_ids: tuple[str, ...] = ()
    owner_ids: tuple[str, ...] = ()
    issuers: tuple[Glob, ...] = ()
    workflows: tuple[Glob, ...] = ()
    refs: tuple[Glob, ...] = ()
    triggers: tuple[str, ...] = ()
    deny_triggers: tuple[str, ...] = ()
    runners: tuple[str, ...] = ()
    builders: tuple[str, ...] = ()  # named builders or builder-id globs (contain "://")
    require_claims: tuple[str, ...] = ()  # LEGACY_ABSENT_KEYS an old certificate must satisfy

    @property
    def label(self) -> str:
        return f"identity[{self.index}] ({', '.join(s.spec for s in self.packages)})"

    def applies(self, name: str, version: str) -> bool:
        return any(s.matches(name, version) for s in self.packages) and not any(
            s.matches(name, version) for s in self.exclude
        )

    def matched_name(
        self, names: Sequence[tuple[str, str]], version: str
    ) -> tuple[str, str] | None:
        """The first of `names` ((name, "real name" | "install name"), real name first) that
        `packages` selects, unless `exclude` selects the real name; None: does not apply.

        A block's requirements follow the install name too (an alias must not escape a pin),
        its exclusions only the real name (an alias must not borrow another's exemption)."""
        if not names or any(s.matches(names[0][0], version) for s in self.exclude):
            return None
        for name, role in names:
            if any(s.matches(name, version) for s in self.packages):
                return name, role
        return None


# `[trust_downgrade] scope`: the earlier versions a version is compared with.
DOWNGRADE_SCOPES = ("major", "all")


@dataclass(frozen=True, slots=True)
class TrustDowngradeConfig:
    """`[trust_downgrade]`."""

    ignore_after: float | None = None  # days; older versions are not checked
    exclude: tuple[Selector, ...] = ()
    scope: str = "major"  # DOWNGRADE_SCOPES: the same major version line, or every version


@dataclass(frozen=True, slots=True)
class IdentityLockConfig:
    """`[identity_lock]`: the identity lock file (relative to the policy file's directory)."""

    file: str | None = None


@dataclass(frozen=True, slots=True)
class PublishBurstConfig:
    """`[publish_burst]`: `versions` versions published within `within_minutes`."""

    versions: int = 3
    within_minutes: float = 60.0
    exclude: tuple[Selector, ...] = ()


@dataclass(frozen=True, slots=True)
class ReleaseAgeConfig:
    """`[release_age]`."""

    days: float = 0.0
    exclude: tuple[Selector, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """`[source]`: non-registry allow lists and extra allowed registries."""

    allow_packages: tuple[Selector, ...] = ()
    allow_resolved: tuple[Glob, ...] = ()
    registries: tuple[str, ...] = ()  # base URLs allowed in addition to the configured ones


@dataclass(frozen=True, slots=True)
class InstallScriptConfig:
    """`[install_script]`."""

    allow: tuple[Selector, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicyException:
    """One `[[exception]]`: waives `rules` for matching versions until `expires`."""

    index: int
    package: Selector  # always has a range
    rules: tuple[str, ...]
    reason: str
    expires: date | None = None

    def expired(self, now: datetime) -> bool:
        # Valid through the expiry day itself (UTC).
        return self.expires is not None and now.date() > self.expires


@dataclass(frozen=True)
class Policy:
    """An effective policy.  `levels` names every rule of the catalogue."""

    levels: Mapping[str, Level]
    source: str | None = None  # file it was loaded from; None for the built-in default
    version: int = 1
    provenance: ProvenanceConfig = field(default_factory=ProvenanceConfig)
    coverage: CoverageConfig = field(default_factory=CoverageConfig)
    identity: tuple[IdentityRule, ...] = ()
    trust_downgrade: TrustDowngradeConfig = field(default_factory=TrustDowngradeConfig)
    identity_lock: IdentityLockConfig = field(default_factory=IdentityLockConfig)
    publish_burst: PublishBurstConfig = field(default_factory=PublishBurstConfig)
    release_age: ReleaseAgeConfig = field(default_factory=ReleaseAgeConfig)
    source_hygiene: SourceConfig = field(default_factory=SourceConfig)
    install_script: InstallScriptConfig = field(default_factory=InstallScriptConfig)
    exceptions: tuple[PolicyException, ...] = ()
    # [registry] attestations: where attestations, signatures and packuments are fetched
    # from when the configured registry is a mirror that strips them (URL ending in '/').
    attestations_registry: str | None = None

    def level(self, rule_id: str) -> Level:
        """The level of a rule (`off` when disabled).  Unknown ids raise KeyError."""
        if rule_id in ALWAYS_ON_RULES:
            return Level.ERROR
        if rule_id not in RULES:
            raise KeyError(rule_id)
        return self.levels.get(rule_id, Level.OFF)

    def rule_levels(self) -> dict[str, Level]:
        """The effective level of every catalogue rule."""
        return {rule_id: self.level(rule_id) for rule_id in RULES}

    def enabled(self, rule_id: str) -> bool:
        return self.level(rule_id) is not Level.OFF

    @property
    def needs_packuments(self) -> bool:
        """True when an enabled check needs registry metadata (publish times, history).

        trust-downgrade needs the version history and publish times; release-age needs
        the publish time of versions without a verified log time (unattested ones).  The
        engine may skip the packument of a package whose attestation has a verified time
        when only release-age needs it.  Always-on checks never require packuments: the
        engine reports stripped provenance itself (reason PROVENANCE_STRIPPED).  The trust
        signals need them too: publish times (publish-burst, the age of a new dependency),
        the registry's publisher (change-new-publisher) and the claims that separate trust
        levels above provenance (the identity lock records levels).
        """
        return any(self.enabled(rule) for rule in PACKUMENT_RULES)

    def summary(self) -> str:
        """One line: where from, how many rules at each level, identity rules, exceptions."""
        errors = sum(1 for r in RULES if self.level(r) is Level.ERROR)
        warnings = sum(1 for r in RULES if self.level(r) is Level.WARNING)
        # The CLI prints the file name next to it; only the built-in policy says where from.
        origin = "" if self.source else "built-in default policy: "
        return (
            f"{origin}version {self.version}, {errors} rules at error, "
            f"{warnings} at warning, {len(RULES) - errors - warnings} off, "
            f"{len(self.identity)} identity rules, {len(self.exceptions)} exceptions"
        )


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """What evaluation needs besides the results: the clock and the configuration.

    `now` must be timezone-aware (UTC).  `registries` are the configured registry base
    URLs (for source-registry-mismatch).
    `signing_registries` are the registries known to sign packages (see the field).
    """

    now: datetime
    registries: tuple[str, ...] = ()
    # Registries (base URLs as in `PackageResult.registry`; "" when unknown) that sign
    # packages: registry-signature-missing applies only to packages from these.
    signing_registries: frozenset[str] = frozenset()
    # Registries that served neither attestations nor signing keys: (URL, configured by).
    attestation_less: tuple[tuple[str, str], ...] = ()
    # The identity lock `[identity_lock] file` names, loaded (None: not configured).
    identity_lock: IdentityLock | None = None


# Rules that read packuments (`Policy.needs_packuments`).
PACKUMENT_RULES = (
    "trust-downgrade",
    "release-age",
    "publish-burst",
    "identity-changed",
    "identity-new",
    "change-new-dependency",
    "change-new-publisher",
)


def default_levels() -> dict[str, Level]:
    """Report-only: every rule at its `Rule.builtin_level` (off unless its module says
    otherwise: `incomplete` at error, the two hygiene warnings `exception-expired` and
    `change-audit-config`), the always-on rules at error."""
    return {r.id: Level.ERROR if r.info.always_on else r.builtin_level for r in REGISTRY}


def default_policy() -> Policy:
    """The built-in policy used without `--policy`."""
    return Policy(levels=default_levels())
