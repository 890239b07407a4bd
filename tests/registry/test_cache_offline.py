"""Response cache, offline directory and proxy resolution units."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import UsageError
from auditor.registry.cache import (
    ATTESTATIONS,
    PACKUMENT,
    ResponseCache,
    default_cache_dir,
    default_key_path,
    load_cache_key,
)
from auditor.registry.client import env_proxy
from auditor.registry.offline import (
    OfflineDirectory,
    OfflineMissing,
    UnsafeName,
    attestations_path,
    file_stem,
    packument_path,
)
from auditor.registry.packument import PackumentError, parse_packument
from tests.support.offline import empty_offline, record

REG = "http://127.0.0.1:4873/"
KEY = bytes(range(32))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_round_trip_and_freshness(tmp_path: Path) -> None:
    clock = Clock()
    cache = ResponseCache(tmp_path, key=KEY, packument_ttl=30, clock=clock)
    cache.put(REG, ATTESTATIONS, "a@1.0.0", 200, b"body", None)
    cache.put(REG, ATTESTATIONS, "b@1.0.0", 404, b"", None)
    assert cache.get(REG, ATTESTATIONS, "b@1.0.0") is None  # negative answers are not kept
    cache.put(REG, PACKUMENT, "a", 200, b"{}", '"etag"')
    clock.now += 45
    entry, fresh = cache.lookup(REG, ATTESTATIONS, "a@1.0.0")
    assert entry is not None and entry.body == b"body" and fresh
    entry, fresh = cache.lookup(REG, PACKUMENT, "a")
    assert entry is not None and entry.etag == '"etag"' and not fresh  # revalidate
    clock.now += 3600 * 24 * 365
    assert cache.lookup(REG, ATTESTATIONS, "a@1.0.0")[1]  # immutable
    # Keys are per registry.
    assert cache.get("http://127.0.0.1:9/", ATTESTATIONS, "a@1.0.0") is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],
        lambda b: b + b"x",
        lambda b: b.replace(b"body", b"bodY"),
        lambda b: b"garbage",
        lambda b: b"",
        lambda b: b.replace(b'"status":200', b'"status":500'),
    ],
)
def test_corrupt_entries_are_ignored(tmp_path: Path, damage: object) -> None:
    cache = ResponseCache(tmp_path, key=KEY)
    cache.put(REG, ATTESTATIONS, "a@1.0.0", 200, b"body", None)
    (path,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert cache.get(REG, ATTESTATIONS, "a@1.0.0") is None


@pytest.mark.parametrize("size", [0, 1, 65_000, 65_536, 200_000, 3_000_000])
def test_bodies_of_any_size_round_trip_and_truncation_is_caught(tmp_path: Path, size: int) -> None:
    # Bodies below, at and beyond the first read of an entry (64 KiB).
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    cache = ResponseCache(tmp_path, key=KEY)
    cache.put(REG, PACKUMENT, "big", 200, body, '"e"')
    entry = cache.get(REG, PACKUMENT, "big")
    assert entry is not None and entry.body == body and entry.etag == '"e"'
    (path,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    raw = path.read_bytes()
    if size:
        path.write_bytes(raw[:-1])
        assert cache.get(REG, PACKUMENT, "big") is None
    path.write_bytes(raw + b"\n")
    assert cache.get(REG, PACKUMENT, "big") is None


def test_an_oversized_header_is_ignored(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, key=KEY)
    cache.put(REG, PACKUMENT, "p", 200, b"{}", "x" * 5000)  # header > 4 KiB
    assert cache.get(REG, PACKUMENT, "p") is None


def test_an_entry_larger_than_any_fetch_is_never_read_back(tmp_path: Path) -> None:
    # The client accepts at most 64 MiB (a packument); an entry beyond that, even one our own
    # key authenticates, is refused on its size, so reading the cache back never costs more
    # memory than a fresh fetch would.  (Before: read whole and returned.)
    cache = ResponseCache(tmp_path, key=KEY)
    cache.put(REG, PACKUMENT, "p", 200, b"x" * (64 * 2**20 + 1), None)
    assert cache.get(REG, PACKUMENT, "p") is None
    cache.put(REG, PACKUMENT, "q", 200, b"x" * (64 * 2**20), None)
    entry = cache.get(REG, PACKUMENT, "q")
    assert entry is not None and len(entry.body) == 64 * 2**20


def test_unwritable_cache_is_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "v2").write_text("a file where a directory should be")
    cache = ResponseCache(tmp_path, key=KEY)
    cache.put(REG, ATTESTATIONS, "a@1.0.0", 200, b"body", None)
    assert cache.errors == 1 and cache.get(REG, ATTESTATIONS, "a@1.0.0") is None


def test_no_temp_files_left(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, key=KEY)
    for i in range(5):
        cache.put(REG, ATTESTATIONS, f"a@{i}", 200, b"x" * i, None)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]  # temp files


def test_default_cache_dir() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/x/c", "HOME": "/h"}) == Path("/x/c/auditor")
    assert default_cache_dir({"HOME": "/h"}) == Path("/h/.cache/auditor")
    assert default_cache_dir({"XDG_CACHE_HOME": "rel", "HOME": "/h"}) == Path("/h/.cache/auditor")


def test_entries_under_another_key_or_moved_to_another_name_are_ignored(tmp_path: Path) -> None:
    """The format is public and names are predictable: only our key makes an entry count."""
    ours = ResponseCache(tmp_path, key=KEY)
    theirs = ResponseCache(tmp_path, key=b"\x01" * 32)
    theirs.put(REG, ATTESTATIONS, "a@1.0.0", 200, b"planted", None)
    assert ours.get(REG, ATTESTATIONS, "a@1.0.0") is None
    assert theirs.get(REG, ATTESTATIONS, "a@1.0.0") is not None
    ours.put(REG, ATTESTATIONS, "b@1.0.0", 200, b"genuine b", None)
    src = ours._path(ours.key(REG, ATTESTATIONS, "b@1.0.0"))
    dst = Path(ours._path(ours.key(REG, ATTESTATIONS, "a@1.0.0")))
    dst.write_bytes(Path(src).read_bytes())  # an authentic entry, replayed for another package
    assert ours.get(REG, ATTESTATIONS, "a@1.0.0") is None
    # Editing an authenticated header (a fresher time, another status) breaks the MAC.
    raw = Path(src).read_bytes()
    stored = str(ours.get(REG, ATTESTATIONS, "b@1.0.0").stored_at).encode()  # type: ignore[union-attr]
    Path(src).write_bytes(raw.replace(stored, b"9" + stored))
    assert ours.get(REG, ATTESTATIONS, "b@1.0.0") is None


def test_cache_key_is_created_private_outside_the_cache_and_reused(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "h"), "XDG_CACHE_HOME": str(tmp_path / "c")}
    path = default_key_path(env)
    assert path == tmp_path / "h" / ".local" / "share" / "auditor" / "cache-key"
    assert default_key_path({"XDG_DATA_HOME": "/d", "HOME": "/h"}) == Path("/d/auditor/cache-key")
    key = load_cache_key(path)
    assert key is not None and len(key) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_cache_key(path) == key
    path.chmod(0o644)  # readable by others: not a secret any more
    assert load_cache_key(path) is None
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere")
    assert load_cache_key(path) is None
    path.unlink()
    os.mkfifo(path, 0o600)  # never blocks
    assert load_cache_key(path) is None


def test_offline_layout(tmp_path: Path) -> None:
    assert attestations_path(tmp_path, "@s/x", "1.0.0") == (
        tmp_path / "attestations" / "@s%2fx@1.0.0.json"
    )
    assert packument_path(tmp_path, "@s/x") == tmp_path / "packuments" / "@s%2fx.json"
    empty_offline(tmp_path)
    record(tmp_path, "attestations", "x@1.0.0", b"{}")
    record(tmp_path, "attestations", "x@2.0.0", None)
    d = OfflineDirectory(tmp_path)
    assert d.attestations("x", "1.0.0", 100) == b"{}"
    assert d.attestations("x", "2.0.0", 100) is None  # recorded 404
    with pytest.raises(OfflineMissing):
        d.attestations("x", "3.0.0", 100)  # not recorded: never a 404
    with pytest.raises(OSError):
        d.attestations("x", "1.0.0", 1)
    with pytest.raises(UsageError):
        OfflineDirectory(tmp_path / "missing")


@pytest.mark.parametrize(
    "name", ["../x", "a/b", "@s/../x", "@s/..", "..", ".hidden", "x\x00", "a\\b", "", "@/x"]
)
def test_unsafe_names(name: str) -> None:
    with pytest.raises(UnsafeName):
        file_stem(name)


@pytest.mark.parametrize("version", ["../1", "1/2", "", ".1", "1 2"])
def test_unsafe_versions(tmp_path: Path, version: str) -> None:
    with pytest.raises(UnsafeName):
        attestations_path(tmp_path, "x", version)


def test_env_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    assert env_proxy("https://reg.example.test/x") == (None, None)
    monkeypatch.setenv("https_proxy", "http://user:pw@proxy.example.test:3128")
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    proxy, headers = env_proxy("https://reg.example.test/x")
    assert proxy == "http://proxy.example.test:3128"  # credentials moved out of the URL
    assert headers == {"Proxy-Authorization": "Basic dXNlcjpwdw=="}
    assert env_proxy("http://127.0.0.1:4873/x") == (None, None)


def test_packument_parsing() -> None:
    body = (
        b'{"name":"x","time":{"1.0.0":"2024-01-02T03:04:05.000Z"},"versions":{'
        b'"1.0.0":{"dist":{"integrity":"sha512-x","attestations":{"url":"u",'
        b'"provenance":{"predicateType":"p"}}},"_npmUser":{"trustedPublisher":{"id":"github"}},'
        b'"scripts":{"postinstall":"x"}},"2.0.0":{"dist":{}},"bad":3}}'
    )
    p = parse_packument("x", body)
    v1, v2 = p.versions["1.0.0"], p.versions["2.0.0"]
    assert v1.provenance_advertised and v1.trusted_publisher
    assert v1.published is not None and v1.published.year == 2024
    assert not v2.attestations_advertised and v2.published is None
    assert "bad" not in p.versions
    for bad in (b"[]", b"{", b'{"versions": 1}', b"<html>"):
        with pytest.raises(PackumentError):
            parse_packument("x", bad)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=70_000),
    etag=st.one_of(st.none(), st.text(max_size=50)),
    cut=st.integers(min_value=0, max_value=80_000),
    junk=st.binary(max_size=64),
)
def test_any_cache_file_reads_back_or_is_ignored(
    tmp_path: Path, body: bytes, etag: str | None, cut: int, junk: bytes
) -> None:
    """A cache file is untrusted input: whatever it holds, `get` returns the entry that was
    stored or None, and never raises."""
    root = tmp_path / "c"
    cache = ResponseCache(root, key=KEY)
    cache.put(REG, PACKUMENT, "p", 200, body, etag)
    entry = cache.get(REG, PACKUMENT, "p")
    assert entry is not None and entry.body == body and entry.etag == etag
    (path,) = [p for p in root.rglob("*") if p.is_file()]
    raw = path.read_bytes()
    path.write_bytes(raw[:cut] + junk)
    entry = cache.get(REG, PACKUMENT, "p")
    assert entry is None or (entry.body == body and raw[:cut] + junk == raw)
