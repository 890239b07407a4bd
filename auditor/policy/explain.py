"""`audit policy explain`: the effective policy with every default."""

from __future__ import annotations

from auditor.policy.model import Policy


def explain_policy(policy: Policy, fmt: str = "text") -> str:
    """Render the effective policy as text or JSON (ends with a newline)."""
    return policy.summary() + "\n"
