"""Where a lockfile entry comes from, decided from its `resolved` / `version` text."""

from __future__ import annotations

import re

from auditor.models import SourceKind
from auditor.names import valid_npm_name

# semver 2.0.0 (the official regular expression), as npm writes registry versions.
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)

# One validator for the whole package (auditor/names.py).
valid_name = valid_npm_name

# Specs npm records for git dependencies (`npm-package-arg` hosted shortcuts included).
_GIT_PREFIXES = ("git+", "git://", "github:", "gitlab:", "bitbucket:", "gist:")


def is_semver(version: str) -> bool:
    return SEMVER.fullmatch(version) is not None


def is_git(spec: str) -> bool:
    return spec.startswith(_GIT_PREFIXES)


def is_registry_spec(spec: str) -> bool:
    """Does a dependency spec ask the registry (npm-package-arg: a version, range, tag or
    `npm:` alias) rather than a URL, git repository, path or `user/repo` shorthand?"""
    spec = spec.strip()
    if spec[:4].lower() == "npm:":
        return True
    return not (":" in spec or "/" in spec or "\\" in spec or spec.startswith((".", "~/")))


def is_tarball_path(spec: str) -> bool:
    return spec.endswith((".tgz", ".tar.gz", ".tar"))


def tarball_paths(name: str, version: str) -> tuple[str, ...]:
    """The paths, below a registry base URL, of the registry tarball of name@version:
    `<name>/-/<unscoped>-<version>.tgz`, a scoped name written `@scope/name` or
    `@scope%2fname` (registries serve both)."""
    unscoped = name.rsplit("/", 1)[-1]
    tail = f"/-/{unscoped}-{version}.tgz"
    if "/" not in name:
        return (name + tail,)
    scope = name.split("/", 1)[0]
    return (name + tail, f"{scope}%2f{unscoped}{tail}", f"{scope}%2F{unscoped}{tail}")


# Characters that make a URL read differently by npm (WHATWG URL: tabs and newlines are
# dropped, backslashes are slashes, dot segments and `%2e` are resolved) than by text
# comparison; a query or fragment is fetched too.  None may appear in a registry tarball URL.
_URL_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f\\?#]|%2e|/\.\.?(?:/|$)", re.IGNORECASE)


def registry_tarball(url: str, name: str, version: str) -> bool:
    """Is `url` the registry tarball of name@version: `<base>/<tarball path>`?

    npm fetches a registry entry's `resolved` URL as written (arborist reify.js, pacote
    remote.js; docs/lockfile.md), so only a URL whose path *is* this package's tarball path
    under some base can be the registry tarball that the attestations describe.  `<base>`
    may hold a path (registries behind a proxy prefix) but not a scope segment (`@x/`):
    `<base>/@attacker/NAME/-/NAME-1.0.0.tgz` is another package's tarball.  Anything else
    (codeload links, release assets, a renamed tarball, a URL npm would normalise) is a
    remote tarball: it cannot carry registry attestations.  Which base is a configured
    registry is the policy's `source-registry-mismatch` check.
    """
    if not url.startswith(("http://", "https://")):
        return False
    host_start = url.index("//") + 2
    if _URL_AMBIGUOUS.search(url, host_start):
        return False
    path_start = url.find("/", host_start)
    if path_start <= host_start:
        return False
    path = url[path_start:]
    for tail in tarball_paths(name, version):
        if path.endswith("/" + tail):
            base = path[: -len(tail)]
            # The segment before the name must not make it another (scoped) package's path,
            # and the base must not hide a percent-encoded separator.
            last = base.rstrip("/").rsplit("/", 1)[-1]
            return not last.startswith("@") and "%" not in base
    return False


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
