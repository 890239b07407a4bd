"""diff_lockfiles / select_packages / plan_diff on lockfile pairs built in code."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.diff import Change, ChangeKind, diff_lockfiles, plan_diff, select_packages
from auditor.models import SourceKind
from auditor.report.json_report import change_record
from tests.diff._build import lock, pkg


def kinds(changes: tuple[Change, ...]) -> list[tuple[str, str, str | None, str | None]]:
    return [(str(c.kind), c.name, c.before, c.after) for c in changes]


def test_unchanged_lockfile_has_no_changes() -> None:
    a = lock(pkg("a", "1.0.0"), pkg("b", "2.0.0"))
    assert diff_lockfiles(a, a) == ()
    # Moved install paths alone are not a change either.
    moved = lock(pkg("a", "1.0.0", "node_modules/x/node_modules/a"), pkg("b", "2.0.0"))
    assert diff_lockfiles(a, moved) == ()


def test_added_updated_removed() -> None:
    base = lock(pkg("keep", "1.0.0"), pkg("up", "1.0.0"), pkg("gone", "3.0.0"))
    head = lock(pkg("keep", "1.0.0"), pkg("up", "1.1.0", line=9), pkg("new", "0.1.0", line=4))
    changes = diff_lockfiles(base, head)
    assert kinds(changes) == [
        ("removed", "gone", "3.0.0", None),
        ("added", "new", None, "0.1.0"),
        ("updated", "up", "1.0.0", "1.1.0"),
    ]
    removed, added, updated = changes
    assert added.line == 4 and updated.line == 9 and removed.line is None
    assert updated.before_package is base.packages[2] and updated.after_package is not None
    assert removed.after_package is None and removed.spec == "gone@3.0.0"
    assert added.kind == "added"  # a StrEnum: plain strings compare equal
    assert json.loads(json.dumps(change_record(updated))) == {
        "kind": "updated",
        "name": "up",
        "before": "1.0.0",
        "after": "1.1.0",
        "line": 9,
        "before_package": "up@1.0.0",
        "after_package": "up@1.1.0",
    }


def test_same_version_other_source_or_bytes_is_an_update() -> None:
    base = lock(pkg("a", "1.0.0"))
    git = pkg("a", "1.0.0", source=SourceKind.GIT, resolved="git+ssh://git@example.test/a.git#1")
    assert kinds(diff_lockfiles(base, lock(git))) == [("updated", "a", "1.0.0", "1.0.0")]


def test_resolved_integrity_or_alias_alone_is_an_update_audited_again() -> None:
    """Attacker: keep name and version, change only what npm fetches or accepts."""
    from dataclasses import replace

    reg = "http://127.0.0.1:4873"
    before = pkg("a", "1.0.0", resolved=f"{reg}/a/-/a-1.0.0.tgz")
    base = lock(before)
    for after in (
        replace(before, resolved=f"{reg}/@evil/a/-/a-1.0.0.tgz"),
        replace(before, integrity="sha512-other"),
        replace(before, source=SourceKind.REMOTE),
        replace(before, aliases=("lodash",)),
    ):
        head = lock(after)
        changes = diff_lockfiles(base, head)
        assert kinds(changes) == [("updated", "a", "1.0.0", "1.0.0")], after
        assert select_packages(head, changes, audit_all=False) == (after,)
        assert plan_diff(head, base, audit_all=False).audit == (after,)


def test_multiple_versions_matched_by_install_path() -> None:
    base = lock(
        pkg("dup", "1.0.0", "node_modules/dup"),
        pkg("dup", "2.0.0", "node_modules/x/node_modules/dup"),
    )
    head = lock(
        pkg("dup", "1.5.0", "node_modules/dup"),
        pkg("dup", "2.1.0", "node_modules/x/node_modules/dup"),
    )
    assert kinds(diff_lockfiles(base, head)) == [
        ("updated", "dup", "1.0.0", "1.5.0"),
        ("updated", "dup", "2.0.0", "2.1.0"),
    ]


def test_replacement_at_a_path_whose_old_version_stays_elsewhere() -> None:
    # dup@1 stays installed (moved under y), dup@2 takes its old path: an update of dup@1.
    base = lock(pkg("dup", "1.0.0", "node_modules/dup"))
    head = lock(
        pkg("dup", "1.0.0", "node_modules/y/node_modules/dup"),
        pkg("dup", "2.0.0", "node_modules/dup"),
    )
    assert kinds(diff_lockfiles(base, head)) == [("updated", "dup", "1.0.0", "2.0.0")]


def test_one_version_dropped_of_two() -> None:
    base = lock(pkg("dup", "1.0.0", "node_modules/a/node_modules/dup"), pkg("dup", "2.0.0"))
    head = lock(pkg("dup", "2.0.0", "node_modules/dup", "node_modules/a/node_modules/dup"))
    assert kinds(diff_lockfiles(base, head)) == [("removed", "dup", "1.0.0", None)]


def test_new_extra_version_without_shared_path_updates_nearest_lower() -> None:
    base = lock(
        pkg("d", "1.0.0", "node_modules/d"), pkg("d", "3.0.0", "node_modules/q/node_modules/d")
    )
    head = lock(
        pkg("d", "1.0.0", "node_modules/d"),
        pkg("d", "3.0.0", "node_modules/q/node_modules/d"),
        pkg("d", "2.0.0", "node_modules/z/node_modules/d"),
    )
    assert kinds(diff_lockfiles(base, head)) == [("updated", "d", "1.0.0", "2.0.0")]


def test_odd_versions_never_raise() -> None:
    base = lock(pkg("w", "file:../w"), pkg("w", "not-a-version", "node_modules/x/node_modules/w"))
    head = lock(pkg("w", "1.0.0-rc.1+build", "node_modules/q/node_modules/w"))
    changes = diff_lockfiles(base, head)
    assert [c.kind for c in changes].count(ChangeKind.UPDATED) == 1


def test_select_packages_skips_unchanged_and_removed() -> None:
    base = lock(pkg("keep", "1.0.0"), pkg("up", "1.0.0"), pkg("gone", "1.0.0"))
    head = lock(pkg("keep", "1.0.0"), pkg("up", "2.0.0"), pkg("new", "1.0.0"))
    changes = diff_lockfiles(base, head)
    assert [p.spec for p in select_packages(head, changes, False)] == ["new@1.0.0", "up@2.0.0"]
    assert select_packages(head, changes, True) == head.packages
    plan = plan_diff(head, base)
    assert [p.spec for p in plan.audit] == ["new@1.0.0", "up@2.0.0"]
    assert [p.spec for p in plan.base_audit] == ["up@1.0.0"]
    assert plan.changes == changes
    assert plan_diff(head, base, audit_all=True).audit == head.packages


def test_empty_base_means_everything_added() -> None:
    head = lock(pkg("a", "1.0.0"), pkg("b", "1.0.0"))
    empty = lock()
    assert [c.kind for c in diff_lockfiles(empty, head)] == [ChangeKind.ADDED] * 2
    assert plan_diff(head, empty).audit == head.packages


_names = st.sampled_from(["a", "b", "@s/c"])
_versions = st.sampled_from(["1.0.0", "1.1.0", "2.0.0", "2.0.0-beta.1"])
_dirs = st.sampled_from(["node_modules/{}", "node_modules/x/node_modules/{}"])
_entries = st.lists(st.tuples(_names, _versions, _dirs), max_size=8)


def _build(entries: list[tuple[str, str, str]]):  # type: ignore[no-untyped-def]
    # One package per install path, as npm lays them out.
    by_path = {d.format(n): (n, v) for n, v, d in entries}
    merged: dict[tuple[str, str], list[str]] = {}
    for path, key in by_path.items():
        merged.setdefault(key, []).append(path)
    return lock(*(pkg(n, v, *sorted(ps)) for (n, v), ps in merged.items()))


@settings(max_examples=60, deadline=None)
@given(_entries, _entries)
def test_diff_properties(base_entries, head_entries) -> None:  # type: ignore[no-untyped-def]
    base, head = _build(base_entries), _build(head_entries)
    changes = diff_lockfiles(base, head)
    base_specs = {p.spec for p in base.packages}
    head_specs = {p.spec for p in head.packages}
    new = {c.after_package.spec for c in changes if c.after_package is not None}
    assert new == head_specs - base_specs  # every new version is reported exactly once
    assert len(new) == sum(1 for c in changes if c.kind is not ChangeKind.REMOVED)
    for c in changes:
        if c.kind is ChangeKind.REMOVED:
            assert c.before_package is not None and c.before_package.spec not in head_specs
            # ... and not also the base side of an update.
            assert all(u.before_package != c.before_package for u in changes if u is not c)
        if c.kind is ChangeKind.UPDATED:
            assert c.before_package is not None and c.before_package.spec in base_specs
        if c.kind is ChangeKind.ADDED:
            assert c.name not in {p.name for p in base.packages}
    assert diff_lockfiles(head, head) == ()
