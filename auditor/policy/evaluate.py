"""Policy evaluation: results -> findings.  Pure: no I/O, clock from the context."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.models import Finding, PackageResult
from auditor.policy.model import Policy, PolicyContext


def evaluate(
    policy: Policy, results: Sequence[PackageResult], context: PolicyContext
) -> list[Finding]:
    """Every finding of every enabled rule, exceptions applied, sorted."""
    return []
