"""Running the change-* rules on one update (shared by their tests)."""

from __future__ import annotations

from auditor.diff import diff_lockfiles, evaluate_changes
from auditor.models import Level, Package, PackageResult, Status
from tests.diff._build import Levels, by_spec, identity, lock, result

GIT = "git+ssh://git@example.test/acme/widget.git"


def run(
    before: Package,
    after: Package,
    base: PackageResult | None = None,
    head: PackageResult | None = None,
    policy: Levels | None = None,
) -> list[tuple[str, Level, str]]:
    """(rule, level, message) of the change from `before` to `after`; both results are
    verified with the same identity unless given."""
    changes = diff_lockfiles(lock(before), lock(after))
    base = base or result(before, Status.VERIFIED, identity())
    head = head or result(after, Status.VERIFIED, identity())
    findings = evaluate_changes(changes, by_spec([head]), by_spec([base]), policy or Levels())
    return [(f.rule, f.level, f.message) for f in findings]


def rules(
    before: Package,
    after: Package,
    base: PackageResult | None = None,
    head: PackageResult | None = None,
    policy: Levels | None = None,
) -> list[str]:
    return [r for r, _, _ in run(before, after, base, head, policy)]
