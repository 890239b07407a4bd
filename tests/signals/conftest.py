"""Fixtures of the signals tests: the CLI tests' isolated home."""

from __future__ import annotations

from tests.cli.conftest import home

__all__ = ["home"]
