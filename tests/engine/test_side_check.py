"""SideCheck: the trusted-root schema check's own process fails closed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.engine import SideCheck
from auditor.errors import TrustError


def _passes(path: Path) -> None:
    path.write_text("checked")


def _rejects(path: Path) -> None:
    raise TrustError(f"invalid trusted root {path}: rejected")


def _dies(path: Path) -> None:
    os._exit(9)  # killed, out of memory, ...


class _Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("cannot pickle")


def _raises_unpicklable(path: Path) -> None:
    raise _Unpicklable("odd failure")


def test_a_passing_check_returns(tmp_path: Path) -> None:
    SideCheck(_passes, tmp_path / "f").result()
    assert (tmp_path / "f").read_text() == "checked"  # it really ran


def test_the_checks_error_is_raised_here(tmp_path: Path) -> None:
    with pytest.raises(TrustError, match="rejected"):
        SideCheck(_rejects, tmp_path).result()


def test_a_check_that_dies_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(TrustError, match="did not complete"):
        SideCheck(_dies, tmp_path).result()


def test_an_error_that_cannot_travel_keeps_its_message(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="odd failure"):
        SideCheck(_raises_unpicklable, tmp_path).result()


def test_cancel_stops_the_check(tmp_path: Path) -> None:
    check = SideCheck(_passes, tmp_path / "f")
    check.cancel()
    check.cancel()  # idempotent
