"""npm package names: the one validator every stage uses (lockfile, offline, cache, URLs).

npm accepts a name when validate-npm-package-name says `validForOldPackages`
(npm-package-arg npa.js; docs/lockfile.md "Names"): not empty; not starting with `.`, `-`
or `_`; not `node_modules` or `favicon.ico` in any case; and every character URL-friendly
(what `encodeURIComponent` leaves alone: letters of either case, digits and ``-_.!~*'()``),
or `@scope/name` whose two parts are URL-friendly and whose name part does not start with
`.`.  Capitals, ``~'!()*``, core module names and length are only warnings for new
packages, so legacy names such as `JSONStream` or `@s/a(b)` are valid.  The one deviation:
names longer than `MAX_NAME` are refused (the registry refuses them too), which bounds what
later stages build from a name.  None of these names can hold `/` outside the scope
separator, whitespace, `%` or a control character, so each is one safe path segment once
the separator is encoded.
"""

from __future__ import annotations

import re
from functools import lru_cache

MAX_NAME = 214
_URL_FRIENDLY = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
_SCOPED = re.compile(r"@([^/]+)/([^/]+)")
_EXCLUDED = frozenset({"node_modules", "favicon.ico"})


@lru_cache(maxsize=16384)  # names repeat across the entries of a lockfile
def valid_npm_name(name: str) -> bool:
    """Would npm accept `name` as a package name (validForOldPackages, length bounded)?"""
    if not name or len(name) > MAX_NAME or name[0] in ".-_":
        return False
    if name.lower() in _EXCLUDED:
        return False
    if _URL_FRIENDLY.fullmatch(name):
        return True
    scoped = _SCOPED.fullmatch(name)
    return bool(
        scoped
        and _URL_FRIENDLY.fullmatch(scoped.group(1))
        and _URL_FRIENDLY.fullmatch(scoped.group(2))
        and not scoped.group(2).startswith(".")
    )
