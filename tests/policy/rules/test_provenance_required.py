"""provenance-required: scopes, globs, excludes and identity blocks."""

from __future__ import annotations

from auditor.models import Level, Status
from tests.policy._helpers import (
    result,
    rules,
    run,
    verified,
)


def test_provenance_required_scopes() -> None:
    prod_direct = result(Status.UNATTESTED, name="a")
    dev = result(Status.UNATTESTED, name="b", dev=True, direct=False)
    transitive = result(Status.PUBLISH_ONLY, name="c", direct=False)
    good = verified(name="d")
    all_ = [prod_direct, dev, transitive, good]

    def failing(require: str) -> list[str | None]:
        fs = run(f'[provenance]\nrequire = "{require}"\n', *all_)
        assert set(rules(fs)) <= {"provenance-required"}
        return [f.package for f in fs]

    assert failing("all") == ["a", "b", "c"]
    assert failing("production") == ["a", "c"]
    assert failing("direct") == ["a"]
    assert failing("none") == []


def test_provenance_required_by_glob_exclude_and_warning_level() -> None:
    text = (
        '[rules]\nprovenance-required = "warning"\n'
        '[provenance]\npackages = ["@acme/*"]\nexclude = ["@acme/legacy@<2"]\n'
    )
    fs = run(
        text,
        result(Status.UNATTESTED, name="@acme/a"),
        result(Status.UNATTESTED, name="@acme/legacy", version="1.0.0"),
        result(Status.UNATTESTED, name="@acme/legacy", version="2.0.0"),
        result(Status.UNATTESTED, name="other"),
    )
    assert [(f.package, f.version, f.level) for f in fs] == [
        ("@acme/a", "1.0.0", Level.WARNING),
        ("@acme/legacy", "2.0.0", Level.WARNING),
    ]
    assert fs[0].evidence["actual"] == "unattested"


def test_identity_rules_skip_unverified_unless_require_provenance() -> None:
    text = '[[identity]]\npackages = ["@acme/*"]\nrepositories = ["https://github.com/acme/*"]\n'
    unattested = result(Status.UNATTESTED, name="@acme/x")
    assert run(text, unattested) == []
    fs = run(text + "require_provenance = true\n", unattested)
    assert rules(fs) == ["provenance-required"]
    assert "identity[0]" in fs[0].message
