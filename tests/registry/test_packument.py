"""The bounded packument parse: only the versions asked for, same answer as a full decode,
memory about the size of the body even for a hostile document with millions of versions."""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.registry.packument import PackumentError, parse_packument

VERSION = st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(-[a-z]{1,4})?", fullmatch=True)
TEXT = st.text(max_size=30)


def _version_doc(version: str, junk: str, sig: bool) -> dict[str, Any]:
    dist: dict[str, Any] = {"integrity": f"sha512-{junk!r}", "tarball": "x"}
    if sig:
        dist["signatures"] = [{"keyid": "SHA256:k", "sig": junk}]
    return {
        "name": "p",
        "version": version,
        # Text that looks like version keys inside strings must not confuse the parse.
        "description": f'"{version}":{{"version":"{version}","dist":{{}}}} {junk}',
        "readme": junk * 3,
        "dist": dist,
        "_npmUser": {"name": junk, "trustedPublisher": {"id": "github"}},
    }


@settings(max_examples=80, deadline=None)
@given(
    versions=st.lists(VERSION, min_size=1, max_size=8, unique=True),
    junk=TEXT,
    sig=st.booleans(),
    data=st.data(),
)
def test_wanted_parse_equals_the_full_parse(
    versions: list[str], junk: str, sig: bool, data: st.DataObject
) -> None:
    doc = {
        "name": "p",
        "readme": junk,
        "versions": {v: _version_doc(v, junk, sig) for v in versions},
        "time": {
            "created": "2020-01-01T00:00:00Z",
            **dict.fromkeys(versions, "2021-02-03T04:05:06Z"),
        },
    }
    body = json.dumps(doc, indent=data.draw(st.sampled_from([None, 1]))).encode()
    wanted = set(data.draw(st.lists(st.sampled_from(versions), max_size=3)))
    wanted.add(data.draw(VERSION))  # perhaps not in the packument at all
    full = parse_packument("p", body, wanted, history=True)
    quick = parse_packument("p", body, wanted, history=False)
    assert not quick.history and full.history
    for v in wanted:
        assert quick.versions.get(v) == full.versions.get(v), v
    assert set(quick.versions) == wanted & set(versions)


def test_last_duplicate_wins_like_json_parse() -> None:
    body = (
        b'{"versions":{"1.0.0":{"version":"1.0.0","dist":{"integrity":"a"}},'
        b'"1.0.0":{"version":"1.0.0","dist":{"integrity":"b"}}},'
        b'"time":{"1.0.0":"2020-01-01T00:00:00Z"}}'
    )
    for history in (True, False):
        info = parse_packument("p", body, {"1.0.0"}, history=history).versions["1.0.0"]
        assert info.integrity == "b"


def test_not_a_packument() -> None:
    for bad in (b"<html>", b"[]", b'{"name":"x"}', b"\xff\xfe", b""):
        with pytest.raises(PackumentError):
            parse_packument("p", bad, {"1.0.0"}, history=False)


def test_abbreviated_document_has_signatures_but_no_time() -> None:
    body = json.dumps(
        {
            "name": "p",
            "modified": "2024-01-01T00:00:00Z",
            "versions": {"1.0.0": _version_doc("1.0.0", "x", True)},
        }
    ).encode()
    p = parse_packument("p", body, {"1.0.0"}, history=False, full=False)
    info = p.versions["1.0.0"]
    assert info.signatures == (("SHA256:k", "x"),) and info.published is None and not p.full


def _hostile(n: int) -> bytes:
    """A packument of n tiny versions (the review's 60 MiB / 4 million shape, scaled)."""
    parts = [b'{"name":"p","versions":{']
    parts.append(b",".join(b'"0.0.%d":{}' % i for i in range(n)))
    parts.append(b',"9.9.9":{"version":"9.9.9","dist":{"integrity":"sha512-x"}}},"time":{')
    parts.append(b",".join(b'"0.0.%d":"2020-01-01T00:00:00Z"' % i for i in range(n)))
    parts.append(b',"9.9.9":"2024-01-01T00:00:00Z"}}')
    return b"".join(parts)


def test_hostile_packument_memory_is_about_its_size() -> None:
    body = _hostile(400_000)  # 13 MiB, 400,000 versions
    tracemalloc.start()
    try:
        p = parse_packument("p", body, {"9.9.9", "0.0.7"}, history=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert set(p.versions) == {"9.9.9", "0.0.7"}
    assert p.versions["9.9.9"].published is not None
    # The text copy of the body and the decoded objects of two versions; no per-version
    # Python objects (a full decode of this document takes over 200 MB).
    assert peak < 2.5 * len(body), (peak, len(body))
