"""yarn.lock v1 (Yarn 1, "classic") -> `Lockfile`.  Raises only `LockfileError`.

The format is Yarn's own, not YAML.  This module follows Yarn 1.22's reader
(yarnpkg/yarn `src/lockfile/parse.js`) token for token; where Yarn would read a file other
than as it looks, the file is refused (exit 2, `file:line: what`) instead of guessed:

* Tokens: newline (`\\n`, `\\r\\n` or a lone `\\r`), `#` comment to the next `\\n`, spaces
  (after a newline: an indent of two spaces per level, an odd count is an error), a string
  in double quotes (JSON), digits (a number), `true`/`false` (even as a prefix), `:`, `,`,
  and an unquoted string starting with a letter, `/`, `.` or `-` running to the next `:`,
  space, newline or `,`.  Anything else is an error.
* An entry is `key[, key...]:` followed by an indented block of `field value` (or
  `field: value`) lines and nested blocks.  Yarn keeps the last of a repeated key; this
  reader refuses the file (a reviewer reads the first).
* Yarn stops reading, without a word, at an indented line deeper than the block it is in,
  and ignores the rest of the file; it reads a file its grammar rejects as YAML, and a file
  with merge-conflict markers as the merge of both sides.  All three are refused here.
* `# yarn lockfile vN` with N > 1 is refused, as Yarn refuses it.  A file with Berry's
  `__metadata` is not this format (Yarn 1 reads it as an empty lockfile).

What Yarn installs from an entry (`src/package-request.js`, `src/fetchers/tarball-fetcher.js`,
`src/lockfile/index.js`):

* With `resolved`, the URL before `#` is fetched (git when it matches `git[+proto]://`);
  the text after the first `#` is a hex sha1 that Yarn always checks.  Without `resolved`
  Yarn resolves the key's range again: nothing in the lockfile pins the bytes
  (`MISSING_INTEGRITY`), and a registry entry is audited as its `version`.
* `integrity` is read by Yarn's own ssri 5 (not npm's): a token is `alg-digest[?opts]` with
  `alg` any text without `-`, in any case (`SHA512-…` is sha512), kept when Node can hash
  with it; Yarn checks the first algorithm of highest priority and accepts any digest of it.
  Without `integrity`, the `#sha1` is all Yarn checks (`WEAK_INTEGRITY`).  A non-empty
  `integrity` with no hash Node knows makes Yarn refuse the package (`INTEGRITY_UNCHECKED`).
  `Package.integrity` is the SRI string of what Yarn checks, written so that npm's reading
  (`check_integrity`, which the verifier applies) is Yarn's reading: as written when the two
  agree, else the hashes of the algorithm Yarn checks.
* A key `alias@npm:real@range` installs `real` under the name `alias`.  Keys of one entry
  that name different real packages, or a `name` field naming another, are refused.

Flags and workspaces come from the project's manifests (`yarn_project`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from auditor.errors import LockfileError
from auditor.lockfile.formats.base import EntryError, LockfileFormat, every_line, text_head
from auditor.lockfile.formats.yarn_project import (
    Node,
    Project,
    build_packages,
    compute_flags,
    no_gc,
    project_of,
)
from auditor.lockfile.sources import (
    classify_resolved,
    is_git,
    is_registry_spec,
    is_semver,
    valid_name,
)
from auditor.models import ONE_SHA512, IntegrityCheck, Lockfile, SourceKind, check_integrity

NAME = "yarn-classic"
FILE_NAMES = ("yarn.lock",)
MAX_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 64  # Yarn writes three levels; deeper nesting is refused, not recursed into
SUPPORTED_VERSION = 1

# Token kinds.
_NL, _INDENT, _STR, _NUM, _BOOL, _COLON, _COMMA, _EOF = range(8)
_KIND_NAMES = ("newline", "indent", "string", "number", "boolean", "':'", "','", "end of file")

_TOKEN = re.compile(
    r"(?P<nl>\r\n|\n|\r)"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<sp> +)"
    r'|(?P<quote>")'
    r"|(?P<num>[0-9]+)"
    r"|(?P<true>true)"
    r"|(?P<false>false)"
    r"|(?P<colon>:)"
    r"|(?P<comma>,)"
    r"|(?P<ident>[a-zA-Z/.-][^: \n\r,]*)"
)
# A quoted string without escapes or control characters: its JSON value is its body.
_SIMPLE_STRING = re.compile(r'"([^"\\\x00-\x1f]*)"')
# JavaScript's String.prototype.trim() whitespace.
_JS_TRIM = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_VERSION_COMMENT = re.compile(r"yarn lockfile v([0-9]+)")
_GIT_URL = re.compile(r"git(\+[a-z0-9]+)?://")
_CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>")

Token = tuple[int, object, int, int]  # kind, value, line, column


@dataclass(frozen=True, slots=True)
class Entry:
    """One top-level value of the file with every key that shares it."""

    keys: tuple[str, ...]
    fields: dict[str, object]
    line: int


_BERRY = re.compile(r"^__metadata:", re.MULTILINE)
_HEADER = re.compile(r"^# yarn lockfile v1", re.MULTILINE)


def sniff(file_name: str, head: bytes) -> bool:
    """A Yarn 1 lockfile: the `# yarn lockfile v1` header, or a `yarn.lock` without Berry's
    `__metadata` (Yarn 1 writes the header; it reads a file without one too)."""
    text = text_head(head)
    if _HEADER.search(text) is not None:
        return True
    return file_name == "yarn.lock" and _BERRY.search(text) is None


def parse(data: bytes, path: str) -> Lockfile:
    """Parse yarn.lock bytes; the manifests beside `path` are read when it names a file on
    disk (a lockfile read from a git ref has none: see yarn_project)."""
    with no_gc():
        return parse_with(data, path, project_of(path))


def parse_with(data: bytes, path: str, project: Project | None) -> Lockfile:
    """Parse yarn.lock bytes with the project's manifests (None: unknown)."""
    if len(data) > MAX_BYTES:
        raise LockfileError(f"{path}: larger than {MAX_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockfileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip(_JS_TRIM):
        raise LockfileError(f"{path}: empty file, not a lockfile")
    entries, version = read_entries(text, path)
    return _lockfile(entries, version, path, project)


def _refuse_conflicts(text: str, path: str) -> None:
    if all(marker in text for marker in _CONFLICT_MARKERS):
        line = text.count("\n", 0, text.index(_CONFLICT_MARKERS[0])) + 1
        raise LockfileError(
            f"{path}:{line}: merge conflict markers (Yarn would install the merge of both "
            "sides): resolve the conflict first"
        )


# --- the grammar ----------------------------------------------------------------------


def tokenize(text: str, path: str) -> tuple[list[Token], int]:
    """Yarn's tokens (comments dropped) and the `# yarn lockfile vN` version (1 if none)."""
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN.match
    simple = _SIMPLE_STRING.match
    pos, line, line_start, n = 0, 1, 0, len(text)
    last_newline = False
    version = SUPPORTED_VERSION
    while pos < n:
        m = match(text, pos)
        col = pos - line_start
        if m is None:
            raise LockfileError(
                f"{path}:{line}:{col + 1}: unexpected character {text[pos]!r} "
                "(names with '@' and URLs must be quoted)"
            )
        kind = m.lastgroup
        end = m.end()
        newline = False
        if kind == "nl":
            append((_NL, None, line, col))
            line += 1
            line_start = end
            # A lone `\r` is a newline that (in Yarn) does not start an indent.
            newline = m.group() != "\r"
        elif kind == "sp":
            if last_newline:
                width = end - pos
                if width % 2:
                    raise LockfileError(
                        f"{path}:{line}: indented by {width} spaces (Yarn indents by two)"
                    )
                append((_INDENT, width // 2, line, col))
        elif kind == "comment":
            found = _VERSION_COMMENT.fullmatch(m.group()[1:].strip(_JS_TRIM))
            if found and int(found.group(1)) > SUPPORTED_VERSION:
                raise LockfileError(
                    f"{path}:{line}: yarn lockfile v{found.group(1)}: Yarn 1 reads only "
                    f"v{SUPPORTED_VERSION}"
                )
            if found:
                version = int(found.group(1))
        elif kind == "quote":
            quoted = simple(text, pos)
            if quoted is not None:
                end = quoted.end()
                append((_STR, quoted.group(1), line, col))
            else:
                end = _string_end(text, pos)
                try:
                    value = json.loads(text[pos:end])
                except ValueError:
                    raise LockfileError(
                        f"{path}:{line}:{col + 1}: malformed quoted string"
                    ) from None
                if not isinstance(value, str):  # pragma: no cover - it starts with a quote
                    raise LockfileError(f"{path}:{line}:{col + 1}: malformed quoted string")
                append((_STR, value, line, col))
        elif kind == "num":
            append((_NUM, _number(m.group()), line, col))
        elif kind == "true":
            append((_BOOL, True, line, col))
        elif kind == "false":
            append((_BOOL, False, line, col))
        elif kind == "colon":
            append((_COLON, None, line, col))
        elif kind == "comma":
            append((_COMMA, None, line, col))
        else:
            append((_STR, m.group(), line, col))
        last_newline = newline
        pos = end
    append((_EOF, None, line, pos - line_start))
    return tokens, version


def _string_end(text: str, start: int) -> int:
    """Where Yarn ends the quoted string starting at `start`: after the first `"` not
    escaped, i.e. not preceded by a backslash that is itself not preceded by one (Yarn's
    rule, so `"a\\\\"` ends at its last quote); the end of the text when there is none."""
    i = start + 1
    while True:
        j = text.find('"', i)
        if j < 0:
            return len(text)
        if not (text[j - 1] == "\\" and text[j - 2] != "\\"):
            return j + 1
        i = j + 1


class _Parser:
    def __init__(self, tokens: list[Token], path: str) -> None:
        self.tokens = tokens
        self.path = path
        self.i = 0
        self.key_lines: dict[str, int] = {}  # top-level keys -> line

    def fail(self, what: str) -> LockfileError:
        kind, _, line, col = self.tokens[self.i]
        return LockfileError(f"{self.path}:{line}:{col + 1}: {what} ({_KIND_NAMES[kind]})")

    def parse(self, indent: int) -> dict[str, object]:
        if indent > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep")
        tokens = self.tokens
        obj: dict[str, object] = {}
        while True:
            kind, value, line, _ = tokens[self.i]
            if kind == _NL:
                self.i += 1
                if not indent:
                    continue
                nkind, nvalue, _, _ = tokens[self.i]
                if nkind != _INDENT:
                    break
                if nvalue == indent:
                    self.i += 1
                else:
                    break
            elif kind == _INDENT:
                if value == indent:
                    self.i += 1
                else:
                    break
            elif kind == _EOF:
                break
            elif kind == _STR:
                keys = [self._key(value)]
                self.i += 1
                while tokens[self.i][0] == _COMMA:
                    self.i += 1
                    if tokens[self.i][0] != _STR:
                        raise self.fail("expected a key after ','")
                    keys.append(self._key(tokens[self.i][1]))
                    self.i += 1
                was_colon = tokens[self.i][0] == _COLON
                if was_colon:
                    self.i += 1
                vkind, val, _, _ = tokens[self.i]
                if vkind in (_STR, _NUM, _BOOL):
                    self.i += 1
                elif was_colon:
                    val = self.parse(indent + 1)
                else:
                    raise self.fail("expected a value or ':' after the key")
                for key in keys:
                    if key in obj:
                        raise LockfileError(
                            f"{self.path}:{line}: duplicate key {key[:80]!r} (Yarn keeps the "
                            "last one)"
                        )
                    obj[key] = val
                    if not indent:
                        self.key_lines[key] = line
                if not was_colon or vkind in (_STR, _NUM, _BOOL):
                    continue
                if indent and tokens[self.i][0] != _INDENT:
                    break
            else:
                raise self.fail("unexpected token")
        return obj

    def _key(self, value: object) -> str:
        assert isinstance(value, str)
        if not value:
            raise self.fail("empty key")
        return value


def read_document(
    text: str, path: str, *, fast: bool = True
) -> tuple[dict[str, object], dict[str, int], int]:
    """The object Yarn's reader builds from `text` (values shared by several keys are one
    object), the line of each top-level key, and the lockfile version.  `fast=False`: the
    token reader only (the tests compare the two)."""
    _refuse_conflicts(text, path)
    if fast:
        found = fast_document(text)
        if found is not None:
            return found
    tokens, version = tokenize(text, path)
    parser = _Parser(tokens, path)
    doc = parser.parse(0)
    kind, _, line, _ = tokens[parser.i]
    if kind != _EOF:
        raise LockfileError(
            f"{path}:{line}: indented deeper than the block it is in: Yarn stops reading "
            "here and ignores the rest of the file"
        )
    return doc, parser.key_lines, version


# The lines Yarn writes, read a line at a time (`fast_document`): a key is a quoted string
# without escapes or control characters, or an unquoted one (not starting with `true` or
# `false`, which Yarn reads as booleans, and without `"` or `#`); a value is one of those, a
# number or a boolean.  Any other line sends the whole file to the token reader.
_K = r'"[^"\\\x00-\x1f]+"|(?!true|false)[a-zA-Z/.-][^: \n\r,"#]*'
_V = rf'"[^"\\\x00-\x1f]*"|true|false|[0-9]+|{_K}'
# A line: indent, then `key value` (groups 2, 3) or `key[, key...]:` (group 4); or a comment
# at the start of a line (group 5); or a blank line (all groups empty).  One `findall` reads
# every line.
_ANY_LINE = re.compile(
    rf"^(?:( *)(?:({_K}) ({_V})|((?:{_K})(?:, (?:{_K}))*):)|(#.*)|)$", re.MULTILINE
)
_ONE_KEY = re.compile(rf"{_K}")


def _scalar(token: str) -> object:
    if token[0] == '"':
        return token[1:-1]
    if token == "true":
        return True
    if token == "false":
        return False
    if token[0].isdigit():
        return _number(token)
    return token


def _number(digits: str) -> int | float:
    """A number token's value; past 15 digits a float, as JavaScript reads it (never the
    slow conversion of a huge integer)."""
    return int(digits) if len(digits) <= 15 else float(digits)


def fast_document(text: str) -> tuple[dict[str, object], dict[str, int], int] | None:
    """`read_document` for files made only of the lines Yarn writes (None otherwise): the
    same object, built a line at a time.  Where Yarn's token reader would do anything
    subtle (an empty block, a blank line inside a block, an indented comment, a repeated
    key, a carriage return, a version other than 1), this declines and the token reader,
    which the tests hold to Yarn's own, decides."""
    found = every_line(_ANY_LINE, text)
    if found is None:
        return None
    doc: dict[str, object] = {}
    key_lines: dict[str, int] = {}
    stack: list[dict[str, object]] = [doc]
    expect_child = False
    after_break = False
    keys_in = _ONE_KEY.findall
    number = 0
    for spaces, key, value, keys, comment in found:
        number += 1
        if not key and not keys:  # a blank line or a comment
            if comment:
                version = _VERSION_COMMENT.fullmatch(comment[1:].strip(_JS_TRIM))
                if version and int(version.group(1)) != SUPPORTED_VERSION:
                    return None
            after_break = True
            continue
        indent = len(spaces)
        if indent & 1:
            return None
        depth = indent >> 1
        if expect_child:
            if depth != len(stack) - 1 or after_break:
                return None
            expect_child = False
        else:
            if depth >= len(stack) or (after_break and depth):
                return None
            if depth < len(stack) - 1:
                del stack[depth + 1 :]
        after_break = False
        target = stack[depth]
        if key:
            if key[0] == '"':
                key = key[1:-1]
            if key in target:
                return None
            target[key] = value[1:-1] if value[0] == '"' else _scalar(value)
            if not depth:
                key_lines[key] = number
            continue
        child: dict[str, object] = {}
        for key in keys_in(keys):
            if key[0] == '"':
                key = key[1:-1]
            if key in target:
                return None
            target[key] = child
            if not depth:
                key_lines[key] = number
        stack.append(child)
        expect_child = True
    if expect_child:
        return None
    return doc, key_lines, SUPPORTED_VERSION


def read_entries(text: str, path: str) -> tuple[list[Entry], int]:
    """The top-level entries, each with its keys and the line of its first key."""
    doc, key_lines, version = read_document(text, path)
    by_value: dict[int, int] = {}  # id(fields) -> index in `entries`
    entries: list[Entry] = []
    for key, value in doc.items():
        if not isinstance(value, dict):
            raise LockfileError(
                f"{path}:{key_lines[key]}: {key[:80]!r} is not an entry (a block of fields)"
            )
        index = by_value.get(id(value))
        if index is None:
            by_value[id(value)] = len(entries)
            entries.append(Entry((key,), value, key_lines[key]))
        else:
            found = entries[index]
            entries[index] = Entry((*found.keys, key), found.fields, found.line)
    return entries, version


# --- what Yarn installs -----------------------------------------------------------------


def normalize_pattern(pattern: str) -> tuple[str, str]:
    """Yarn's `normalizePattern`: (name, range); `latest` without a range, `*` for `a@`."""
    scoped = pattern.startswith("@")
    rest = pattern[1:] if scoped else pattern
    name, at, range_ = rest.partition("@")
    if not at:
        range_ = "latest"
    elif not range_:
        range_ = "*"
    return ("@" + name if scoped else name), range_


# Algorithms Node's createHash accepts (case-insensitively) whose names hold no `-` (Yarn's
# ssri cuts the algorithm at the first `-`).  Which of these are supported only decides
# whether Yarn refuses the package or checks a hash that cannot bind: never `verified`.
_NODE_HASHES = frozenset(
    [
        "blake2b512",
        "blake2s256",
        "md5",
        "md5withrsaencryption",
        "ripemd",
        "ripemd160",
        "ripemd160withrsa",
        "rmd160",
        "sha1",
        "sha1withrsaencryption",
        "sha224",
        "sha224withrsaencryption",
        "sha256",
        "sha256withrsaencryption",
        "sha384",
        "sha384withrsaencryption",
        "sha512",
        "sha512withrsaencryption",
        "shake128",
        "shake256",
        "sm3",
        "sm3withrsaencryption",
    ]
)
_PRIORITY = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
_YARN_TOKEN = re.compile(r"([^-]+)-([^?]+)(.*)", re.DOTALL)
_JS_SPACE = re.compile(f"[{_JS_TRIM}]+")
_SIZES = {"md5": 16, "sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}


def _rank(algorithm: str) -> int:
    lower = algorithm.lower()
    return _PRIORITY.index(lower) if lower in _PRIORITY else -1


def yarn_integrity(integrity: str | None, sha1_hex: str) -> tuple[str | None, IntegrityCheck]:
    """What Yarn 1 checks a tarball against: (SRI string with npm's reading equal to Yarn's,
    the check).  `sha1_hex` is the text after `#` in `resolved` ("" when none)."""
    if not integrity:
        if not sha1_hex:
            return None, IntegrityCheck(
                None, (), (), "MISSING_INTEGRITY", "no integrity and no #sha1: Yarn checks nothing"
            )
        digest = _hex_digest(sha1_hex)
        sri = f"sha1-{base64.b64encode(digest).decode()}" if digest is not None else None
        return sri, IntegrityCheck(
            "sha1",
            (sri[5:],) if sri else (),
            check_integrity(sri).hashes if sri else (),
            "WEAK_INTEGRITY",
            "no integrity: Yarn checks only the sha1 after '#' in resolved, which cannot be "
            "bound to a sha512 attestation",
        )
    if ONE_SHA512.fullmatch(integrity):
        # What Yarn writes: one canonical sha512, read alike by Yarn and npm.
        return integrity, check_integrity(integrity)
    by_alg: dict[str, list[str]] = {}
    for token in _JS_SPACE.split(integrity.strip(_JS_TRIM)):
        m = _YARN_TOKEN.fullmatch(token)
        if m is None or m.group(1).lower() not in _NODE_HASHES:
            continue
        by_alg.setdefault(m.group(1), []).append(m.group(2))
    if not by_alg:
        return integrity, IntegrityCheck(
            None,
            (),
            (),
            "INTEGRITY_UNCHECKED",
            "no hash Yarn can check in the integrity: Yarn refuses to install it",
        )
    picked = next(iter(by_alg))
    for alg in by_alg:
        if _rank(alg) > _rank(picked):
            picked = alg
    lower = picked.lower()
    accepted = tuple(dict.fromkeys(by_alg[picked]))
    # The same reading, spelled for npm's reader (lower-case algorithm names).
    effective = " ".join(f"{lower}-{digest}" for digest in accepted)
    npm_view = check_integrity(integrity)
    if npm_view.algorithm == lower and npm_view.accepted == accepted:
        effective = integrity
    check = check_integrity(effective)
    if lower not in _PRIORITY:
        check = IntegrityCheck(
            lower,
            accepted,
            (),
            "WEAK_INTEGRITY",
            f"Yarn checks only {picked}, which cannot be bound to a sha512 attestation",
        )
    return effective, check


def _hex_digest(text: str) -> bytes | None:
    if len(text) != 40:
        return None
    try:
        return binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        return None


def _spec_source(range_: str) -> SourceKind:
    """The source of an entry Yarn resolves again (no `resolved`), from its range."""
    if range_.startswith("link:"):
        return SourceKind.LINK
    if range_.startswith("file:"):
        return SourceKind.FILE
    if is_git(range_) or _GIT_URL.match(range_):
        return SourceKind.GIT
    if range_.startswith(("http://", "https://")):
        return SourceKind.REMOTE
    if is_registry_spec(range_):
        return SourceKind.REGISTRY
    if "/" in range_ and not range_.startswith((".", "/", "~")):
        return SourceKind.GIT  # `user/repo`: a GitHub shorthand
    return SourceKind.FILE  # a path


class _Builder:
    def __init__(self, entries: list[Entry], path: str, project: Project | None) -> None:
        self.entries = entries
        self.path = path
        self.project = project
        self.nodes: list[Node] = []
        self.by_pattern: dict[str, int] = {}

    def where(self, entry: Entry) -> str:
        return f"{self.path}:{entry.line}: {entry.keys[0][:80]!r}"

    def node(self, entry: Entry) -> Node:
        try:
            return self._node(entry)
        except EntryError as exc:  # the entry's place, only now that it is needed
            raise LockfileError(f"{self.where(entry)}: {exc}") from None

    def _node(self, entry: Entry) -> Node:
        fields = entry.fields
        version = _opt_str(fields, "version")
        resolved = _opt_str(fields, "resolved")
        integrity = _opt_str(fields, "integrity")
        declared = _opt_str(fields, "name")
        install_names: set[str] = set()
        real: str | None = None
        ranges: list[str] = []
        alias_problem: str | None = None
        for key in entry.keys:
            install, range_ = normalize_pattern(key)
            if not valid_name(install):
                raise EntryError(f"invalid package name {install[:80]!r}")
            install_names.add(install)
            target = install
            if range_.startswith("npm:"):
                target, range_ = normalize_pattern(range_[4:])
                if not valid_name(target):
                    alias_problem = (
                        f"{self.where(entry)}: the alias's real name {target[:80]!r} is not a "
                        "valid package name"
                    )
                ranges.append("npm:" + range_)
            else:
                ranges.append(range_)
            if real is None:
                real = target
            elif target != real:
                raise EntryError(
                    f"its keys name different packages ({real[:60]!r}, {target[:60]!r})"
                )
        assert real is not None
        if declared is not None and declared != real:
            raise EntryError(f"'name' {declared[:60]!r} differs from the package its key asks for")
        if version is None:
            raise EntryError("no version")
        sha1_hex = ""
        if resolved is not None:
            url = resolved.split("#")[0]
            if _GIT_URL.match(url) or is_git(url):
                source = SourceKind.GIT
            else:
                sha1_hex = resolved.split("#")[1] if "#" in resolved else ""
                if url.startswith(("http://", "https://")):
                    source = classify_resolved(url, real, version)
                elif url.startswith("file:") or ":" not in url.split("/", 1)[0]:
                    source = SourceKind.FILE
                else:
                    source = SourceKind.REMOTE
                resolved = url
        else:
            source = _spec_source(ranges[0][4:] if ranges[0].startswith("npm:") else ranges[0])
            if source is SourceKind.REGISTRY and not is_semver(version):
                raise EntryError(
                    f"version {version[:60]!r} is not semver and there is no resolved URL"
                )
            if source in (SourceKind.FILE, SourceKind.LINK):
                resolved = ranges[0]
        if alias_problem is not None:
            source = SourceKind.REGISTRY
        effective, check = yarn_integrity(integrity, sha1_hex)
        if resolved is None and source is SourceKind.REGISTRY:
            effective, check = (
                None,
                IntegrityCheck(
                    None,
                    (),
                    (),
                    "MISSING_INTEGRITY",
                    "no resolved URL: Yarn resolves the range again and checks nothing from the "
                    "lockfile",
                ),
            )
        asks_registry = True
        for range_ in ranges:
            if not is_registry_spec(range_):
                asks_registry = False
        node = Node(
            name=real,
            version=version,
            source=source,
            line=entry.line,
            integrity=effective,
            check=check,
            resolved=resolved,
            key=", ".join(entry.keys),
            install_names=install_names,
            registry_spec=ranges[0] if asks_registry else None,
            alias_problem=alias_problem,
        )
        deps = node.deps
        for field_name, optional in (("dependencies", False), ("optionalDependencies", True)):
            block = fields.get(field_name)
            if block is None:
                continue
            if not isinstance(block, dict):
                raise EntryError(f"'{field_name}' is not a block")
            for dep, range_ in block.items():
                if not isinstance(range_, str):
                    raise EntryError(f"{field_name} {dep[:60]!r} is not a quoted string")
                deps.append((dep, range_, optional))
        return node


def _opt_str(fields: dict[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise EntryError(f"'{name}' is not a quoted string")


def _lockfile(entries: list[Entry], version: int, path: str, project: Project | None) -> Lockfile:
    builder = _Builder(entries, path, project)
    nodes = builder.nodes
    by_pattern = builder.by_pattern
    for entry in entries:
        index = len(nodes)
        nodes.append(builder.node(entry))
        for key in entry.keys:
            by_pattern[key] = index
    # Workspace members are not in a Yarn 1 lockfile: they come from the manifests.
    members: dict[str, int] = {}
    workspaces: list[str] = []
    if project is not None:
        for manifest in project.members:
            name = manifest.name or manifest.directory.rsplit("/", 1)[-1]
            if not valid_name(name) or name in members:
                continue
            members[name] = len(nodes)
            workspaces.append(manifest.directory)
            nodes.append(
                Node(
                    name=name,
                    version=manifest.version or "",
                    source=SourceKind.LINK,
                    line=0,
                    integrity=None,
                    check=check_integrity(None),
                    resolved=manifest.directory,
                    key=manifest.directory,
                    install_names={name},
                    direct=True,
                )
            )

    def resolve(dep: str, range_: str) -> int | None:
        found = by_pattern.get(f"{dep}@{range_}")
        if found is None:
            found = members.get(dep)
        return found

    edges: list[list[tuple[int, bool]]] = []
    for node in nodes:
        out = []
        for dep, range_, optional in node.deps:
            target = resolve(dep, range_)
            if target is not None:
                out.append((target, optional))
                node.requires.add(target)
        edges.append(out)
    roots: dict[str, list[tuple[int, bool]]] | None = None
    if project is not None:
        roots = {"prod": [], "dev": []}
        for manifest in project.importers:
            member = members.get(manifest.name or "") if manifest.directory else None
            for kind, deps, optional in (
                ("prod", manifest.dependencies, False),
                ("prod", manifest.optional, True),
                ("dev", manifest.dev, False),
            ):
                for dep, range_ in deps.items():
                    if kind == "dev" and (dep in manifest.dependencies or dep in manifest.optional):
                        continue
                    target = resolve(dep, range_)
                    if target is None:
                        continue
                    nodes[target].direct = True
                    if member is not None:
                        nodes[member].requires.add(target)
                    if member is not None and kind == "prod":
                        edges[member].append((target, optional))
                    else:
                        # The root's dependencies, and every dev dependency of a member.
                        roots[kind].append((target, optional))
            if member is not None:
                roots["prod"].append((member, False))
    else:
        depended = {t for out in edges for t, _ in out}
        for i, node in enumerate(nodes):
            node.direct = i not in depended
    flags = compute_flags(nodes, edges, roots)
    return Lockfile(
        path=path,
        lockfile_version=version,
        name=project.root.name if project is not None else None,
        packages=build_packages(nodes, flags),
        workspaces=tuple(sorted(workspaces)),
        format=NAME,
        graph=True,
    )


FORMAT = LockfileFormat(NAME, FILE_NAMES, "a Yarn classic lockfile", sniff, parse)
