"""The catalogue of stable rule ids: what each rule means, how to fix it, which key controls it.

Read from the rule modules (`auditor.policy.rules`); SARIF builds its `tool.driver.rules`
from `RULES`; reports and diff mode use the same ids.  Ids are a public contract: never
rename one, only add.
"""

from __future__ import annotations

from auditor.policy.rules import REGISTRY
from auditor.policy.rules.base import RuleInfo

__all__ = ["ALWAYS_ON_RULES", "INCOMPLETE_RULES", "RULES", "UNWAIVABLE_RULES", "RuleInfo"]

RULES: dict[str, RuleInfo] = {r.id: r.info for r in REGISTRY}

# Rules whose ERROR-level findings make the audit incomplete (exit code 3).
INCOMPLETE_RULES: frozenset[str] = frozenset({"incomplete"})

# Tampering signals: level fixed at error, never waivable.
ALWAYS_ON_RULES: frozenset[str] = frozenset(r.id for r in REGISTRY if r.info.always_on)

# Rules an [[exception]] may not name: tampering, the expiry meta-rule, and the global
# rules (they have no package to match).
UNWAIVABLE_RULES: frozenset[str] = ALWAYS_ON_RULES | {r.id for r in REGISTRY if not r.waivable}
