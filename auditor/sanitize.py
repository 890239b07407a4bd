"""Escapers for every sink text leaves the program through: one function per interpreter.

Package names, versions, signer identities, reasons, URLs and error messages come from the
lockfile, the registry and certificates: attacker text.  Each sink interprets something:

* terminal (stderr, the text report): C0/C1 controls (ANSI escapes), bidi overrides and
  invisible characters.  `terminal` shows them as visible `\\xNN` / `\\uNNNN` escapes.
* GitHub Actions log (anything on stdout or stderr in a workflow): the runner executes a
  line that starts with `::name ...::` after leading whitespace, and `##[name ...]`
  anywhere in a line (forged annotations, `add-mask`, `stop-commands`).  `log_lines`
  breaks both with the same visible escapes; `console` is `terminal` then `log_lines`, for
  one-line messages.
* Markdown (GitHub's renderer): links (`www.`, bare URLs, e-mail addresses), `@mentions`,
  HTML, tables, emphasis, math.  `markdown_code` renders a value inside `<code>` with the
  ASCII punctuation Markdown, HTML or the Actions log interpret as HTML entities: the
  rendered text is the value itself (readable, copyable), GitHub links and mentions nothing
  inside `<code>`, and the raw Markdown holds no `##[` or `::` for the Actions log either.
* JSON and SARIF files or stdout: `json_text` keeps the values but writes `[` after `##`
  as `\\u005b`, so a report printed to a workflow log runs nothing.  `sarif_message`
  escapes the brackets of SARIF's embedded-link syntax (`[text](id)`) in message strings.

Escapes never insert invisible characters: what a reader copies is what was there.

Secrets: values the configuration took from the environment (`${VAR}` in an npmrc) and
credentials are registered with `mask`; every escaper writes them as `***`, whichever
message or report they would have reached (as the Actions runner does with `add-mask`).
"""

from __future__ import annotations

import json
import re
import unicodedata

# C0/C1 controls (terminal escapes), bidi overrides and invisible characters (Trojan Source
# style spoofing), line/paragraph separators, and lone surrogates (not encodable as UTF-8).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)
_WHITESPACE_CONTROLS = {"\t": " ", "\n": " ", "\r": " "}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _WHITESPACE_CONTROLS:
        return _WHITESPACE_CONTROLS[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# Shorter values are not secrets worth hiding (and masking "1" everywhere would be noise).
_MIN_SECRET = 6
_secrets: set[str] = set()


def mask(secret: str) -> None:
    """Never print `secret`: every escaper below writes it as `***` from now on."""
    if len(secret) >= _MIN_SECRET:
        _secrets.add(secret)


def forget_masks() -> None:
    """Start a new command: the secrets of the last one's configuration no longer apply."""
    _secrets.clear()


def _masked(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):  # longest first: no partial leak
        if secret in text:
            text = text.replace(secret, "***")
    return text


def terminal(value: object) -> str:
    """One printable line: controls and spoofing characters shown as escapes."""
    text = str(value)
    return _UNSAFE.sub(_escape, _masked(text) if _secrets else text)


def _runner_space(char: str) -> bool:
    """Whitespace as .NET's `TrimStart` sees it (the runner's parser), or wider."""
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp") or char == "\u180e"


def _log_line(line: str) -> str:
    if "##[" in line:
        line = line.replace("##[", "#\\x23[")
    start = 0
    while start < len(line) and _runner_space(line[start]):
        start += 1
    if line.startswith("::", start):
        line = line[:start] + "\\x3a" + line[start + 1 :]
    return line


_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")  # where the runner's line reader splits


def log_lines(text: str) -> str:
    """`text` (one or more lines) with no line the GitHub Actions runner takes as a command."""
    if "::" not in text and "##[" not in text:
        return text  # the common case: nothing to look at line by line
    parts = _LINE_BREAK.split(text)
    # Even indexes are lines, odd ones the breaks between them (kept as they were).
    return "".join(part if i % 2 else _log_line(part) for i, part in enumerate(parts))


def console(message: object) -> str:
    """A message for stderr: one printable line that is no workflow command."""
    return log_lines(terminal(message))


# Punctuation with no meaning inside a Markdown line; everything else becomes an entity.
_MARKDOWN_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./,;()+=?%{}^"
)
_WWW = re.compile(r"(?<=www)\.", re.IGNORECASE)  # `www.` would be linked


def _entity(char: str) -> str:
    if char in _MARKDOWN_SAFE or ord(char) > 0x7E:
        return char
    return f"&#{ord(char)};"


def markdown_code(value: object, *, limit: int | None = None) -> str:
    """`value` as inert inline Markdown: `<code>`, meaningful punctuation as entities.

    Inside `<code>` GitHub links no URL, `www.` text or mention and renders no emoji; the
    entities keep GitHub's Markdown parser from seeing a link, a table cell end, emphasis
    or HTML in the raw text.  `limit` cuts the (unescaped) text, marking the cut with `…`.
    """
    text = terminal(value)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    escaped = "".join(_entity(ch) for ch in text)
    return "<code>" + _WWW.sub("&#46;", escaped) + "</code>"


def json_text(serialized: str) -> str:
    """Serialized JSON with `##[` written as `##\\u005b` (the same value for any parser).

    `##[` can only occur inside a JSON string, and `\\u005b` is `[` there.  No JSON line
    starts with `::`: keys and values are quoted.
    """
    if _secrets:  # a secret's JSON form, as json.dumps(ensure_ascii=True) writes it
        for secret in _secrets:
            serialized = serialized.replace(json.dumps(secret)[1:-1], "***")
    return serialized.replace("##[", "##\\u005b")


def sarif_message(value: object) -> str:
    """A SARIF `message.text`: one printable line, brackets escaped as SARIF §3.11.5 says
    (`\\[`, `\\]`), so no text can become an embedded link to a location."""
    return re.sub(r"\\(?=[\[\]])|[\[\]]", lambda m: "\\" + m.group(), terminal(value))
