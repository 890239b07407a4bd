"""A short, deterministic run of the response fuzz targets (the long run is `make fuzz`)."""

from __future__ import annotations

from tests.fuzz.response import run_targets


def test_response_fuzz_targets_short() -> None:
    run_targets(examples=40)
