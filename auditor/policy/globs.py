"""Globs for package names, URIs, refs and workflow paths, and `name@range` selectors.

Matching is an NFA simulation (O(len(pattern) * len(text))), never a backtracking regex,
so hostile patterns or certificate values cannot make evaluation hang.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_PATTERN = 512
MAX_TEXT = 4096
MAX_RANGE = 256

# Token kinds: a literal character, `?`, `*` (within one path segment), `**` (anything).
_LIT, _ONE, _STAR, _DSTAR = 0, 1, 2, 3


class GlobSyntaxError(ValueError):
    """The pattern is not a supported glob (message says why)."""


def _compile(pattern: str, *, segments: bool) -> tuple[tuple[int, str], ...]:
    if not pattern:
        raise GlobSyntaxError("empty pattern")
    if len(pattern) > MAX_PATTERN:
        raise GlobSyntaxError(f"pattern longer than {MAX_PATTERN} characters")
    if any(c.isspace() or ord(c) < 32 for c in pattern):
        raise GlobSyntaxError("pattern contains whitespace or control characters")
    bad = sorted(set(pattern) & set("[]{}\\"))
    if bad:
        raise GlobSyntaxError(f"unsupported character {bad[0]!r} (only * ** and ? are wildcards)")
    if "***" in pattern:
        raise GlobSyntaxError("'***' is not a wildcard; use * or **")
    tokens: list[tuple[int, str]] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            tokens.append((_DSTAR, ""))
            i += 2
            continue
        if c == "*":
            # Package names have at most one '/', so there `*` may cross it (`*` = all).
            tokens.append((_STAR if segments else _DSTAR, ""))
        elif c == "?":
            tokens.append((_ONE, ""))
        else:
            tokens.append((_LIT, c))
        i += 1
    return tuple(tokens)


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled glob.  `segments=True`: `*` and `?` stay within one `/` segment."""

    pattern: str
    segments: bool
    tokens: tuple[tuple[int, str], ...]
    fold_case: bool = False

    @classmethod
    def compile(cls, pattern: str, *, segments: bool, fold_case: bool = False) -> Glob:
        source = pattern.lower() if fold_case else pattern
        return cls(pattern, segments, _compile(source, segments=segments), fold_case)

    def match(self, text: str | None) -> bool:
        if text is None or len(text) > MAX_TEXT:
            return False
        if self.fold_case:
            text = text.lower()
        tokens = self.tokens
        end = len(tokens)

        def closure(states: set[int]) -> set[int]:
            # Star tokens may match nothing: add the state after each of them.
            out = set(states)
            stack = list(states)
            while stack:
                s = stack.pop()
                if s < end and tokens[s][0] in (_STAR, _DSTAR) and s + 1 not in out:
                    out.add(s + 1)
                    stack.append(s + 1)
            return out

        states = closure({0})
        for ch in text:
            nxt: set[int] = set()
            for s in states:
                if s == end:
                    continue
                kind, lit = tokens[s]
                if kind == _LIT:
                    if lit == ch:
                        nxt.add(s + 1)
                elif kind == _ONE:
                    if ch != "/" or not self.segments:
                        nxt.add(s + 1)
                elif kind == _STAR:
                    if ch != "/":
                        nxt.add(s)
                else:
                    nxt.add(s)
            if not nxt:
                return False
            states = closure(nxt)
        return end in states

    def __str__(self) -> str:
        return self.pattern


def package_glob(pattern: str) -> Glob:
    """A package-name glob: `@acme/*`, `eslint-*`, `*`."""
    return Glob.compile(pattern, segments=False)


def uri_glob(pattern: str, *, fold_case: bool = False) -> Glob:
    """A URI, ref or path glob: `*` stays inside one segment, `**` crosses `/`."""
    return Glob.compile(pattern, segments=True, fold_case=fold_case)


def split_spec(spec: str) -> tuple[str, str | None]:
    """`@scope/name@^1` -> (`@scope/name`, `^1`); `name` -> (`name`, None)."""
    at = spec.find("@", 1)  # a leading '@' is the scope
    if at < 0:
        return spec, None
    return spec[:at], spec[at + 1 :]


@dataclass(frozen=True, slots=True)
class Selector:
    """A package selector: a name glob and optionally an npm semver range."""

    spec: str
    name: Glob
    range: str | None = None  # normalised npm range; None = every version

    @classmethod
    def parse(cls, spec: str, *, require_range: bool = False) -> Selector:
        """Raises GlobSyntaxError (bad glob or range)."""
        name, rng = split_spec(spec.strip())
        glob = package_glob(name)
        if rng is None:
            if require_range:
                raise GlobSyntaxError("needs a version range: name@<npm semver range>")
            return cls(spec, glob)
        if not rng.strip():
            raise GlobSyntaxError("empty version range after '@' (use name@* for all)")
        if len(rng) > MAX_RANGE:
            raise GlobSyntaxError(f"version range longer than {MAX_RANGE} characters")
        try:
            normalised = _semver().valid_range(rng, False)
        except Exception:  # the library raises assorted errors on hostile input
            normalised = None
        if normalised is None:
            raise GlobSyntaxError(f"invalid npm semver range {rng!r}")
        return cls(spec, glob, rng)

    def matches(self, name: str, version: str | None) -> bool:
        if not self.name.match(name):
            return False
        if self.range is None:
            return True
        if version is None:
            return False
        if self.range.strip() in ("*", "x", "X"):
            return True  # "every version" includes prereleases, unlike npm's bare `*`
        return version_in_range(version, self.range)


def _semver() -> Any:
    """node-semver, imported when a policy names a version range (most runs never do)."""
    import nodesemver

    return nodesemver


def version_in_range(version: str, rng: str) -> bool:
    """npm semantics (prereleases only match ranges that name them); junk never matches."""
    if len(version) > MAX_RANGE:
        return False
    try:
        return bool(_semver().satisfies(version, rng, False))
    except Exception:  # an unparsable lockfile version matches nothing
        return False


@lru_cache(maxsize=65536)
def is_prerelease(version: str) -> bool:
    """True for `1.0.0-beta.1`; unparsable versions count as prereleases (ignored)."""
    if len(version) > MAX_RANGE:
        return True
    try:
        parsed = _semver().make_semver(version, False)
    except Exception:
        return True
    return bool(parsed.prerelease)
