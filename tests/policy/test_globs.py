"""Globs and selectors: linear-time matching, npm range semantics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.policy.globs import (
    GlobSyntaxError,
    Selector,
    is_prerelease,
    package_glob,
    split_spec,
    uri_glob,
)


@pytest.mark.parametrize(
    ("pattern", "text", "ok"),
    [
        ("https://github.com/acme/*", "https://github.com/acme/widget", True),
        ("https://github.com/acme/*", "https://github.com/acme/", True),
        ("https://github.com/acme/*", "https://github.com/acme/a/b", False),
        ("https://github.com/acme/**", "https://github.com/acme/a/b", True),
        ("https://github.com/acme*", "https://github.com/acme-evil", True),
        ("refs/tags/v?.*", "refs/tags/v1.2", True),
        ("refs/tags/v?.*", "refs/tags/v12.2", False),
        ("refs/tags/*", "refs/tags/a/b", False),
        ("a?c", "a/c", False),
        ("exact", "exact", True),
        ("exact", "exactly", False),
    ],
)
def test_uri_globs(pattern: str, text: str, ok: bool) -> None:
    assert uri_glob(pattern).match(text) is ok


def test_package_globs_cross_the_scope_slash() -> None:
    assert package_glob("*").match("@scope/name")
    assert package_glob("@acme/*").match("@acme/x")
    assert not package_glob("@acme/*").match("@acme-evil/x")
    assert package_glob("eslint-*").match("eslint-plugin-x")
    assert not package_glob("x").match(None)


@pytest.mark.parametrize("bad", ["", "a b", "a[b]", "{a,b}", "a\\b", "a***", "x" * 600, "a\x00"])
def test_bad_globs(bad: str) -> None:
    with pytest.raises(GlobSyntaxError):
        uri_glob(bad)


def test_fold_case_and_long_text() -> None:
    g = uri_glob("https://github.com/ACME/*", fold_case=True)
    assert g.match("https://github.com/acme/W")
    assert not uri_glob("*").match("a" * 5000)  # beyond MAX_TEXT: fail closed


def test_adversarial_pattern_terminates() -> None:
    assert not uri_glob("*a" * 40 + "b").match("a" * 4000)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab/*?", min_size=1, max_size=12), st.text(alphabet="ab/", max_size=12))
def test_matches_a_reference_regex(pattern: str, text: str) -> None:
    import re

    try:
        glob = uri_glob(pattern)
    except GlobSyntaxError:
        return
    rx = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            rx += ".*"
            i += 2
            continue
        c = pattern[i]
        rx += "[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c)
        i += 1
    assert glob.match(text) is bool(re.fullmatch(rx, text, re.S))


def test_split_spec() -> None:
    assert split_spec("@scope/name@^1") == ("@scope/name", "^1")
    assert split_spec("@scope/name") == ("@scope/name", None)
    assert split_spec("name@1 || 2") == ("name", "1 || 2")


def test_selectors_use_npm_ranges() -> None:
    s = Selector.parse("lodash@^4.17.0")
    assert s.matches("lodash", "4.17.21")
    assert not s.matches("lodash", "5.0.0")
    assert not s.matches("lodash", "4.18.0-beta.1")  # npm: prereleases need a prerelease range
    assert not s.matches("lodash", "not-a-version")
    assert not s.matches("lodash", None)
    assert Selector.parse("x@*").matches("x", "2.0.0-rc.1")
    assert Selector.parse("@acme/*@>=2 <3").matches("@acme/a", "2.5.0")
    with pytest.raises(GlobSyntaxError):
        Selector.parse("x@>>1")
    with pytest.raises(GlobSyntaxError):
        Selector.parse("x", require_range=True)


def test_is_prerelease() -> None:
    assert is_prerelease("1.0.0-beta.1")
    assert not is_prerelease("1.0.0")
    assert not is_prerelease("1.0.0+build.5")
    assert is_prerelease("garbage")
