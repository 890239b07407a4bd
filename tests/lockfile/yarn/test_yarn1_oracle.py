"""Yarn 1's own lockfile reader as the oracle for the grammar (marker `clients`).

`yarn1_parse.js` runs the reader bundled in Yarn 1.22's cli.js, without its YAML fallback
and failing where Yarn would stop reading early (`--strict`): exactly the files this parser
accepts.  Every text either parses to the same object on both sides or is refused by both;
the one deliberate difference is a repeated key (Yarn keeps the last, this parser refuses).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import LockfileError
from auditor.lockfile.formats.yarn_classic import read_document

from . import clients
from .conftest import CLASSIC

pytestmark = pytest.mark.clients
HARNESS = Path(__file__).with_name("yarn1_parse.js")
CLI_JS = clients.YARN1.parent.parent / "lib" / "cli.js"


def _oracle(texts: list[str]) -> list[dict[str, object]]:
    if shutil.which("node") is None or not CLI_JS.is_file():
        pytest.skip(f"needs node and Yarn 1 ({CLI_JS})")
    out = subprocess.run(
        ["node", str(HARNESS), str(CLI_JS), "--strict"],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: list[dict[str, object]] = json.loads(out.stdout)
    return result


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _compare(texts: list[str]) -> None:
    for text, theirs in zip(texts, _oracle(texts), strict=True):
        try:
            doc, _, _ = read_document(text, "yarn.lock")
            mine: object = _plain(doc)
        except LockfileError as exc:
            if "duplicate key" in str(exc) and theirs["ok"]:
                continue
            assert not theirs["ok"] or theirs["type"] != "success", (text, theirs, str(exc))
            continue
        assert theirs["ok"] and theirs["type"] == "success", (text, theirs, mine)
        assert theirs["object"] == mine, text


FRAGMENTS = [
    "a",
    "b@1",
    "@s/x",
    '"@s/x@^1"',
    '"x y"',
    ":",
    ",",
    " ",
    "  ",
    "   ",
    "    ",
    "\n",
    "\r\n",
    "\r",
    "# c",
    "# yarn lockfile v1",
    "# yarn lockfile v2",
    "true",
    "false",
    "trueish",
    "12",
    '"\\""',
    '"\\\\"',
    '"a\\\\\\"b"',
    "\\",
    '"',
    "version",
    '"1.0.0"',
    "\t",
    "-x",
    "/p",
    ".q",
    "<<<<<<< a",
    "=======",
    ">>>>>>> b",
    '"\\u00e9"',
    "é",
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join), min_size=60, max_size=60
    )
)
def test_grammar_agrees_with_yarn(texts: list[str]) -> None:
    if os.environ.get("AUDITOR_CLIENTS") != "1":
        pytest.skip("hundreds of texts through node: make test-clients")
    _compare(texts)


def test_fixtures_agree_with_yarn() -> None:
    _compare([(CLASSIC / p / "yarn.lock").read_text() for p in ("basic", "monorepo", "sources")])
