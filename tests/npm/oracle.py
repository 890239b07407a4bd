"""The invariants npm's behaviour imposes on the auditor's verdict (issue 12).

For one crafted project npm installed some artefact at each `node_modules` path (or failed);
the auditor reported on the same project under three policies.  A violation is:

* `verified-but-not-installed`: an entry the auditor calls `verified` holds, where npm put
  it, bytes other than the attested tarball of that name@version;
* `recommended-exit-0`: under policies/recommended.toml the exit code is 0 although npm
  fetched and installed, at some path, bytes other than those of the package the auditor
  reports there (the attested tarball, or the registry's own bytes of an attacker-owned
  name), or attacker bytes at a path the auditor does not report at all.  The only
  exemption: a git, remote or file entry that the root package.json itself declares as a
  URL, git or file dependency (its source is disclosed; recommended only warns);
* `strict-exit-0`: under policies/strict.toml (provenance for all, no non-registry sources)
  the exit code is 0 although npm installed bytes that are not a genuine attested tarball
  and not the pull request's own files;
* `pinned-exit-0`: under the rig's pinning policy (recommended plus provenance pinned to
  the real repository for the genuine names, `tests.npm.rig.PINS`) the exit code is 0
  although npm installed, at a path whose install name is a pinned name, fetched bytes
  other than that package's genuine ones (the alias class: a selector must match the
  install name too), unless the root package.json declares that name a URL, git or file
  dependency.

Files of the pull request itself (workspace members, linked directories, file: tarballs,
a git repository it names) are reviewed as code: no exit code is required for them, but
they are never `verified`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.npm.rig import PINS, AuditOutcome, NpmOutcome

PINNED_NAMES = frozenset(PINS)


def install_name(path: str) -> str:
    return path.rsplit("node_modules/", 1)[-1]


def own_tags(name: str, version: str) -> set[str]:
    return {f"genuine:{name}@{version}", f"published:{name}@{version}"}


def fetched(tag: str) -> bool:
    """Bytes npm got from a server (not the pull request's own files)."""
    return not tag.startswith("local:")


@dataclass
class Verdicts:
    recommended: AuditOutcome
    strict: AuditOutcome
    pinned: AuditOutcome


NON_REGISTRY = frozenset({"git", "remote", "file"})
_NON_REGISTRY_SPEC = ("http://", "https://", "git+", "git:", "file:")


def declared_non_registry(path: str, manifest: Mapping[str, Any]) -> bool:
    """Does the root package.json declare this top-level path as a URL, git or file dep?"""
    name = path.removeprefix("node_modules/")
    if "node_modules/" in name:
        return False
    for field in ("dependencies", "devDependencies", "optionalDependencies"):
        spec = (manifest.get(field) or {}).get(name)
        if isinstance(spec, str) and spec.startswith(_NON_REGISTRY_SPEC):
            return True
    return False


def violations(npm: NpmOutcome, audits: Verdicts, manifest: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    if not npm.ok:
        return out  # nothing installed
    rec = audits.recommended
    by_path = rec.by_path()
    for pkg in rec.packages():
        if pkg["status"] != "verified":
            continue
        expected = f"genuine:{pkg['name']}@{pkg['version']}"
        for path in pkg.get("paths", []):
            got = npm.installed.get(path)
            if got is not None and got != expected:
                out.append(f"verified-but-not-installed: {path} is {got}, report says {expected}")
    if rec.exit_code == 0:
        for path, tag in sorted(npm.installed.items()):
            if not fetched(tag):
                continue  # the pull request's own files: reviewed as code
            at = by_path.get(path)
            if at is None:
                if not tag.startswith("genuine:"):
                    out.append(f"recommended-exit-0: unaudited {path} holds {tag}")
                continue
            if at["source"] in NON_REGISTRY and declared_non_registry(path, manifest):
                continue  # package.json itself says where it comes from
            if tag not in own_tags(at["name"], at["version"]):
                out.append(
                    f"recommended-exit-0: {path} holds {tag}, reported as "
                    f"{at['name']}@{at['version']} ({at['source']}, {at['status']})"
                )
    if audits.strict.exit_code == 0:
        for path, tag in sorted(npm.installed.items()):
            if fetched(tag) and not tag.startswith("genuine:"):
                out.append(f"strict-exit-0: {path} holds {tag}")
    if audits.pinned.exit_code == 0:
        for path, tag in sorted(npm.installed.items()):
            name = install_name(path)
            if name not in PINNED_NAMES or not fetched(tag) or tag.startswith(f"genuine:{name}@"):
                continue
            if not declared_non_registry(path, manifest):
                out.append(f"pinned-exit-0: {path} holds {tag}")
    return out
