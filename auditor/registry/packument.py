"""Packument JSON (full or abbreviated) -> `models.Packument` (only what the policy uses)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from auditor.models import Packument, VersionInfo

_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")


class PackumentError(ValueError):
    """The document is not a packument."""


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _version_info(version: str, doc: dict[str, Any], published: datetime | None) -> VersionInfo:
    dist = doc.get("dist")
    dist = dist if isinstance(dist, dict) else {}
    att = dist.get("attestations")
    has_att = isinstance(att, dict)
    provenance = isinstance(att, dict) and isinstance(att.get("provenance"), dict)
    user = doc.get("_npmUser")
    trusted = isinstance(user, dict) and bool(user.get("trustedPublisher"))
    scripts = doc.get("scripts")
    install = doc.get("hasInstallScript") is True or (
        isinstance(scripts, dict) and any(k in scripts for k in _INSTALL_SCRIPTS)
    )
    integrity = dist.get("integrity")
    return VersionInfo(
        version=version,
        published=published,
        integrity=integrity if isinstance(integrity, str) else None,
        provenance_advertised=provenance,
        attestations_advertised=has_att,
        trusted_publisher=trusted,
        has_install_script=install,
        deprecated=bool(doc.get("deprecated")),
    )


def parse_packument_doc(name: str, doc: object) -> Packument:
    if not isinstance(doc, dict):
        raise PackumentError("packument is not a JSON object")
    versions = doc.get("versions")
    if not isinstance(versions, dict):
        raise PackumentError("packument has no 'versions' object")
    times = doc.get("time")
    times = times if isinstance(times, dict) else {}
    infos: dict[str, VersionInfo] = {}
    for version, vdoc in versions.items():
        if isinstance(version, str) and isinstance(vdoc, dict):
            infos[version] = _version_info(version, vdoc, _time(times.get(version)))
    return Packument(name=name, versions=infos)


def parse_packument(name: str, body: bytes) -> Packument:
    """Raises PackumentError for anything that is not a packument JSON document."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise PackumentError("packument is not valid JSON") from None
    return parse_packument_doc(name, doc)
