"""Declarative TOML policy: which builds the user trusts, and the findings it yields.

policy = load_policy(Path("policies/recommended.toml"))
findings = evaluate(policy, results, PolicyContext(now=datetime.now(UTC)))
"""

from __future__ import annotations

from auditor.policy.catalog import INCOMPLETE_RULES, RULES, RuleInfo
from auditor.policy.evaluate import (
    evaluate,
    evaluate_waived,
    finding_sort_key,
    sort_waived,
    split_waived,
    waive,
)
from auditor.policy.explain import explain_policy
from auditor.policy.load import load_policy, parse_policy
from auditor.policy.model import Policy, PolicyContext, default_policy

__all__ = [
    "INCOMPLETE_RULES",
    "RULES",
    "Policy",
    "PolicyContext",
    "RuleInfo",
    "default_policy",
    "evaluate",
    "evaluate_waived",
    "explain_policy",
    "finding_sort_key",
    "load_policy",
    "parse_policy",
    "sort_waived",
    "split_waived",
    "waive",
]
