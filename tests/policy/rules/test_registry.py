"""The rule layout: one module per rule, registered once, with its tests beside it."""

from __future__ import annotations

from pathlib import Path

import auditor.policy.rules as rules_pkg
from auditor.models import Level
from auditor.policy import RULES, default_policy
from auditor.policy.rules import REGISTRY, RULE_MODULES
from tests.contract import STABLE_RULE_IDS

PACKAGE = Path(rules_pkg.__file__).parent
HERE = Path(__file__).parent
SHARED = {"__init__", "base", "identity"}  # not rules: the registry and shared checks


def test_every_rule_module_is_registered_once_under_its_own_id() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - SHARED
    assert sorted(RULE_MODULES) == sorted(modules)
    assert len(set(RULE_MODULES)) == len(RULE_MODULES)
    assert [r.id.replace("-", "_") for r in REGISTRY] == list(RULE_MODULES)
    assert {r.id for r in REGISTRY} == STABLE_RULE_IDS == set(RULES)


def test_every_rule_module_has_its_tests_beside_it() -> None:
    missing = [m for m in RULE_MODULES if not (HERE / f"test_{m}.py").is_file()]
    assert missing == []


def test_every_rule_is_checked_somewhere() -> None:
    # A rule without a check makes its findings elsewhere (named here, on purpose).
    made_elsewhere = {"change-audit-config"}  # auditor.diff.baseconfig reads git
    unchecked = {r.id for r in REGISTRY if not (r.package or r.audit or r.change)}
    assert unchecked == made_elsewhere


def test_builtin_levels_are_the_default_policy() -> None:
    policy = default_policy()
    for rule in REGISTRY:
        expected = Level.ERROR if rule.info.always_on else rule.builtin_level
        assert policy.level(rule.id) is expected, rule.id
