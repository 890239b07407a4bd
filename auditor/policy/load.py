"""TOML policy file -> `Policy`, with one-line errors naming file, key path and a fix.

Validation is strict: unknown keys, wrong types, bad globs or ranges and unknown rule
names are errors, with a "did you mean" suggestion where a close spelling exists.  A typo
in a security policy must never silently weaken it.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from auditor.errors import PolicyError
from auditor.fileio import read_regular
from auditor.models import Level
from auditor.policy.catalog import ALWAYS_ON_RULES, RULES, UNWAIVABLE_RULES
from auditor.policy.globs import Glob, GlobSyntaxError, Selector, uri_glob
from auditor.policy.model import (
    DOWNGRADE_SCOPES,
    LEGACY_ABSENT_KEYS,
    NAMED_BUILDERS,
    REQUIRE_SCOPES,
    CoverageConfig,
    IdentityLockConfig,
    IdentityRule,
    InstallScriptConfig,
    Policy,
    PolicyException,
    ProvenanceConfig,
    PublishBurstConfig,
    ReleaseAgeConfig,
    SourceConfig,
    TrustDowngradeConfig,
    default_levels,
)

if sys.version_info >= (3, 11):  # noqa: UP036  (pyproject keeps a tomli fallback)
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_POLICY_BYTES = 1 << 20  # a policy is a few KiB; refuse anything absurd
MAX_LIST = 10_000

# Known workflow triggers (GitHub event names, GitLab pipeline sources): a typo in a deny
# list would silently allow the trigger it meant to deny.
KNOWN_TRIGGERS = frozenset(
    [
        "branch_protection_rule",
        "check_run",
        "check_suite",
        "create",
        "delete",
        "deployment",
        "deployment_status",
        "discussion",
        "discussion_comment",
        "dynamic",
        "fork",
        "gollum",
        "issue_comment",
        "issues",
        "label",
        "merge_group",
        "milestone",
        "page_build",
        "public",
        "pull_request",
        "pull_request_comment",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_target",
        "push",
        "registry_package",
        "release",
        "repository_dispatch",
        "schedule",
        "status",
        "watch",
        "workflow_call",
        "workflow_dispatch",
        "workflow_run",
        "api",
        "chat",
        "external",
        "external_pull_request_event",
        "merge_request_event",
        "ondemand_dast_scan",
        "ondemand_dast_validation",
        "parent_pipeline",
        "pipeline",
        "security_orchestration_policy",
        "trigger",
        "web",
        "webide",
    ]
)
KNOWN_RUNNERS = frozenset({"github-hosted", "self-hosted", "gitlab-hosted"})

_TOP_KEYS = (
    "version",
    "rules",
    "provenance",
    "coverage",
    "identity",
    "trust_downgrade",
    "release_age",
    "source",
    "install_script",
    "exception",
    "registry",
    "identity_lock",
    "publish_burst",
)
_IDENTITY_KEYS = {
    "packages": None,
    "exclude": None,
    "require_provenance": "provenance-required",
    "repositories": "identity-repository",
    "repository_ids": "identity-repository-id",
    "owner_ids": "identity-repository-id",
    "issuers": "identity-issuer",
    "workflows": "identity-workflow",
    "refs": "identity-ref",
    "triggers": "identity-trigger",
    "deny_triggers": "identity-trigger",
    "runners": "identity-runner",
    "builders": "identity-builder",
    "require_claims": None,
}

T = TypeVar("T")


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file.  Raises PolicyError."""
    try:
        data = read_regular(path, MAX_POLICY_BYTES)
    except OSError as exc:
        raise _error(f"{path}: cannot read policy: {exc.strerror or exc}") from None
    if len(data) > MAX_POLICY_BYTES:
        raise _error(f"{path}: policy file larger than {MAX_POLICY_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(f"{path}: policy is not UTF-8 text") from None
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str) -> Policy:
    """Validate policy text; `source` names it in error messages.  Raises PolicyError."""
    if len(text) > MAX_POLICY_BYTES:
        raise _error(f"{source}: policy larger than {MAX_POLICY_BYTES} characters")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(f"{source}: invalid TOML: {exc}") from None
    except RecursionError:
        raise _error(f"{source}: invalid TOML: nested too deeply") from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        raise _error(f"{source}: invalid TOML: a number is too large") from None
    return _Loader(source).load(doc)


def _shown_number(value: object) -> str:
    """A value for a message, bounded: a 4,000-digit integer is shown by its size."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    return repr(value)[:200]


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")


def _error(message: str) -> PolicyError:
    """One line, no control characters, bounded length (file names and keys are input)."""
    clean = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in message)
    return PolicyError(clean if len(clean) <= 500 else clean[:497] + "...")


def _suggest(word: str, choices: Iterable[str]) -> str:
    options = list(choices)
    # An abbreviation ("repos") is a better hint than the closest spelling ("refs").
    close = [c for c in options if len(word) >= 3 and c.startswith(word)]
    close = close or difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime | date):
        return "a date"
    return type(value).__name__


class _Loader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> PolicyError:
        where = f"{self.source}: {path}" if path else self.source
        return _error(f"{where}: {problem}")

    # --- generic shapes ---------------------------------------------------------------

    def table(self, value: object, path: str, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a table, got {_kind(value)}")
        keys = list(allowed)
        for key in value:
            if key not in keys:
                shown = key if _BARE_KEY.fullmatch(key) else repr(key[:60])
                where = f"{path}.{shown}" if path else shown
                raise self.fail(where, f"unknown key{_suggest(key, keys)}")
        return value

    def string(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected a string, got {_kind(value)}")
        if not value.strip():
            raise self.fail(path, "must not be empty")
        return value

    def number(self, value: object, path: str, lo: float, hi: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"expected a number, got {_kind(value)}")
        bound = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float (TOML integers are unbounded here)
            raise self.fail(path, f"must be {bound}, got an out-of-range number") from None
        if number != number or number < lo or (hi is not None and number > hi):
            raise self.fail(path, f"must be {bound}, got {_shown_number(value)}")
        return number

    def boolean(self, value: object, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_kind(value)}")
        return value

    def items(self, value: object, path: str, parse: Callable[[object, str], T]) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected an array, got {_kind(value)}")
        if len(value) > MAX_LIST:
            raise self.fail(path, f"more than {MAX_LIST} entries")
        return tuple(parse(item, f"{path}[{i}]") for i, item in enumerate(value))

    def selector(self, value: object, path: str, *, require_range: bool = False) -> Selector:
        spec = self.string(value, path)
        try:
            return Selector.parse(spec, require_range=require_range)
        except GlobSyntaxError as exc:
            raise self.fail(path, f"bad package selector {spec!r}: {exc}") from None

    def glob(self, value: object, path: str, *, fold_case: bool = False) -> Glob:
        pattern = self.string(value, path)
        try:
            return uri_glob(pattern, fold_case=fold_case)
        except GlobSyntaxError as exc:
            raise self.fail(path, f"bad glob {pattern!r}: {exc}") from None

    def choice(self, value: object, path: str, choices: Iterable[str], what: str) -> str:
        text = self.string(value, path)
        options = sorted(choices)
        if text not in options:
            raise self.fail(path, f"unknown {what} {text!r}{_suggest(text, options)}")
        return text

    def rule_name(self, value: object, path: str) -> str:
        return self.choice(value, path, RULES, "rule")

    def numeric_id(self, value: object, path: str) -> str:
        # Ids are 64-bit at most; longer digit strings are not ids (and str(int) is bounded).
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64:
            return str(value)
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
            return str(int(value))
        raise self.fail(path, f"expected a numeric id (digits), got {_shown_number(value)}")

    def registry_url(self, value: object, path: str) -> str:
        url = self.string(value, path)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError as exc:  # a bad IPv6 literal or port
            raise self.fail(path, f"not a valid URL ({exc}): {url[:200]!r}") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise self.fail(path, f"expected an http(s) registry base URL, got {url!r}")
        return url if url.endswith("/") else url + "/"

    def builder(self, value: object, path: str) -> str:
        text = self.string(value, path)
        if text in NAMED_BUILDERS:
            return text
        if "://" not in text:
            raise self.fail(
                path,
                f"unknown builder {text!r}{_suggest(text, NAMED_BUILDERS)} "
                f"(use {', '.join(NAMED_BUILDERS)} or a builder id URI glob)",
            )
        self.glob(text, path)  # validate the glob syntax
        return text

    # --- sections -----------------------------------------------------------------------

    def load(self, doc: dict[str, Any]) -> Policy:
        self.table(doc, "", _TOP_KEYS)
        if "version" not in doc:
            raise self.fail("version", "missing; add `version = 1` at the top")
        version = doc["version"]
        if isinstance(version, bool) or not isinstance(version, int) or version != 1:
            raise self.fail("version", f"unsupported policy version {version!r}; use 1")

        levels = default_levels()
        implied: set[str] = set()

        provenance = ProvenanceConfig()
        if "provenance" in doc:
            t = self.table(doc["provenance"], "provenance", ("require", "packages", "exclude"))
            provenance = ProvenanceConfig(
                require=self.choice(
                    t.get("require", "none"), "provenance.require", REQUIRE_SCOPES, "scope"
                ),
                packages=self.items(t.get("packages", []), "provenance.packages", self.selector),
                exclude=self.items(t.get("exclude", []), "provenance.exclude", self.selector),
            )
            implied.add("provenance-required")

        coverage = CoverageConfig()
        if "coverage" in doc:
            keys = ("overall", "production", "development")
            t = self.table(doc["coverage"], "coverage", keys)
            values = {k: self.number(t[k], f"coverage.{k}", 0.0, 1.0) for k in keys if k in t}
            coverage = CoverageConfig(**values)
            implied.add("coverage-minimum")

        identity: list[IdentityRule] = []
        if "identity" in doc:
            blocks = doc["identity"]
            if not isinstance(blocks, list):
                raise self.fail("identity", "expected [[identity]] blocks (an array of tables)")
            for i, block in enumerate(blocks):
                rule = self.identity_rule(block, i)
                identity.append(rule)
                named = [k for k in block if k != "require_provenance"]
                implied.update(r for k in named if (r := _IDENTITY_KEYS.get(k)))
                if rule.require_provenance:
                    implied.add("provenance-required")

        trust = TrustDowngradeConfig()
        if "trust_downgrade" in doc:
            t = self.table(
                doc["trust_downgrade"], "trust_downgrade", ("ignore_after", "exclude", "scope")
            )
            trust = TrustDowngradeConfig(
                scope=self.choice(
                    t.get("scope", "major"), "trust_downgrade.scope", DOWNGRADE_SCOPES, "scope"
                ),
                ignore_after=(
                    self.number(t["ignore_after"], "trust_downgrade.ignore_after", 0.0, 36500.0)
                    if "ignore_after" in t
                    else None
                ),
                exclude=self.items(t.get("exclude", []), "trust_downgrade.exclude", self.selector),
            )
            implied.add("trust-downgrade")

        lock = IdentityLockConfig()
        if "identity_lock" in doc:
            t = self.table(doc["identity_lock"], "identity_lock", ("file",))
            if "file" not in t:
                raise self.fail("identity_lock.file", 'missing; e.g. file = "provenance-lock.json"')
            name = self.string(t["file"], "identity_lock.file")
            if "\0" in name or len(name) > 4096:
                raise self.fail("identity_lock.file", "not a file path")
            lock = IdentityLockConfig(file=name)
            implied.add("identity-changed")  # identity-new stays off unless [rules] says

        burst = PublishBurstConfig()
        if "publish_burst" in doc:
            t = self.table(
                doc["publish_burst"], "publish_burst", ("versions", "within_minutes", "exclude")
            )
            versions = t.get("versions", 3)
            if isinstance(versions, bool) or not isinstance(versions, int):
                raise self.fail(
                    "publish_burst.versions", f"expected an integer, got {_kind(versions)}"
                )
            if not 2 <= versions <= 10_000:
                raise self.fail(
                    "publish_burst.versions",
                    f"must be between 2 and 10000, got {_shown_number(versions)}",
                )
            burst = PublishBurstConfig(
                versions=versions,
                within_minutes=self.number(
                    t.get("within_minutes", 60), "publish_burst.within_minutes", 1.0, 525_600.0
                ),
                exclude=self.items(t.get("exclude", []), "publish_burst.exclude", self.selector),
            )
            implied.add("publish-burst")

        age = ReleaseAgeConfig()
        if "release_age" in doc:
            t = self.table(doc["release_age"], "release_age", ("days", "exclude"))
            if "days" not in t:
                raise self.fail("release_age.days", "missing; the minimum age in days")
            age = ReleaseAgeConfig(
                days=self.number(t["days"], "release_age.days", 0.0, 3650.0),
                exclude=self.items(t.get("exclude", []), "release_age.exclude", self.selector),
            )
            implied.add("release-age")

        source = SourceConfig()
        if "source" in doc:
            t = self.table(
                doc["source"], "source", ("allow_packages", "allow_resolved", "registries")
            )
            source = SourceConfig(
                allow_packages=self.items(
                    t.get("allow_packages", []), "source.allow_packages", self.selector
                ),
                allow_resolved=self.items(
                    t.get("allow_resolved", []), "source.allow_resolved", self.glob
                ),
                registries=self.items(
                    t.get("registries", []), "source.registries", self.registry_url
                ),
            )
            implied.update(("source-non-registry", "source-registry-mismatch"))

        scripts = InstallScriptConfig()
        if "install_script" in doc:
            t = self.table(doc["install_script"], "install_script", ("allow",))
            scripts = InstallScriptConfig(
                allow=self.items(t.get("allow", []), "install_script.allow", self.selector)
            )
            implied.add("install-script")

        exceptions: tuple[PolicyException, ...] = ()
        if "exception" in doc:
            blocks = doc["exception"]
            if not isinstance(blocks, list):
                raise self.fail("exception", "expected [[exception]] blocks (an array of tables)")
            exceptions = tuple(self.exception(b, i) for i, b in enumerate(blocks))

        # A configured check is on at its catalogue level; [rules] overrides either way.
        for rule_id in implied:
            levels[rule_id] = RULES[rule_id].default_level
        if "rules" in doc:
            self.apply_levels(doc["rules"], levels)

        attestations_registry = None
        if "registry" in doc:
            t = self.table(doc["registry"], "registry", ("attestations",))
            if "attestations" in t:
                attestations_registry = self.registry_url(
                    t["attestations"], "registry.attestations"
                )

        return Policy(
            attestations_registry=attestations_registry,
            levels=levels,
            source=self.source,
            version=1,
            provenance=provenance,
            coverage=coverage,
            identity=tuple(identity),
            trust_downgrade=trust,
            identity_lock=lock,
            publish_burst=burst,
            release_age=age,
            source_hygiene=source,
            install_script=scripts,
            exceptions=exceptions,
        )

    def apply_levels(self, value: object, levels: dict[str, Level]) -> None:
        table = self.table(value, "rules", RULES)
        names = [lvl.value for lvl in Level]
        for rule_id, raw in table.items():
            path = f"rules.{rule_id}"
            level = Level(self.choice(raw, path, names, "level"))
            if rule_id in ALWAYS_ON_RULES and level is not Level.ERROR:
                raise self.fail(path, "always-on rule (tampering); its level is always error")
            levels[rule_id] = level

    def identity_rule(self, value: object, index: int) -> IdentityRule:
        path = f"identity[{index}]"
        t = self.table(value, path, _IDENTITY_KEYS)
        if "packages" not in t:
            raise self.fail(f"{path}.packages", "missing; the package globs this rule covers")
        packages = self.items(t["packages"], f"{path}.packages", self.selector)
        if not packages:
            raise self.fail(f"{path}.packages", "must name at least one package glob")
        checks = [k for k, rule in _IDENTITY_KEYS.items() if rule and k in t]
        if not checks:
            raise self.fail(path, "checks nothing; add repositories, refs, builders, ...")

        def strings(key: str, parse: Callable[[object, str], T]) -> tuple[T, ...]:
            items = self.items(t.get(key, []), f"{path}.{key}", parse)
            if key in t and not items:
                # An empty allow list would deny everything: almost surely a mistake.
                raise self.fail(f"{path}.{key}", "must not be empty (remove the key instead)")
            return items

        def fold(v: object, p: str) -> Glob:
            return self.glob(v, p, fold_case=True)

        def trigger(v: object, p: str) -> str:
            return self.choice(v, p, KNOWN_TRIGGERS, "trigger")

        def runner(v: object, p: str) -> str:
            return self.choice(v, p, KNOWN_RUNNERS, "runner environment")

        return IdentityRule(
            index=index,
            packages=packages,
            exclude=self.items(t.get("exclude", []), f"{path}.exclude", self.selector),
            require_provenance=(
                self.boolean(t["require_provenance"], f"{path}.require_provenance")
                if "require_provenance" in t
                else False
            ),
            repositories=strings("repositories", fold),
            repository_ids=strings("repository_ids", self.numeric_id),
            owner_ids=strings("owner_ids", self.numeric_id),
            issuers=strings("issuers", fold),
            workflows=strings("workflows", self.glob),
            refs=strings("refs", self.glob),
            triggers=strings("triggers", trigger),
            deny_triggers=strings("deny_triggers", trigger),
            runners=strings("runners", runner),
            builders=strings("builders", self.builder),
            require_claims=self.require_claims(t, path),
        )

    def require_claims(self, t: dict[str, Any], path: str) -> tuple[str, ...]:
        """`true`: every claim-based key of the block; a list: those keys; default none."""
        if "require_claims" not in t:
            return ()
        value, key_path = t["require_claims"], f"{path}.require_claims"
        if isinstance(value, bool):
            return tuple(k for k in LEGACY_ABSENT_KEYS if k in t) if value else ()
        keys = self.items(
            value, key_path, lambda v, p: self.choice(v, p, LEGACY_ABSENT_KEYS, "claim key")
        )
        for i, key in enumerate(keys):
            if key not in t:
                raise self.fail(f"{key_path}[{i}]", f"the block does not check {key!r}")
        return keys

    def exception(self, value: object, index: int) -> PolicyException:
        path = f"exception[{index}]"
        t = self.table(value, path, ("package", "rules", "reason", "expires"))
        for key in ("package", "rules", "reason"):
            if key not in t:
                raise self.fail(f"{path}.{key}", "missing (package, rules and reason are required)")
        selector = self.selector(t["package"], f"{path}.package", require_range=True)
        rules = self.items(t["rules"], f"{path}.rules", self.rule_name)
        if not rules:
            raise self.fail(f"{path}.rules", "must name at least one rule")
        for i, rule_id in enumerate(rules):
            if rule_id in UNWAIVABLE_RULES:
                raise self.fail(f"{path}.rules[{i}]", f"rule {rule_id!r} cannot be waived")
        expires = t.get("expires")
        if expires is not None and (isinstance(expires, datetime) or not isinstance(expires, date)):
            raise self.fail(f"{path}.expires", "expected a date such as 2026-06-30 (no quotes)")
        return PolicyException(
            index=index,
            package=selector,
            rules=rules,
            reason=self.string(t["reason"], f"{path}.reason"),
            expires=expires,
        )
