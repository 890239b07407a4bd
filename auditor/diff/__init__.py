"""Pull-request mode: audit what changed between a base lockfile and the head lockfile.

base = read_base_lockfile(options.base, options.base_ref, lockfile_path)
plan = plan_diff(head, base, audit_all=options.audit_all)
# fetch + verify plan.audit (head) and plan.base_audit (base versions of updates)
findings += evaluate_changes(plan.changes, head_results, base_results, policy)
Report(..., changes=plan.changes)
"""

from __future__ import annotations

from dataclasses import dataclass

from auditor.diff.base import read_base_lockfile
from auditor.diff.changes import (
    Change,
    ChangeKind,
    base_packages,
    diff_lockfiles,
    select_packages,
)
from auditor.diff.rules import CHANGE_RULES, evaluate_changes, evidence_of
from auditor.models import Lockfile, Package


@dataclass(frozen=True, slots=True)
class DiffPlan:
    """What the engine does in pull-request mode."""

    base: Lockfile
    changes: tuple[Change, ...]
    audit: tuple[Package, ...]  # head packages to fetch and verify
    base_audit: tuple[Package, ...]  # base versions of updated packages, fetched the same way
    head: Lockfile | None = None  # the head lockfile (its graph: change-new-dependency)


def plan_diff(head: Lockfile, base: Lockfile, *, audit_all: bool = False) -> DiffPlan:
    changes = diff_lockfiles(base, head)
    return DiffPlan(
        base=base,
        changes=changes,
        audit=select_packages(head, changes, audit_all),
        base_audit=base_packages(changes),
        head=head,
    )


__all__ = [
    "CHANGE_RULES",
    "Change",
    "ChangeKind",
    "DiffPlan",
    "base_packages",
    "diff_lockfiles",
    "evaluate_changes",
    "evidence_of",
    "plan_diff",
    "read_base_lockfile",
    "select_packages",
]
