"""Helpers shared by the formats: safe strings, timestamps, evidence values, paths.

Everything a report prints may come from a hostile lockfile, registry or certificate, so
strings pass through an escaper of `auditor.sanitize` for their sink (`clean` is the
terminal one).
"""

from __future__ import annotations

import contextlib
import math
import os
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path, PurePath

from auditor.models import (
    Change,
    Identity,
    PackageResult,
    Report,
    SignatureStatus,
    SourceKind,
    Status,
)
from auditor.sanitize import terminal

clean = terminal  # the terminal escaper, under the name the formats use

# Evidence is policy-made, but bound it anyway: a report must not explode on odd values.
_MAX_DEPTH = 8
_MAX_STRING = 4096
_MAX_ITEMS = 1000


def truncate(text: str, width: int) -> str:
    """Cut `text` to `width` characters, marking the cut with an ellipsis."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def rfc3339(value: datetime | None) -> str | None:
    """UTC, second precision, `Z` suffix.  A naive time is taken as UTC (the models store UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_safe(value: object, depth: int = 0) -> object:
    """A JSON-serialisable copy of an evidence value, bounded in depth and size."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return json_safe(value.value, depth)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, str):
        return truncate(value, _MAX_STRING)
    if depth >= _MAX_DEPTH:
        return truncate(str(value), _MAX_STRING)
    if isinstance(value, dict):
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
        return {k: json_safe(v, depth + 1) for k, v in items[:_MAX_ITEMS]}
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value[:_MAX_ITEMS]]
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v, depth + 1) for v in value), key=repr)[:_MAX_ITEMS]
    if isinstance(value, PurePath):
        return value.as_posix()
    return truncate(str(value), _MAX_STRING)


def display_path(lockfile: str, cwd: Path | None = None) -> str:
    """The lockfile as reports print it: relative to the working directory when inside it."""
    cwd = cwd or Path.cwd()
    path = Path(lockfile)
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            path = Path(os.path.abspath(path)).relative_to(os.path.abspath(cwd))
    return path.as_posix()


def spec(name: str | None, version: str | None) -> str:
    """`name@version`, or what is known of it; global findings have neither."""
    if name is None:
        return "(global)"
    return f"{name}@{version}" if version else name


def identity_cells(identity: Identity | None) -> list[str]:
    """Repository, ref, workflow and runner of a signer, shortened for a table."""
    if identity is None:
        return ["-", "-", "-", "-"]
    repo = identity.source_repository or "-"
    for prefix in ("https://", "http://"):
        repo = repo.removeprefix(prefix)
    ref = identity.ref or "-"
    for prefix in ("refs/heads/", "refs/tags/"):
        ref = ref.removeprefix(prefix)
    workflow = (identity.workflow_path or "-").removeprefix(".github/workflows/")
    return [repo, ref, workflow, identity.runner_environment or "-"]


def change_cells(change: Change) -> list[str]:
    """Kind, package, before and after of a pull-request change."""
    return [str(change.kind), change.name, change.before or "-", change.after or "-"]


def count_levels(errors: int, warnings: int) -> str:
    """`1 error, 2 warnings`."""
    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def finding_detail(message: str, name: str | None, version: str | None) -> str:
    """The message without its leading `name@version` when a table already shows it."""
    if name is None:
        return message
    prefix = spec(name, version)
    if not message.startswith(prefix) or len(message) == len(prefix):
        return message
    rest = message[len(prefix) :]
    if rest[0] not in " :":
        return message  # `foo@1.0.0-beta`: the spec was only the start of a longer word
    return rest.lstrip(": ") or message


# Worst first, so a cut list never hides tampering or an undecided package.
_UNVERIFIED_ORDER = {Status.INVALID: 0, Status.ERROR: 1, Status.UNATTESTED: 2}


def unverified_results(report: Report) -> list[PackageResult]:
    """Registry packages without verified provenance (and undecided ones), worst first."""
    selected = [
        r
        for r in report.results
        if r.status is not Status.VERIFIED
        and (r.package.source is SourceKind.REGISTRY or r.status is Status.ERROR)
    ]
    return sorted(selected, key=lambda r: _UNVERIFIED_ORDER.get(r.status, 3))


def unsigned_results(report: Report) -> list[PackageResult]:
    """Registry packages whose registry signature is present but invalid, then missing."""
    selected = [
        r
        for r in report.results
        if r.registry_signature is not None
        and r.registry_signature.status is not SignatureStatus.VERIFIED
    ]
    return sorted(
        selected,
        key=lambda r: 0 if r.registry_signature and r.registry_signature.status == "invalid" else 1,
    )


def signature_cells(result: PackageResult) -> tuple[str, str]:
    """(status, why) of a package's registry signature, for tables."""
    sig = result.registry_signature
    if sig is None:
        return "-", "-"
    why = " ".join(x for x in (sig.reason, sig.message) if x) or "-"
    return str(sig.status), why
