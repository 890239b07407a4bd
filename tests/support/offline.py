"""Offline directories for tests: edit one as if the registry had answered otherwise.

`audit --offline` checks every file against manifest.json, so a test that wants the engine
to see another recorded answer changes the file *and* its manifest record (what an
attacker who controls the directory can do too)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.registry.offline import (
    MANIFEST,
    Manifest,
    Recorded,
    attestations_path,
    packument_path,
    write_manifest,
)


def _load(root: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / MANIFEST).read_text())
    return doc


def _save(root: Path, doc: dict[str, Any]) -> None:
    def records(section: dict[str, Any]) -> dict[str, Recorded]:
        return {
            k: Recorded(v["status"], v.get("registry"), v.get("sha256"), v.get("size"))
            for k, v in section.items()
        }

    write_manifest(
        root,
        Manifest(
            tool_version=doc["tool_version"],
            fetched_at=doc["fetched_at"],
            registries=tuple(doc["registries"]),
            attestations=records(doc["attestations"]),
            packuments=records(doc["packuments"]),
        ),
    )


def empty_offline(root: Path) -> Path:
    """A directory `audit fetch` would write for a lockfile with no registry package."""
    root.mkdir(parents=True, exist_ok=True)
    write_manifest(root, Manifest("test", "2026-01-01T00:00:00Z", (), {}, {}))
    return root


def record(root: Path, kind: str, key: str, body: bytes | None) -> None:
    """Record another answer: `body` (status 200), or None for a 404.  `kind` is
    "attestations" (key `name@version`) or "packuments" (key `name`)."""
    doc = _load(root)
    path = _path(root, kind, key)
    registry = doc[kind].get(key, {}).get("registry")
    if body is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    doc[kind][key] = Recorded.of(200 if body is not None else 404, body, registry).to_json(None)
    _save(root, doc)


def forget(root: Path, kind: str, key: str) -> None:
    """As if the request had never been made (a fetch that failed for it)."""
    doc = _load(root)
    doc[kind].pop(key, None)
    _path(root, kind, key).unlink(missing_ok=True)
    _save(root, doc)


def _path(root: Path, kind: str, key: str) -> Path:
    if kind == "attestations":
        name, _, version = key.rpartition("@")
        return attestations_path(root, name, version)
    return packument_path(root, key)
