"""Matching the root's `workspaces` patterns against the lockfile's directory entries.

The patterns are lockfile text, so the attacker's: a regular expression built from them
(one `fnmatch.translate` per pattern, joined) cost 26 s and 1.9 GB on a 4 MB lockfile.
Here a pattern is a list of tokens matched by an NFA simulation (no backtracking), with
`fnmatch`'s meaning: `*` any run of characters (`/` included), `?` one character, `[...]`
a class (`[!...]` negated).  Literal patterns are a set lookup; a pattern's literal
prefix filters the directories before any simulation; and the simulation has a step
budget, so time and memory stay bounded whatever the input: beyond it the lockfile is
refused (one line, exit 2) rather than judged slowly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditor.errors import LockfileError

MAX_PATTERNS = 1000
MAX_PATTERN_LENGTH = 1024
# NFA steps (state x character) for all patterns and directories together.  A monorepo
# with a few `packages/*` patterns and thousands of members needs well under 1% of this.
STEP_BUDGET = 5_000_000

_LIT, _ONE, _STAR, _CLASS = 0, 1, 2, 3
# kind, the literal character, and for a class its (low, high) code point ranges and
# whether it is negated.
_Token = tuple[int, str, tuple[tuple[int, int], ...], bool]


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str
    prefix: str  # the literal characters before the first wildcard
    tokens: tuple[_Token, ...]


def _tokens(pattern: str) -> tuple[_Token, ...]:
    out: list[_Token] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if not out or out[-1][0] != _STAR:  # `**` is `*` in fnmatch
                out.append((_STAR, "", (), False))
        elif c == "?":
            out.append((_ONE, "", (), False))
        elif c == "[":
            j = i + 1 if pattern[i : i + 1] == "!" else i
            j = j + 1 if pattern[j : j + 1] == "]" else j
            close = pattern.find("]", j)
            if close < 0:
                out.append((_LIT, "[", (), False))  # fnmatch: an unclosed `[` is literal
                continue
            body = pattern[i:close]
            i = close + 1
            negated = body.startswith("!")
            out.append((_CLASS, "", _ranges(body[1:] if negated else body), negated))
        else:
            out.append((_LIT, c, (), False))
    return tuple(out)


def _ranges(body: str) -> tuple[tuple[int, int], ...]:
    """A class body as code point ranges (`a-z`, single characters); empty ranges dropped."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            lo, hi = ord(body[i]), ord(body[i + 2])
            if lo <= hi:
                out.append((lo, hi))
            i += 3
        else:
            out.append((ord(body[i]), ord(body[i])))
            i += 1
    return tuple(out)


class _Budget:
    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self, steps: int, path: str) -> None:
        self.left -= steps
        if self.left < 0:
            raise LockfileError(
                f"{path}: workspace patterns too costly to match against the lockfile's "
                "directories (refused rather than judged slowly)"
            )


def _match(tokens: tuple[_Token, ...], text: str, budget: _Budget, path: str) -> bool:
    end = len(tokens)

    def closure(states: set[int]) -> set[int]:
        out = set(states)
        for s in sorted(states):
            while s < end and tokens[s][0] == _STAR:  # `*` may match nothing
                s += 1
                out.add(s)
        return out

    states = closure({0})
    for ch in text:
        budget.spend(len(states), path)
        nxt: set[int] = set()
        for s in states:
            if s == end:
                continue
            kind, lit, ranges, negated = tokens[s]
            if kind == _STAR:
                nxt.add(s)
            elif kind == _ONE or (kind == _LIT and lit == ch):
                nxt.add(s + 1)
            elif kind == _CLASS:
                budget.spend(len(ranges), path)
                code = ord(ch)
                if any(lo <= code <= hi for lo, hi in ranges) != negated:
                    nxt.add(s + 1)
        if not nxt:
            return False
        states = closure(nxt)
    return end in states


def match_workspaces(
    patterns: Iterable[str], directories: Iterable[str], path: str, *, budget: int = STEP_BUDGET
) -> list[str]:
    """The directories any pattern matches (`fnmatch` semantics, whole path).

    Raises LockfileError for too many or too long patterns, or when matching would take
    more than `budget` steps.
    """
    literal: set[str] = set()
    wild: dict[str, _Pattern] = {}
    for count, text in enumerate(patterns, 1):
        if count > MAX_PATTERNS:
            raise LockfileError(f"{path}: more than {MAX_PATTERNS} workspace patterns")
        if len(text) > MAX_PATTERN_LENGTH:
            raise LockfileError(
                f"{path}: a workspace pattern is longer than {MAX_PATTERN_LENGTH} characters"
            )
        first = min((i for i, c in enumerate(text) if c in "*?["), default=-1)
        if first < 0:
            literal.add(text)
        elif text not in wild:
            wild[text] = _Pattern(text, text[:first], _tokens(text))
    steps = _Budget(budget)
    found: list[str] = []
    for directory in directories:
        if directory in literal:
            found.append(directory)
            continue
        for pattern in wild.values():
            steps.spend(1, path)  # the prefix test, so many patterns cannot run for free
            if not directory.startswith(pattern.prefix):
                continue
            rest = len(pattern.prefix)
            if _match(pattern.tokens[rest:], directory[rest:], steps, path):
                found.append(directory)
                break
    return found
