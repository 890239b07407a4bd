from __future__ import annotations

import json
from pathlib import Path

from auditor.models import Lockfile, Package, SourceKind

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "lockfiles"
CLASSIC = FIXTURES / "yarn-classic"
BERRY = FIXTURES / "yarn-berry"


def installed(lockfile: Lockfile) -> set[str]:
    """`install-name@version` of every package (an alias under each name it is installed
    under); links by name only (their version is the linked directory's)."""
    out = set()
    for p in lockfile.packages:
        for name in p.aliases or (p.name,):
            out.add(name if p.source is SourceKind.LINK else f"{name}@{p.version}")
    return out


def classic_listing(text: str, *, links: set[str]) -> set[str]:
    """The packages `yarn list --json` shows (every node that is not a dimmed "shadow")."""
    out: set[str] = set()
    for line in text.splitlines():
        doc = json.loads(line)
        if doc.get("type") != "tree":
            continue
        stack = list(doc["data"]["trees"])
        while stack:
            node = stack.pop()
            stack.extend(node.get("children", []))
            if node.get("shadow"):
                continue
            name = node["name"]
            base = name[: name.index("@", 1)]
            out.add(base if base in links else name)
    return out


def by_name(lockfile: Lockfile) -> dict[str, Package]:
    out: dict[str, Package] = {}
    for p in lockfile.packages:
        for name in {p.name, *p.aliases}:
            key = f"{name}@{p.version}"
            assert key not in out, key
            out[key] = p
    return out
