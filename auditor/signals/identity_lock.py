"""The identity lock: who builds each dependency, recorded once and reviewed like code.

`audit lock --write FILE` records, for every package whose provenance verified, the
identity its certificate shows; `[identity_lock] file` makes `audit` compare every package
with it (by package name, any version).  The file is JSON, one line per package, sorted,
with every key written, so a pull request that changes an identity shows it in its diff:

    {
      "lockVersion": 1,
      "packages": {
        "sigstore": [{"builder": "https://github.com/actions/runner/github-hosted", ...}]
      }
    }

Each package name maps to the identities seen for it (usually one; several when the
lockfile installs versions built differently).  Loading is strict: anything else is a
one-line `IdentityLockError` (exit 2), because a lock that parses loosely could hide an
identity.  Text is written ASCII-only (`\\uXXXX` escapes), so a reviewer sees every
character of a hostile URI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.errors import AuditorError
from auditor.fileio import read_regular
from auditor.models import Evidence, Identity, PackageResult, Status, accepted_at, strip_ref
from auditor.names import valid_npm_name
from auditor.signals.levels import LEVEL_WORDS, trust_level

LOCK_VERSION = 1
MAX_LOCK_BYTES = 64 * 2**20
MAX_IDENTITIES = 64  # per package name
MAX_VALUE = 2048  # characters of one recorded value
_DIGITS = re.compile(r"[0-9]{1,20}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Fulcio added the Build Config URI, Build Signer URI, runner environment and the numeric
# ids in 2023; a certificate without them, accepted before this date, could not carry them.
LEGACY_CUTOFF = datetime(2024, 1, 1, tzinfo=UTC)


class IdentityLockError(AuditorError):
    """The identity lock file cannot be read or is malformed (exit 2, one line)."""


@dataclass(frozen=True, slots=True)
class LockedIdentity:
    """One recorded build identity (every value as the certificate states it; None: the
    certificate does not carry it)."""

    repository: str | None  # Source Repository URI
    repository_id: str | None  # numeric Source Repository Identifier
    owner_id: str | None  # numeric Source Repository Owner Identifier
    workflow: str | None  # the top-level workflow path (Build Config URI, repository removed)
    builder: str | None  # the SLSA builder id, where the certificate vouches for it
    signer: str | None  # the Build Signer URI without its ref (the workflow that signed)
    issuer: str | None  # the OIDC issuer
    level: Evidence  # the trust level when recorded

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: _text(getattr(self, f.name)) for f in fields(self)}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# The keys of one recorded identity, in file order.
IDENTITY_KEYS = tuple(sorted(f.name for f in fields(LockedIdentity)))


@dataclass(frozen=True, slots=True)
class IdentityLock:
    """Package name -> the identities recorded for it."""

    packages: Mapping[str, tuple[LockedIdentity, ...]]

    def get(self, name: str) -> tuple[LockedIdentity, ...] | None:
        return self.packages.get(name)


# ------------------------------------------------------------------ observed identities


def legacy_certificate(result: PackageResult, ident: Identity | None = None) -> bool:
    """The certificate predates Fulcio's 2023 claims (.9 onwards), by content and by time
    (the latest verified time, stricter than the earliest).  `ident`: the identity to read
    (default: the result's)."""
    ident = ident if ident is not None else result.identity
    if ident is None:
        return False
    if any(
        v is not None
        for v in (ident.build_signer, ident.runner_environment, ident.repository_id, ident.workflow)
    ):
        return False
    accepted = accepted_at(result.attestations)
    return accepted is not None and accepted < LEGACY_CUTOFF


def _workflow(ident: Identity, legacy: bool) -> str | None:
    path = ident.workflow_path
    if path is not None or not legacy or not ident.san or not ident.source_repository:
        return path
    # An old GitHub certificate names its workflow only in the SAN; a workflow of the
    # source repository itself there is the top-level one.
    uri = strip_ref(ident.san, ident.ref)
    repo = ident.source_repository.rstrip("/")
    return uri[len(repo) + 1 :] if uri.startswith(repo + "/") else None


def observed(result: PackageResult) -> LockedIdentity | None:
    """The identity of a package whose provenance verified, else None."""
    ident = result.identity
    level = trust_level(result)
    if result.status is not Status.VERIFIED or ident is None or level is None:
        return None
    legacy = legacy_certificate(result)
    signer = ident.build_signer or (ident.san if legacy else None)
    return LockedIdentity(
        repository=ident.source_repository,
        repository_id=ident.repository_id,
        owner_id=ident.owner_id,
        workflow=_workflow(ident, legacy),
        builder=ident.builder_id,
        signer=strip_ref(signer, ident.ref) if signer else None,
        issuer=ident.issuer,
        level=level,
    )


# ------------------------------------------------------------------ recording


def record(results: Iterable[PackageResult], previous: IdentityLock | None = None) -> IdentityLock:
    """The lock for `results`: every verified package's identity, by name.

    With `previous` (`audit lock --update`), entries of names not audited now are kept,
    and audited names get exactly the identities seen now (a deliberate refresh).
    """
    seen: dict[str, set[LockedIdentity]] = {}
    for r in results:
        got = observed(r)
        if got is not None:
            seen.setdefault(r.package.name, set()).add(got)
    packages: dict[str, tuple[LockedIdentity, ...]] = {}
    if previous is not None:
        packages.update(previous.packages)
    for name, identities in seen.items():
        packages[name] = tuple(sorted(identities, key=_identity_key))[:MAX_IDENTITIES]
    return IdentityLock(dict(sorted(packages.items())))


def _identity_key(i: LockedIdentity) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in (getattr(i, k) for k in IDENTITY_KEYS))


def dump_lock(lock: IdentityLock) -> str:
    """The file text: sorted, stable, one line per package, ASCII."""
    lines = ["{", f'  "lockVersion": {LOCK_VERSION},', '  "packages": {']
    names = sorted(lock.packages)
    for n, name in enumerate(names):
        entries = sorted(lock.packages[name], key=_identity_key)
        value = json.dumps(
            [e.as_dict() for e in entries],
            sort_keys=True,
            ensure_ascii=True,
            separators=(", ", ": "),
        )
        comma = "," if n < len(names) - 1 else ""
        lines.append(f"    {json.dumps(name, ensure_ascii=True)}: {value}{comma}")
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ loading


def lock_path(policy_path: Path, file: str) -> Path:
    """`[identity_lock] file`: relative to the policy file's directory, or absolute."""
    named = Path(file)
    return named if named.is_absolute() else policy_path.parent / named


def load_lock(path: Path) -> IdentityLock:
    """Read and validate a lock file.  Raises IdentityLockError (one line)."""
    try:
        data = read_regular(path, MAX_LOCK_BYTES)
    except FileNotFoundError:
        raise IdentityLockError(
            f"{path}: identity lock not found (record it with 'audit lock --write {path}')"
        ) from None
    except OSError as exc:
        raise IdentityLockError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_lock(data, str(path))


def parse_lock(data: bytes, label: str) -> IdentityLock:
    """Validate lock file bytes (`label` names it in messages)."""
    if len(data) > MAX_LOCK_BYTES:
        raise IdentityLockError(f"{label}: larger than {MAX_LOCK_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IdentityLockError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Duplicate as exc:
        raise IdentityLockError(f"{label}: duplicate key {exc.key!r}") from None
    except json.JSONDecodeError as exc:
        raise IdentityLockError(
            f"{label}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except (ValueError, RecursionError):
        raise IdentityLockError(f"{label}: not valid JSON") from None
    return _validate(doc, label)


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key[:80]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _validate(doc: object, label: str) -> IdentityLock:
    def fail(where: str, problem: str) -> IdentityLockError:
        return IdentityLockError(f"{label}: {where}: {problem}")

    if not isinstance(doc, dict):
        raise fail("top level", "not a JSON object (not an identity lock)")
    unknown = sorted(set(doc) - {"lockVersion", "packages"})
    if unknown:
        raise fail(repr(unknown[0])[:80], "unknown key")
    version = doc.get("lockVersion")
    if type(version) is not int or version != LOCK_VERSION:
        raise fail("lockVersion", f"expected {LOCK_VERSION}, found {json.dumps(version)[:40]}")
    packages = doc.get("packages")
    if not isinstance(packages, dict):
        raise fail("packages", "missing or not an object")
    out: dict[str, tuple[LockedIdentity, ...]] = {}
    for name, entries in packages.items():
        where = f"packages[{json.dumps(name, ensure_ascii=True)[:120]}]"
        if not valid_npm_name(name):
            raise fail(where, "not a valid npm package name")
        if not isinstance(entries, list) or not entries:
            raise fail(where, "not a non-empty list of identities")
        if len(entries) > MAX_IDENTITIES:
            raise fail(where, f"more than {MAX_IDENTITIES} identities")
        out[name] = tuple(
            _identity(entry, f"{where}[{i}]", fail) for i, entry in enumerate(entries)
        )
    return IdentityLock(out)


def _identity(entry: object, where: str, fail: Any) -> LockedIdentity:
    if not isinstance(entry, dict):
        raise fail(where, "not an object")
    keys = set(entry)
    if keys != set(IDENTITY_KEYS):
        extra = sorted(keys - set(IDENTITY_KEYS))
        if extra:
            raise fail(f"{where}.{extra[0][:60]}", "unknown key")
        missing = sorted(set(IDENTITY_KEYS) - keys)
        raise fail(f"{where}.{missing[0]}", "missing (write null when the certificate lacks it)")
    values: dict[str, str | None] = {}
    for key in IDENTITY_KEYS:
        value = entry[key]
        if value is not None and not isinstance(value, str):
            raise fail(f"{where}.{key}", "not a string or null")
        if isinstance(value, str) and (
            not value or len(value) > MAX_VALUE or _CONTROL.search(value)
        ):
            raise fail(f"{where}.{key}", "empty, too long or holds control characters")
        values[key] = value
    for key in ("repository_id", "owner_id"):
        value = values[key]
        if value is not None and not _DIGITS.fullmatch(value):
            raise fail(f"{where}.{key}", "not a numeric id (a string of digits)")
    level = values.pop("level")
    try:
        evidence = Evidence(level) if level is not None else None
    except ValueError:
        evidence = None
    if evidence is None or evidence.rank < Evidence.PROVENANCE.rank:
        allowed = ", ".join(e.value for e in Evidence if e.rank >= Evidence.PROVENANCE.rank)
        raise fail(f"{where}.level", f"expected one of {allowed}")
    if values["issuer"] is None:
        raise fail(f"{where}.issuer", "missing: every verified certificate names its issuer")
    return LockedIdentity(level=evidence, **values)


# ------------------------------------------------------------------ comparing


@dataclass(frozen=True, slots=True)
class Difference:
    """One recorded value the observed identity does not match."""

    field: str  # a LockedIdentity key, or "provenance"
    recorded: str | None
    observed: str | None


def _norm_repo(uri: str | None) -> str | None:
    if uri is None:
        return None
    return uri.strip().rstrip("/").lower().removesuffix(".git")


def _norm_issuer(uri: str | None) -> str | None:
    return uri.rstrip("/").lower() if uri is not None else None


def differences(
    recorded: LockedIdentity, now: LockedIdentity, *, legacy: bool = False
) -> list[Difference]:
    """What of `recorded` the observed identity `now` does not match.

    A value the lock does not have (null) is not compared.  A recorded value the
    certificate lacks is a difference, unless the certificate predates the claim
    (`legacy`).  The repository URI is compared only when the numeric ids cannot be (a
    renamed or transferred repository keeps its ids; a re-created one gets new ones).
    """
    out: list[Difference] = []

    def compare(name: str, a: str | None, b: str | None, norm: Any = None) -> None:
        if a is None:
            return
        if b is None:
            if not legacy:
                out.append(Difference(name, a, None))
            return
        if (norm(a) if norm else a) != (norm(b) if norm else b):
            out.append(Difference(name, a, b))

    compare("repository_id", recorded.repository_id, now.repository_id)
    compare("owner_id", recorded.owner_id, now.owner_id)
    ids = (recorded.repository_id, now.repository_id, recorded.owner_id, now.owner_id)
    if any(v is None for v in ids):
        compare("repository", recorded.repository, now.repository, _norm_repo)
    compare("workflow", recorded.workflow, now.workflow)
    compare("builder", recorded.builder, now.builder)
    compare("signer", recorded.signer, now.signer, _norm_repo)
    if recorded.issuer is not None and _norm_issuer(recorded.issuer) != _norm_issuer(now.issuer):
        out.append(Difference("issuer", recorded.issuer, now.issuer))
    if now.level.rank < recorded.level.rank:
        out.append(Difference("level", recorded.level.value, now.level.value))
    return out


@dataclass(frozen=True, slots=True)
class LockCheck:
    """The outcome of comparing one audited package with the lock."""

    name: str
    kind: str  # "changed" | "new" | "lost" (recorded with provenance, now without)
    recorded: LockedIdentity | None = None  # the closest recorded identity
    observed: LockedIdentity | None = None
    differences: tuple[Difference, ...] = ()


def check(lock: IdentityLock, result: PackageResult) -> LockCheck | None:
    """Compare one audited package with the lock; None when it matches (or is not judged:
    undecided, invalid, or not recorded and without provenance).

    The entry of its real name applies, and so does the entry of every name it is installed
    under (an alias): `node_modules/lodash` installing another package must show lodash's
    recorded identity, as requirement selectors follow install names (docs/policy.md).
    `LockCheck.name` is the recorded name that failed."""
    now = observed(result)
    names = (result.package.name, *result.package.aliases)
    judged = [(n, entries) for n in names if (entries := lock.get(n)) is not None]
    if not judged:
        return LockCheck(result.package.name, "new", None, now) if now is not None else None
    for name, recorded in judged:
        got = _check_entries(name, recorded, result, now)
        if got is not None:
            return got
    return None


def _check_entries(
    name: str,
    recorded: tuple[LockedIdentity, ...],
    result: PackageResult,
    now: LockedIdentity | None,
) -> LockCheck | None:
    if now is None:
        if result.status in (Status.UNATTESTED, Status.PUBLISH_ONLY, Status.NOT_APPLICABLE):
            level = trust_level(result) or Evidence.NONE
            return LockCheck(
                name,
                "lost",
                recorded[0],
                None,
                (Difference("provenance", "verified provenance", LEVEL_WORDS[level]),),
            )
        return None  # invalid (attestation-invalid) or error (incomplete): reported there
    legacy = legacy_certificate(result)
    best: tuple[LockedIdentity, list[Difference]] | None = None
    for entry in recorded:
        diffs = differences(entry, now, legacy=legacy)
        if not diffs:
            return None
        if best is None or len(diffs) < len(best[1]):
            best = (entry, diffs)
    assert best is not None  # recorded is never empty
    return LockCheck(name, "changed", best[0], now, tuple(best[1]))


def describe(c: LockCheck) -> str:
    """One line for a message: what differs, recorded -> observed."""
    if c.kind == "new":
        return "not in the identity lock"
    parts = [f"{d.field} {d.recorded!r} -> {d.observed!r}" for d in c.differences]
    return "; ".join(parts)
