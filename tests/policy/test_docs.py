"""Every TOML example in docs/policy.md is a valid policy (docs cannot drift from code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.policy import RULES, parse_policy

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
BLOCKS = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_docs_have_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_docs_example_loads(index: int) -> None:
    parse_policy("version = 1\n" + BLOCKS[index], f"docs/policy.md example {index}")


def test_docs_name_every_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule}`" in text, rule
