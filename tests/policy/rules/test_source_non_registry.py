"""source-non-registry: git, remote and file dependencies, and the allow lists."""

from __future__ import annotations

from auditor.models import SourceKind, Status
from tests.policy._helpers import (
    result,
    run,
)


def test_source_non_registry_and_allow_lists() -> None:
    git = result(
        Status.NOT_APPLICABLE,
        name="g",
        source=SourceKind.GIT,
        resolved="git+https://github.com/acme/g.git#abc",
    )
    tarball = result(
        Status.NOT_APPLICABLE,
        name="t",
        source=SourceKind.REMOTE,
        resolved="https://cdn.example/t.tgz",
    )
    local = result(
        Status.NOT_APPLICABLE,
        name="f",
        source=SourceKind.FILE,
        resolved="file:../f",
        integrity=None,
    )
    link = result(
        Status.NOT_APPLICABLE,
        name="w",
        source=SourceKind.LINK,
        resolved="packages/w",
        integrity=None,
    )
    fs = run("[source]\n", git, tarball, local, link)
    assert [(f.rule, f.package) for f in fs] == [
        ("source-non-registry", "f"),
        ("source-non-registry", "g"),
        ("source-non-registry", "t"),
    ]
    text = '[source]\nallow_packages = ["f"]\nallow_resolved = ["git+https://github.com/acme/**"]\n'
    assert [f.package for f in run(text, git, tarball, local, link)] == ["t"]
