"""The sink escapers: properties over any text."""

from __future__ import annotations

import html
import json
import re

from hypothesis import given
from hypothesis import strategies as st

from auditor.sanitize import console, json_text, log_lines, markdown_code, sarif_message, terminal

# Bias the alphabet towards what the sinks interpret.
SPECIAL = ":#[]` |\\<>&@w.\n\r\t \u00a0\u2003\x1b\x07a1"
TEXT = st.text(alphabet=st.sampled_from(list(SPECIAL)) | st.characters(), max_size=60)
V2 = re.compile(r"^\s*::", re.MULTILINE)


@given(TEXT)
def test_no_line_is_a_runner_command(text: str) -> None:
    for out in (log_lines(text), console(text), log_lines(terminal(text))):
        assert "##[" not in out
        assert not V2.search(out)
        lines = out.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        assert not any(line.lstrip().startswith("::") for line in lines)


@given(TEXT)
def test_console_is_one_printable_line(text: str) -> None:
    out = console(text)
    assert "\n" not in out and "\x1b" not in out
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", out)


@given(TEXT)
def test_markdown_code_renders_as_the_value(text: str) -> None:
    out = markdown_code(text)
    assert out.startswith("<code>") and out.endswith("</code>")
    inner = out[len("<code>") : -len("</code>")]
    assert not re.search(r"[<>`|\[\]*_~\\#:@!$&\"']", inner.replace("&#", "").replace(";", ""))
    assert "www." not in inner.lower() and "##[" not in inner
    assert html.unescape(inner) == terminal(text)  # what a reader sees and copies


@given(st.text(max_size=60))
def test_json_text_keeps_the_value(text: str) -> None:
    serialized = json.dumps({"v": text}, ensure_ascii=True)
    out = json_text(serialized)
    assert "##[" not in out and json.loads(out) == {"v": text}


@given(TEXT)
def test_sarif_message_brackets_are_escaped(text: str) -> None:
    out = sarif_message(text)
    assert not re.search(r"(?<!\\)(?:\\\\)*[\[\]]", out.replace("\\[", "").replace("\\]", ""))
    unescaped = re.sub(r"\\([\[\]\\])", r"\1", out)
    assert unescaped.replace("\\", "") == terminal(text).replace("\\", "")
