"""publish-burst: `[publish_burst] versions` within `within_minutes`, from packument times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auditor.errors import PolicyError
from auditor.models import Packument, Status, VersionInfo
from tests.policy._helpers import NOW, policy, result, rules, run

BURST = "[publish_burst]\nversions = 3\nwithin_minutes = 60\n"


def _pk(*minutes: float) -> Packument:
    versions = {
        f"1.0.{i}": VersionInfo(f"1.0.{i}", published=NOW - timedelta(minutes=m))
        for i, m in enumerate(minutes)
    }
    return Packument("dep", versions)


def test_burst_positive_and_negative() -> None:
    hit = result(Status.UNATTESTED, version="1.0.2", packument=_pk(50, 25, 0))
    fs = run(BURST, hit)
    assert rules(fs) == ["publish-burst"]
    assert fs[0].evidence["actual"] == 3
    listed = fs[0].evidence["versions"]
    assert isinstance(listed, list)
    assert [v["version"] for v in listed] == ["1.0.0", "1.0.1", "1.0.2"]
    spread = result(Status.UNATTESTED, version="1.0.2", packument=_pk(600, 300, 0))
    assert run(BURST, spread) == []
    assert rules(run("[publish_burst]\nwithin_minutes = 700\n", spread)) == ["publish-burst"]
    assert run('[publish_burst]\nexclude = ["dep"]\n', hit) == []


def test_defaults_and_level() -> None:
    p = policy("[publish_burst]\n")
    assert (p.publish_burst.versions, p.publish_burst.within_minutes) == (3, 60.0)
    assert p.level("publish-burst").value == "warning" and p.needs_packuments
    assert policy("").level("publish-burst").value == "off"


def test_without_packument_is_incomplete() -> None:
    fs = run(BURST, result(Status.UNATTESTED))
    assert rules(fs) == ["incomplete"] and fs[0].evidence["rule"] == "publish-burst"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[publish_burst]\nversions = 1\n", "publish_burst.versions: must be between 2"),
        ("[publish_burst]\nversions = 2.5\n", "publish_burst.versions: expected an integer"),
        ("[publish_burst]\nwithin_minutes = 0\n", "publish_burst.within_minutes: must be between"),
        ("[publish_burst]\nversion = 3\n", "did you mean 'versions'"),
    ],
)
def test_bad_section_is_a_policy_error(text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy(text)
