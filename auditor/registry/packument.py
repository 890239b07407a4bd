"""Packument JSON (full or abbreviated) -> `models.Packument` (only what the audit uses).

Packuments can be many MiB (a hostile registry may serve 60 MiB with millions of
versions), so there are two parses:

* `history=False`: only the versions asked for are decoded.  Each is found by its key
  (`"<version>":{`), which in valid JSON can only be an object key: a quote inside a
  string is escaped.  The C decoder decodes just that object; nothing else of the
  document becomes Python objects, so memory is about the size of the body.
* `history=True` (trust-downgrade needs every version's evidence and publish time): the
  whole document is decoded, but every object is reduced to the few keys the audit reads
  while it is decoded, so readmes and manifests never live as Python objects.

Either way the packument is registry data: the parse decides nothing by itself; the
signature over `<name>@<version>:<integrity>` is what binds a version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from auditor.models import Packument, VersionInfo

# Keys any object in a packument keeps during the history parse (everything else is dropped
# as soon as its object is decoded).
_KEEP = frozenset(
    {
        "versions",
        "time",
        "dist",
        "attestations",
        "provenance",
        "signatures",
        "integrity",
        "keyid",
        "sig",
        "_npmUser",
        "trustedPublisher",
        "approver",
        "name",  # _npmUser.name (the publisher)
        "email",  # _npmUser.email
        "id",  # _npmUser.trustedPublisher.id
        "version",
    }
)
_DECODER = json.JSONDecoder()
_TIME_KEY = re.compile(r'"time"\s*:\s*\{')


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


def _signatures(dist: dict[str, Any]) -> tuple[tuple[str, str], ...] | None:
    sigs = dist.get("signatures")
    if sigs is None:
        return None
    if not isinstance(sigs, list):
        return (("", ""),)  # present but not a list: fails verification (malformed)
    out = []
    for entry in sigs[:16]:  # npm's registry sends one; a few more are tolerated
        if isinstance(entry, dict):
            keyid, sig = entry.get("keyid"), entry.get("sig")
            if isinstance(keyid, str) and isinstance(sig, str):
                out.append((keyid[:200], sig[:512]))
                continue
        out.append(("", ""))
    if len(sigs) > 16:
        out.append(("", ""))
    return tuple(out)


def _version_info(
    version: str, doc: dict[str, Any], published: datetime | None, *, wanted: bool = True
) -> VersionInfo:
    dist = doc.get("dist")
    dist = dist if isinstance(dist, dict) else {}
    att = dist.get("attestations")
    has_att = isinstance(att, dict)
    provenance = isinstance(att, dict) and isinstance(att.get("provenance"), dict)
    user = doc.get("_npmUser")
    user = user if isinstance(user, dict) else {}
    trusted_by = user.get("trustedPublisher")
    trusted = bool(trusted_by)
    trusted_id = trusted_by.get("id") if isinstance(trusted_by, dict) else None
    publisher = user.get("name")
    sigs = dist.get("signatures")
    integrity = dist.get("integrity")
    return VersionInfo(
        version=version,
        published=published,
        integrity=integrity if isinstance(integrity, str) and wanted else None,
        signatures=_signatures(dist) if wanted else None,
        provenance_advertised=provenance,
        attestations_advertised=has_att,
        trusted_publisher=trusted,
        trusted_publisher_id=_short(trusted_id),
        # Staged publishing rewrites `_npmUser` to the approving maintainer and adds
        # `approver` (any non-empty value, as pnpm reads it).
        approver=bool(user.get("approver")),
        publisher=_short(publisher),
        publisher_email=_short(user.get("email"), 254),
        signed=isinstance(sigs, list) and bool(sigs),
    )


def _short(value: object, limit: int = 214) -> str | None:
    """A registry string kept for reports: bounded (npm names are at most 214 characters)."""
    return value[:limit] if isinstance(value, str) and value else None


def parse_packument_doc(
    name: str, doc: object, wanted: Iterable[str] | None = None, *, full: bool = True
) -> Packument:
    """Every version of a decoded document (details only for `wanted`, None: all)."""
    if not isinstance(doc, dict):
        raise PackumentError("packument is not a JSON object")
    versions = doc.get("versions")
    if not isinstance(versions, dict):
        raise PackumentError("packument has no 'versions' object")
    times = doc.get("time")
    times = times if isinstance(times, dict) else {}
    want = None if wanted is None else frozenset(wanted)
    infos: dict[str, VersionInfo] = {}
    for version, vdoc in versions.items():
        if isinstance(version, str) and isinstance(vdoc, dict):
            infos[version] = _version_info(
                version,
                vdoc,
                _time(times.get(version)),
                wanted=want is None or version in want,
            )
    return Packument(name=name, versions=infos, history=True, full=full)


def _pairs_hook(wanted: frozenset[str] | None) -> Any:
    """object_pairs_hook of the history parse: entries of the `versions` and `time` maps
    (version keys) are kept; any other key only when the audit reads it.  An object left
    empty keeps a placeholder so that it stays truthy (`trustedPublisher: {...}`)."""

    def keep(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {
            key: value
            for key, value in pairs
            if key in _KEEP
            or (
                isinstance(value, dict | str)
                and ((key[:1].isdigit() and len(key) <= 256) or (wanted and key in wanted))
            )
        }
        if pairs and not out:
            out[""] = None
        return out

    return keep


def parse_packument(
    name: str,
    body: bytes,
    wanted: Iterable[str] | None = None,
    *,
    history: bool = True,
    full: bool = True,
) -> Packument:
    """Raises PackumentError for anything that is not a packument JSON document.

    `wanted`: the versions the audit needs in detail (None: all).  `history=False` decodes
    only those (see the module docstring); `full=False` marks an abbreviated document.
    """
    if not history and wanted is not None:
        return _parse_wanted(name, body, frozenset(wanted), full)
    try:
        doc = json.loads(
            body,
            object_pairs_hook=_pairs_hook(None if wanted is None else frozenset(wanted)),
        )
    except (ValueError, RecursionError):
        raise PackumentError("packument is not valid JSON") from None
    return parse_packument_doc(name, doc, wanted, full=full)


def _parse_wanted(name: str, body: bytes, wanted: frozenset[str], full: bool) -> Packument:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PackumentError("packument is not UTF-8") from None
    head = text.lstrip()[:1]
    if head != "{" or '"versions"' not in text:
        raise PackumentError("packument has no 'versions' object")
    infos: dict[str, VersionInfo] = {}
    for version in sorted(wanted):
        doc = _find_object(text, version)
        if doc is None:
            continue
        published = _find_time(text, version) if full else None
        infos[version] = _version_info(version, doc, published)
    return Packument(name=name, versions=infos, history=False, full=full)


def _find_object(text: str, version: str) -> dict[str, Any] | None:
    """The `"<version>":{...}` object: the last one whose `version` field is that version,
    else the last one (JSON.parse keeps the last of duplicate keys; a version document
    normally names its version, an object nested elsewhere under that key does not).
    Each candidate is decoded at most once and the search resumes after it, so the work
    is linear in the body."""
    pattern = re.compile(re.escape(json.dumps(version)) + r"\s*:\s*\{")
    named: dict[str, Any] | None = None
    last: dict[str, Any] | None = None
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return named if named is not None else last
        start = m.end() - 1
        try:
            obj, end = _DECODER.raw_decode(text, start)
        except (ValueError, RecursionError):
            pos = m.end()
            continue
        if isinstance(obj, dict):
            last = obj
            if obj.get("version") == version:
                named = obj
        pos = end


def _find_time(text: str, version: str) -> datetime | None:
    """`time[version]` of the top-level `time` map, found the same way."""
    key = re.compile(re.escape(json.dumps(version)) + r'\s*:\s*"')
    for t in _TIME_KEY.finditer(text):
        m = key.search(text, t.end())
        if m is None:
            return None
        close = text.find("}", t.end())
        if close != -1 and close < m.start():
            continue  # this `time` object ended before the key: not the map we want
        try:
            value, _ = _DECODER.raw_decode(text, m.end() - 1)
        except (ValueError, RecursionError):
            return None
        return _time(value)
    return None
