"""Where a lockfile entry comes from, decided from its `resolved` / `version` text."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from auditor.models import SourceKind

# semver 2.0.0 (the official regular expression), as npm writes registry versions.
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)

# npm package names, new and legacy (legacy names may hold capitals and `~!*'()`).  Path
# separators, whitespace, `..` and control characters are refused: later stages build
# cache paths and URLs from names.
_NAME = re.compile(r"(?:@[A-Za-z0-9~!*'()._-]+/)?[A-Za-z0-9~!*'()._-]+")
MAX_NAME = 214

# Specs npm records for git dependencies (`npm-package-arg` hosted shortcuts included).
_GIT_PREFIXES = ("git+", "git://", "github:", "gitlab:", "bitbucket:", "gist:")


@lru_cache(maxsize=16384)  # names repeat across the entries of a lockfile
def valid_name(name: str) -> bool:
    if len(name) > MAX_NAME or not _NAME.fullmatch(name):
        return False
    return all(part not in (".", "..") and not part.startswith(".") for part in name.split("/"))


def is_semver(version: str) -> bool:
    return SEMVER.fullmatch(version) is not None


def is_git(spec: str) -> bool:
    return spec.startswith(_GIT_PREFIXES)


def is_tarball_path(spec: str) -> bool:
    return spec.endswith((".tgz", ".tar.gz", ".tar"))


def registry_tarball(url: str, name: str, version: str) -> bool:
    """Is `url` a registry tarball of name@version: `<base>/<name>/-/<base-name>-<version>.tgz`?

    This is the layout every npm-compatible registry serves (`<base>` may hold a path, as
    with registries behind a proxy prefix).  Anything else (codeload links, release assets,
    a tarball renamed on a CDN) is a remote tarball: it cannot carry registry attestations.
    The scoped name may be written `@scope/name` or `@scope%2fname`.
    """
    if not url.startswith(("http://", "https://")):
        return False
    if "%" not in url and "?" not in url and "#" not in url:
        # Fast path (nearly every entry): no decoding needed.
        host_start = url.index("//") + 2
        if url.find("/", host_start) <= host_start:
            return False
        unscoped = name.rsplit("/", 1)[-1]
        return url.endswith(f"/{name}/-/{unscoped}-{version}.tgz")
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return False
    path = unquote(parts.path)
    unscoped = name.rsplit("/", 1)[-1]
    return path.endswith(f"/{name}/-/{unscoped}-{version}.tgz")


def classify_resolved(resolved: str, name: str, version: str) -> SourceKind:
    """The source kind of a non-link, non-bundled entry that has a `resolved` value."""
    if is_git(resolved):
        return SourceKind.GIT
    if resolved.startswith("file:"):
        return SourceKind.FILE
    if resolved.startswith(("http://", "https://")):
        if registry_tarball(resolved, name, version):
            return SourceKind.REGISTRY
        return SourceKind.REMOTE
    if ":" not in resolved.split("/", 1)[0]:
        # A bare relative path: a local directory or tarball.
        return SourceKind.FILE
    # Any other scheme is not a registry: audit it as a remote source (fail closed).
    return SourceKind.REMOTE
