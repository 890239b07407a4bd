"""source-registry-mismatch: what npm installs is this package's registry tarball."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auditor.policy.rules.source_registry_mismatch import below_registry, below_registry_parsed
from tests.policy._helpers import (
    REGISTRY,
    run,
    verified,
)


def test_registry_mismatch_against_configured_registries() -> None:
    ok = verified(name="a")
    elsewhere = verified(name="b", resolved="https://mirror.example/b/-/b-1.0.0.tgz")
    sneaky = verified(name="c", resolved="http://127.0.0.1:4873.evil.example/c/-/c-1.0.0.tgz")
    fs = run("[source]\n", ok, elsewhere, sneaky, registries=(REGISTRY,))
    assert [(f.rule, f.package) for f in fs] == [
        ("source-registry-mismatch", "b"),
        ("source-registry-mismatch", "c"),
    ]
    assert fs[0].evidence == {
        "expected": [REGISTRY],
        "actual": "https://mirror.example/b/-/b-1.0.0.tgz",
    }
    text = '[source]\nregistries = ["https://mirror.example"]\n'
    assert [f.package for f in run(text, ok, elsewhere, sneaky, registries=(REGISTRY,))] == ["c"]
    assert run("[source]\n", elsewhere) == []  # no registry known: nothing to compare


_URL_PARTS = st.sampled_from(
    ["http://", "https://", "HTTP://", "127.0.0.1", "127.0.0.1:4873", "localhost", "h.test",
     ":80", ":443", ":8080", "/", "/npm/", "/../", "..", "@", "?", "#", "a", "b/", "%2f", "\\"]
)  # fmt: skip


@given(st.lists(_URL_PARTS, max_size=6), st.lists(_URL_PARTS, max_size=8))
def test_registry_prefix_fast_path_agrees_with_parsing(reg: list[str], tail: list[str]) -> None:
    registry = "".join(reg)
    for resolved in (registry + "".join(tail), "".join(tail)):
        fast = below_registry(resolved, registry)
        assert (fast is None) == (below_registry_parsed(resolved, registry) is None)
