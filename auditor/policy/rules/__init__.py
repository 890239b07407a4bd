"""The policy rules, one module each: catalogue entry, level in the built-in policy, checks.

Adding a rule: a module `auditor/policy/rules/<rule_id with underscores>.py` defining
`RULE = Rule(info=rule_info(...), package=..., audit=..., change=...)`, one line in
`RULE_MODULES`, its tests in `tests/policy/rules/test_<module>.py`, and a paragraph in
docs/policy.md.  The order of `RULE_MODULES` is the catalogue's order (SARIF's
`tool.driver.rules`, `audit policy explain`, the reports' rule levels).
"""

from __future__ import annotations

from importlib import import_module

from auditor.policy.rules.base import ChangeEmitter, ChangeSubject, Judge, Rule, RuleInfo

RULE_MODULES: tuple[str, ...] = (
    # --- verification (always on) ---
    "attestation_invalid",
    "provenance_stripped",
    "registry_signature_invalid",
    "registry_signature_missing",
    "incomplete",
    # --- required provenance ---
    "provenance_required",
    "registry_no_attestations",
    "coverage_minimum",
    # --- identity ---
    "identity_repository",
    "identity_repository_id",
    "identity_issuer",
    "identity_workflow",
    "identity_ref",
    "identity_trigger",
    "identity_runner",
    "identity_builder",
    "identity_changed",
    "identity_new",
    # --- history ---
    "trust_downgrade",
    "release_age",
    "publish_burst",
    # --- source hygiene ---
    "source_non_registry",
    "source_registry_mismatch",
    "integrity_missing",
    "integrity_weak",
    "install_script",
    # --- policy hygiene ---
    "exception_expired",
    # --- pull-request (base lockfile) diff mode ---
    "change_provenance_lost",
    "change_repository",
    "change_workflow",
    "change_install_script",
    "change_source",
    "change_new_dependency",
    "change_new_publisher",
    "change_audit_config",
)


def _load(module: str) -> Rule:
    rule = getattr(import_module(f"{__name__}.{module}"), "RULE", None)
    if not isinstance(rule, Rule) or rule.id.replace("-", "_") != module:
        raise ImportError(f"{__name__}.{module} must define RULE = Rule(...) for its own id")
    return rule


REGISTRY: tuple[Rule, ...] = tuple(_load(m) for m in RULE_MODULES)

__all__ = [
    "REGISTRY",
    "RULE_MODULES",
    "ChangeEmitter",
    "ChangeSubject",
    "Judge",
    "Rule",
    "RuleInfo",
]
