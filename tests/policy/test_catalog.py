"""The rule catalogue: every stable id is present and well-formed (SARIF builds on it)."""

from __future__ import annotations

import re

from auditor.models import Level
from auditor.policy import INCOMPLETE_RULES, RULES, default_policy
from auditor.policy.catalog import ALWAYS_ON_RULES, UNWAIVABLE_RULES
from tests.contract import STABLE_RULE_IDS


def test_catalogue_covers_exactly_the_stable_ids() -> None:
    assert set(RULES) == STABLE_RULE_IDS
    assert frozenset({"incomplete"}) == INCOMPLETE_RULES
    assert {
        "attestation-invalid",
        "provenance-stripped",
        "registry-signature-invalid",
    } == ALWAYS_ON_RULES
    assert ALWAYS_ON_RULES <= UNWAIVABLE_RULES


def test_every_rule_is_well_formed() -> None:
    for rule_id, info in RULES.items():
        assert info.id == rule_id
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule_id)
        assert re.fullmatch(r"[A-Z][A-Za-z]+", info.name)
        assert info.short_description and info.full_description
        assert info.help_text and info.help_markdown
        assert info.default_level in (Level.ERROR, Level.WARNING)
        assert 0.0 <= float(info.security_severity) <= 10.0
        assert {"security", "supply-chain"} <= set(info.tags)
        if not info.always_on:
            assert rule_id in info.help_markdown  # names the [rules] key


def test_default_policy_is_report_only_but_tampering() -> None:
    policy = default_policy()
    assert policy.level("attestation-invalid") is Level.ERROR
    assert policy.level("provenance-stripped") is Level.ERROR
    assert policy.level("incomplete") is Level.ERROR
    failing = {r for r in RULES if policy.level(r) is Level.ERROR}
    assert failing == {
        "attestation-invalid",
        "provenance-stripped",
        "registry-signature-invalid",
        "incomplete",
    }
    assert not policy.needs_packuments
    assert "built-in" in policy.summary()
