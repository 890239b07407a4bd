"""The parser's one performance trick, the cyclic collector paused while a lockfile is
decoded (`make bench`, suite parse, prints its worth), gives the same `Lockfile` as the plain
path and leaves the collector as it found it."""

from __future__ import annotations

import gc

import pytest

from auditor.errors import LockfileError
from auditor.lockfile import parse_lockfile_bytes
from auditor.lockfile.parser import _parse
from tests.lockfile.synth import big_lockfile


@pytest.mark.parametrize("seed", [1, 2])
def test_paused_collector_parses_like_the_plain_path(seed: int) -> None:
    data = big_lockfile(300, seed=seed)
    assert parse_lockfile_bytes(data, "x.json") == _parse(data, "x.json")


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(enabled: bool) -> None:
    data = big_lockfile(20)
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        parse_lockfile_bytes(data, "x.json")
        assert gc.isenabled() is enabled
        with pytest.raises(LockfileError):
            parse_lockfile_bytes(b"{not json", "x.json")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
