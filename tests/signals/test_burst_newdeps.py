"""Publish bursts from packument times; new dependencies from the lockfile graph."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.diff import ChangeKind, diff_lockfiles
from auditor.lockfile import parse_lockfile_bytes
from auditor.models import Lockfile, Packument, VersionInfo
from auditor.signals.burst import publish_burst
from auditor.signals.newdeps import new_dependencies
from tests.policy._helpers import NOW

HOUR = timedelta(hours=1)
REG = "http://127.0.0.1:4873/"


def _times(*rows: tuple[str, float]) -> Packument:
    """(version, minutes before NOW)."""
    return Packument(
        name="p",
        versions={v: VersionInfo(v, published=NOW - timedelta(minutes=m)) for v, m in rows},
    )


def test_burst_positive() -> None:
    pk = _times(("1.0.0", 60 * 24 * 90), ("1.0.1", 50), ("1.0.2", 30), ("1.0.3", 0))
    got = publish_burst(pk, "1.0.3", versions=3, within=HOUR)
    assert got is not None and got.count == 3
    assert [v for v, _ in got.versions] == ["1.0.1", "1.0.2", "1.0.3"]
    assert got.end - got.start == timedelta(minutes=50)


def test_burst_negative_spread_out_or_too_few() -> None:
    pk = _times(("1.0.0", 200), ("1.0.1", 100), ("1.0.2", 0))
    assert publish_burst(pk, "1.0.2", versions=3, within=HOUR) is None
    assert publish_burst(pk, "1.0.2", versions=2, within=HOUR) is None
    assert publish_burst(pk, "1.0.2", versions=2, within=2 * HOUR) is not None


def test_burst_must_include_the_audited_version() -> None:
    """An old burst does not taint a version published long after it."""
    pk = _times(("1.0.0", 5000), ("1.0.1", 4990), ("1.0.2", 4980), ("1.1.0", 0))
    assert publish_burst(pk, "1.1.0", versions=3, within=HOUR) is None
    assert publish_burst(pk, "1.0.1", versions=3, within=HOUR) is not None


def test_burst_ignores_prereleases_for_a_stable_version() -> None:
    pk = _times(("2.0.0-canary.1", 40), ("2.0.0-canary.2", 20), ("1.9.0", 0))
    assert publish_burst(pk, "1.9.0", versions=3, within=HOUR) is None
    assert publish_burst(pk, "2.0.0-canary.2", versions=2, within=HOUR) is not None


def test_burst_unknown_time_is_no_burst_unless_given() -> None:
    pk = Packument(name="p", versions={"1.0.0": VersionInfo("1.0.0")})
    assert publish_burst(pk, "1.0.0", versions=1, within=HOUR) is None
    pk2 = _times(("0.9.0", 10), ("0.9.1", 5))
    pk2.versions["1.0.0"] = VersionInfo("1.0.0")
    assert publish_burst(pk2, "1.0.0", versions=3, within=HOUR, published=NOW) is not None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=40), st.integers(2, 6)
)
def test_burst_matches_brute_force(minutes: list[int], n: int) -> None:
    rows = [(f"1.0.{i}", float(m)) for i, m in enumerate(minutes)]
    pk = _times(*rows)
    audited = rows[-1][0]
    got = publish_burst(pk, audited, versions=n, within=HOUR)
    at = minutes[-1]
    best = max(sum(1 for m in minutes if s - 60 <= m <= s) for s in minutes if at <= s <= at + 60)
    assert (got is not None) == (best >= n)
    if got is not None:
        assert got.count == best


# ------------------------------------------------------------------ new dependencies


def _lock(packages: dict[str, dict[str, Any]], root_deps: dict[str, str]) -> Lockfile:
    doc = {
        "name": "app",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "app", "version": "1.0.0", "dependencies": root_deps},
            **{
                f"node_modules/{k}": {
                    "version": v["version"],
                    "resolved": f"{REG}{k}/-/{k.rsplit('/', 1)[-1]}-{v['version']}.tgz",
                    "integrity": "sha512-" + "A" * 86 + "==",
                    **({"dependencies": v["deps"]} if v.get("deps") else {}),
                }
                for k, v in packages.items()
            },
        },
    }
    return parse_lockfile_bytes(json.dumps(doc).encode(), "package-lock.json")


def _added(base: Lockfile, head: Lockfile) -> list[str]:
    return [c.name for c in diff_lockfiles(base, head) if c.kind is ChangeKind.ADDED]


def test_graph_is_recorded() -> None:
    head = _lock(
        {
            "axios": {"version": "1.14.1", "deps": {"plain-crypto-js": "^4.2.1"}},
            "plain-crypto-js": {"version": "4.2.1"},
        },
        {"axios": "^1.14.0"},
    )
    assert head.graph
    by_name = {p.name: p for p in head.packages}
    assert by_name["axios"].dependencies == ("plain-crypto-js@4.2.1",)
    assert by_name["plain-crypto-js"].dependencies == ()


def test_axios_pattern_new_dependency_of_an_update() -> None:
    base = _lock(
        {
            "axios": {"version": "1.14.0", "deps": {"follow-redirects": "^1"}},
            "follow-redirects": {"version": "1.15.0"},
        },
        {"axios": "^1.14.0"},
    )
    head = _lock(
        {
            "axios": {
                "version": "1.14.1",
                "deps": {"follow-redirects": "^1", "plain-crypto-js": "^4.2.1"},
            },
            "follow-redirects": {"version": "1.15.0"},
            "plain-crypto-js": {"version": "4.2.1", "deps": {"tiny-helper": "1"}},
            "tiny-helper": {"version": "1.0.0"},
        },
        {"axios": "^1.14.0"},
    )
    got = {d.package.name: d for d in new_dependencies(head, _added(base, head))}
    assert set(got) == {"plain-crypto-js", "tiny-helper"}
    pcj = got["plain-crypto-js"]
    assert pcj.introduced_by is not None and pcj.introduced_by.spec == "axios@1.14.1"
    assert pcj.path == ("axios@1.14.1", "plain-crypto-js@4.2.1")
    assert pcj.dependents == ("axios@1.14.1",)
    assert got["tiny-helper"].path == ("axios@1.14.1", "plain-crypto-js@4.2.1", "tiny-helper@1.0.0")


def test_project_added_dependency_and_its_subtree_are_not_reported() -> None:
    base = _lock({"axios": {"version": "1.14.0"}}, {"axios": "^1.14.0"})
    head = _lock(
        {
            "axios": {"version": "1.14.0"},
            "left-pad": {"version": "1.3.0", "deps": {"pad-helper": "1"}},
            "pad-helper": {"version": "1.0.0"},
        },
        {"axios": "^1.14.0", "left-pad": "^1.3.0"},
    )
    assert new_dependencies(head, _added(base, head)) == []


def test_shared_with_project_subtree_is_the_projects() -> None:
    """A new package the project's own new dependency also needs is not 'only because'."""
    base = _lock({"axios": {"version": "1.14.0"}}, {"axios": "^1.14.0"})
    head = _lock(
        {
            "axios": {"version": "1.14.1", "deps": {"shared": "1"}},
            "mine": {"version": "1.0.0", "deps": {"shared": "1"}},
            "shared": {"version": "1.0.0"},
        },
        {"axios": "^1.14.0", "mine": "1"},
    )
    assert new_dependencies(head, _added(base, head)) == []


def test_without_a_graph_every_indirect_new_package_is_reported() -> None:
    base = _lock({"axios": {"version": "1.14.0"}}, {"axios": "^1.14.0"})
    head = _lock(
        {
            "axios": {"version": "1.14.1", "deps": {"plain-crypto-js": "4"}},
            "plain-crypto-js": {"version": "4.2.1"},
        },
        {"axios": "^1.14.0"},
    )
    blind = Lockfile(head.path, head.lockfile_version, head.name, head.packages, graph=False)
    (got,) = new_dependencies(blind, _added(base, head))
    assert got.package.name == "plain-crypto-js" and got.introduced_by is None


def test_v1_lockfile_requires_form_the_graph() -> None:
    doc = {
        "lockfileVersion": 1,
        "dependencies": {
            "axios": {
                "version": "1.14.1",
                "integrity": "sha512-" + "A" * 86 + "==",
                "requires": {"plain-crypto-js": "4"},
            },
            "plain-crypto-js": {"version": "4.2.1", "integrity": "sha512-" + "A" * 86 + "=="},
        },
    }
    head = parse_lockfile_bytes(json.dumps(doc).encode(), "package-lock.json")
    (got,) = new_dependencies(head, ["plain-crypto-js"])
    assert got.introduced_by is not None and got.introduced_by.name == "axios"
