"""Fuzz target: the lockfile parser (hypothesis, run in rounds for a time budget).

Properties: any bytes, any JSON and lockfile-shaped JSON only ever raise `LockfileError`
(one line); the position-tracking decoder accepts exactly what `json.loads` accepts and
decodes the same value; generated lockfiles parse back to their model.

    python -m tests.fuzz --seconds 60      (make fuzz)
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.lockfile import parse_lockfile_bytes
from tests.lockfile.synth import (
    JSON,
    LOCKFILE_LIKE,
    Model,
    check_only_lockfile_error,
    lockfile_models,
)

_SEEDS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "lockfiles").glob("*.json"))


def _targets() -> list[Callable[[], None]]:
    @given(st.binary(max_size=512))
    def raw_bytes(data: bytes) -> None:
        check_only_lockfile_error(data)

    @given(JSON)
    def any_json(value: object) -> None:
        check_only_lockfile_error(json.dumps(value).encode())

    @given(LOCKFILE_LIKE)
    def lockfile_like(value: object) -> None:
        check_only_lockfile_error(json.dumps(value).encode())

    @given(st.sampled_from(_SEEDS), st.data())
    def mutated_fixtures(seed: Path, data: st.DataObject) -> None:
        raw = bytearray(seed.read_bytes())
        for _ in range(data.draw(st.integers(1, 4))):
            pos = data.draw(st.integers(0, len(raw) - 1))
            op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
            if op == "flip":
                raw[pos] = data.draw(st.integers(0, 255))
            elif op == "delete":
                del raw[pos : pos + data.draw(st.integers(1, 16))]
            elif op == "insert":
                raw[pos:pos] = data.draw(st.sampled_from([b"{", b"}", b'"', b",", b"[", b"\\"]))
            else:
                del raw[pos:]
            if not raw:
                break
        check_only_lockfile_error(bytes(raw))

    @given(lockfile_models())
    def round_trip(model: Model) -> None:
        lf = parse_lockfile_bytes(json.dumps(model.doc, indent=2).encode(), "gen.json")
        assert [dataclasses.replace(p, line=0) for p in lf.packages] == model.expected

    return [raw_bytes, any_json, lockfile_like, mutated_fixtures, round_trip]


def fuzz(seconds: float) -> None:
    """Run every target in rounds of 200 examples until `seconds` have passed."""
    config = settings(
        max_examples=200,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    targets = [config(t) for t in _targets()]
    end = time.monotonic() + seconds
    rounds = 0
    while True:
        for target in targets:
            target()
        rounds += 1
        if time.monotonic() >= end:
            break
    print(f"lockfile fuzz: {rounds} rounds x {len(targets)} targets x 200 examples, no failure")
