"""Data that flows through the pipeline: lockfile -> fetch -> verify -> policy -> report.

Every type here is an immutable value.  "Could not check" is a status in the data,
never an exception: a package whose data could not be fetched is `Status.ERROR`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from auditor.reasons import INTEGRITY_REASONS as INTEGRITY_REASONS  # re-exported

# The one size limit of an attestations response, wherever it comes from: the HTTP client's
# cap, offline and cache reads, and the verifier.  Larger is `error` FETCH_TOO_LARGE (the
# data could not be judged), never `invalid`: size is not evidence of tampering.
MAX_ATTESTATIONS_BYTES = 10 * 2**20
# The largest packument the HTTP client accepts; the response cache keeps nothing larger, so a
# cache read stops there too (a planted entry cannot cost more memory than a fresh fetch).
MAX_PACKUMENT_BYTES = 64 * 2**20

# OIDC issuers named in certificates (Fulcio's issuer extension), for the checks that
# treat a forge's own CI differently (identity binding, hosted builders).
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"


_T = TypeVar("_T")


def slot_init(cls: type[_T]) -> type[_T]:
    """Give a frozen slots dataclass an `__init__` that writes each slot through its
    descriptor.  The generated one calls `object.__setattr__` per field (frozen), which made
    building a 5,000-package lockfile's `Package`s cost 27 ms of CPU instead of 10 in every
    lockfile parser (`make bench parse`); each package also gets an `IntegrityCheck` and a
    `Hash`.  Same parameters, defaults and result:
    tests/test_models.py holds it to the dataclass's own `__init__`, kept as
    `__dataclass_init__`."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    params, body = [], []
    scope: dict[str, Any] = {}
    for f in fields:
        if not f.init or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: slot_init needs plain init fields")
        scope[f"_set_{f.name}"] = getattr(cls, f.name).__set__
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set_{f.name}(self, {f.name})")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: slot_init does not call __post_init__")
    # As dataclasses builds its own __init__: source from the field names, nothing else.
    exec(f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body), scope)
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__dataclass_init__ = cls.__init__  # type: ignore[attr-defined]
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


class SourceKind(StrEnum):
    """Where a lockfile entry comes from.  Only `REGISTRY` packages can carry attestations."""

    REGISTRY = "registry"
    GIT = "git"
    REMOTE = "remote"  # a tarball URL outside any registry
    FILE = "file"  # file: tarball or directory
    LINK = "link"  # symlink / workspace member
    BUNDLED = "bundled"  # shipped inside another package's tarball


class Status(StrEnum):
    """The verdict on one package."""

    VERIFIED = "verified"  # provenance verified (and the publish attestation when present)
    PUBLISH_ONLY = "publish-only"  # only the registry's publish attestation, verified
    UNATTESTED = "unattested"  # the registry has no attestations for this version
    INVALID = "invalid"  # attestations present but verification or binding failed
    ERROR = "error"  # data could not be fetched or decoded: undecided
    NOT_APPLICABLE = "not-applicable"  # not from a registry: provenance cannot exist


class Level(StrEnum):
    """How much a finding matters.  `off` disables a rule."""

    ERROR = "error"
    WARNING = "warning"
    OFF = "off"


@slot_init
@dataclass(frozen=True, slots=True)
class Hash:
    """One hash of a Subresource Integrity string."""

    algorithm: str  # as npm recognises it: lower case (sha512, sha1, ...)
    digest: bytes

    @property
    def hex(self) -> str:
        return self.digest.hex()

    @property
    def sri(self) -> str:
        return f"{self.algorithm}-{base64.b64encode(self.digest).decode()}"


# npm checks a tarball with ssri (npm/ssri lib/index.js, see docs/lockfile.md): a token is
# `alg-digest[?opts]` with `alg` in lower case ASCII letters and digits and known to Node's
# crypto; other tokens are ignored.  It checks the one algorithm of highest priority present
# and accepts the tarball when its digest, base64 as Node prints it, equals ANY digest of that
# algorithm, compared as text.
_SSRI_TOKEN = re.compile(r"([a-z0-9]+)-([^?]+)(\?.*)?", re.DOTALL)
# JavaScript's `\s` (ssri splits the value on /\s+/), which is not Python's str.split().
_JS_SPACE = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
)
# crypto.getHashes() names that the token pattern can spell (Node 20, OpenSSL 3).  Which of
# these Node knows only decides whether npm checks nothing or checks a weak algorithm: never
# `verified` either way.
_NODE_HASHES = frozenset(
    {
        "blake2b512",
        "blake2s256",
        "md5",
        "ripemd",
        "ripemd160",
        "rmd160",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "shake128",
        "shake256",
        "sm3",
    }
)
# ssri's DEFAULT_PRIORITY (weakest first); an algorithm not listed ranks below all of them.
_SSRI_PRIORITY = ("md5", "whirlpool", "sha1", "sha224", "sha256", "sha384", "sha512")
_SRI_SIZES = {"md5": 16, "sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}


@slot_init
@dataclass(frozen=True, slots=True)
class IntegrityCheck:
    """What npm checks a fetched tarball against, for one lockfile `integrity` value."""

    algorithm: str | None  # the algorithm npm checks; None: npm checks nothing
    accepted: tuple[str, ...]  # the digests (as written) of that algorithm: any one passes
    hashes: tuple[Hash, ...]  # every recognised hash whose digest is well-formed
    reason: str | None = None  # INTEGRITY_REASONS code; None: exactly one sha512 is accepted
    problem: str | None = None  # a precise message for `reason`

    @property
    def sha512(self) -> bytes | None:
        """The one sha512 npm accepts, or None when it accepts other bytes too (or none)."""
        if self.reason is not None:
            return None
        return base64.b64decode(self.accepted[0])


def _canonical(digest: str, size: int | None) -> bytes | None:
    """The bytes of `digest` if it is base64 exactly as Node prints a digest, else None."""
    try:
        raw = base64.b64decode(digest, validate=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != digest or (size is not None and len(raw) != size):
        return None
    return raw


def _rank(algorithm: str) -> int:
    return _SSRI_PRIORITY.index(algorithm) if algorithm in _SSRI_PRIORITY else -1


# What npm and Yarn write: one sha512, base64 exactly as Node prints 64 bytes (85 characters,
# a last one whose four spare bits are zero, "==").  `check_integrity` reads it in one step;
# tests/test_models.py holds that to the general reading.
ONE_SHA512 = re.compile(r"sha512-[A-Za-z0-9+/]{85}[AQgw]==")


def check_integrity(value: object) -> IntegrityCheck:
    """Read a lockfile `integrity` value exactly as npm's ssri does (never raises)."""
    if isinstance(value, str) and ONE_SHA512.fullmatch(value):
        digest = value[7:]
        return IntegrityCheck("sha512", (digest,), (Hash("sha512", binascii.a2b_base64(digest)),))
    return read_integrity(value)


def read_integrity(value: object) -> IntegrityCheck:
    """`check_integrity` without its one-step reading of the common form."""
    if value is None:
        return IntegrityCheck(None, (), (), "MISSING_INTEGRITY", "no integrity in the lockfile")
    if not isinstance(value, str):
        return IntegrityCheck(None, (), (), "INTEGRITY_MALFORMED", "integrity is not a string")
    tokens = [t for t in _JS_SPACE.split(value) if t]
    if not tokens:  # ssri: an empty value is no integrity at all
        return IntegrityCheck(None, (), (), "MISSING_INTEGRITY", "the integrity is empty")
    by_alg: dict[str, list[str]] = {}  # insertion order is ssri's tie-break
    hashes: list[Hash] = []
    ignored: list[str] = []
    for token in tokens:
        m = _SSRI_TOKEN.fullmatch(token)
        if m is None or m.group(1) not in _NODE_HASHES:
            ignored.append(token)
            continue
        alg, digest = m.group(1), m.group(2)
        by_alg.setdefault(alg, []).append(digest)
        raw = _canonical(digest, _SRI_SIZES.get(alg))
        if raw is not None:
            hashes.append(Hash(alg, raw))
    if not by_alg:
        return IntegrityCheck(
            None,
            (),
            (),
            "INTEGRITY_UNCHECKED",
            f"npm recognises no hash in the integrity (ignores {_quote(ignored[0])})",
        )
    algorithm = next(iter(by_alg))
    for alg in by_alg:
        if _rank(alg) > _rank(algorithm):
            algorithm = alg
    accepted = tuple(dict.fromkeys(by_alg[algorithm]))
    found = tuple(hashes)
    if algorithm != "sha512":
        return IntegrityCheck(
            algorithm,
            accepted,
            found,
            "WEAK_INTEGRITY",
            f"npm checks only {algorithm}, which cannot be bound to a sha512 attestation",
        )
    for digest in accepted:
        if _canonical(digest, 64) is None:
            return IntegrityCheck(
                algorithm,
                accepted,
                found,
                "INTEGRITY_MALFORMED",
                f"sha512 digest {_quote(digest)} is not the base64 of 64 bytes",
            )
    if len(accepted) > 1:
        return IntegrityCheck(
            algorithm,
            accepted,
            found,
            "INTEGRITY_AMBIGUOUS",
            f"npm accepts any of {len(accepted)} different sha512 hashes",
        )
    return IntegrityCheck(algorithm, accepted, found)


def _quote(text: str) -> str:
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def parse_sri(value: str) -> tuple[Hash, ...]:
    """The well-formed hashes npm recognises in an SRI string.  Raises ValueError when npm
    would check nothing or a hash it checks is malformed."""
    check = check_integrity(value)
    if check.reason in ("MISSING_INTEGRITY", "INTEGRITY_UNCHECKED", "INTEGRITY_MALFORMED"):
        raise ValueError(check.problem)
    return check.hashes


@slot_init
@dataclass(frozen=True, slots=True)
class Package:
    """One distinct resolved package of the lockfile (all its install paths merged)."""

    name: str  # the real package name (aliases resolved)
    version: str
    source: SourceKind
    integrity: str | None = None  # the SRI string as written in the lockfile
    hashes: tuple[Hash, ...] = ()  # the well-formed hashes npm recognises in `integrity`
    integrity_problem: str | None = None  # why npm's check does not pin one sha512
    resolved: str | None = None
    paths: tuple[str, ...] = ()  # every `packages` key (v2/v3) or synthesized path (v1)
    aliases: tuple[str, ...] = ()  # names it is installed under when aliased
    dev: bool = False
    optional: bool = False
    dev_optional: bool = False
    peer: bool = False
    in_bundle: bool = False
    has_install_script: bool = False
    direct: bool = False
    line: int = 0  # 1-based line of the first entry's key in the lockfile
    integrity_reason: str | None = None  # INTEGRITY_REASONS code when it does not pin one sha512
    # A registry spec (range, tag, alias) its dependents require it by, when none asks for a
    # URL, git or path: a non-registry `resolved` then is not what they asked for.
    registry_spec: str | None = None
    # Why the alias (v2/v3 `name`, v1 `npm:` version) is malformed: the package is `error`
    # (ALIAS_INVALID) and nothing is requested for it, under any name.
    alias_problem: str | None = None
    # `name@version` of every package its entries' dependency lists resolve to (Node's
    # lookup from each install path), sorted; empty when the format records no graph
    # (`Lockfile.graph` says whether it does).
    dependencies: tuple[str, ...] = ()
    # Where the sha512 that binds attestations comes from: "lockfile" (its `integrity`, the
    # hash the package manager checks) or "packument" (Yarn Berry: the lockfile's checksum
    # hashes Yarn's own zip, so only the registry's `dist.integrity` for this version can
    # bind, and only when the registry's signature over name@version:integrity verifies).
    integrity_source: str = "lockfile"

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def integrity_binding(self) -> str | None:
        """What binds attestations to the installed bytes: "lockfile" (its integrity),
        "packument" (the registry's signed dist.integrity, Yarn Berry), "none" (nothing pins
        one sha512: never `verified`); None for a package not from a registry."""
        if self.source is not SourceKind.REGISTRY:
            return None
        # As the verifier reads it: the integrity string, read as npm's ssri reads it.
        if self.integrity_reason is not None or check_integrity(self.integrity).reason:
            return "none"
        return self.integrity_source

    @property
    def production(self) -> bool:
        """Installed in production (`npm install --omit=dev`)."""
        return not (self.dev or self.dev_optional)

    @property
    def sha512(self) -> bytes | None:
        """The one sha512 npm would accept for this entry; None when it would accept other
        bytes too (several sha512 hashes, a weaker algorithm) or check nothing."""
        if self.integrity_reason is not None:
            return None
        digests = {h.digest for h in self.hashes if h.algorithm == "sha512"}
        if len(digests) != 1 or max(_rank(h.algorithm) for h in self.hashes) != _rank("sha512"):
            return None
        return digests.pop()

    @property
    def sha1_only(self) -> bool:
        return bool(self.hashes) and all(h.algorithm == "sha1" for h in self.hashes)


@dataclass(frozen=True, slots=True)
class Lockfile:
    """A parsed lockfile of any format (auditor.lockfile.formats)."""

    path: str
    lockfile_version: int  # the format's own version number (pnpm 9.0 -> 9)
    name: str | None
    packages: tuple[Package, ...]  # sorted by (name, version, integrity)
    workspaces: tuple[str, ...] = ()
    format: str = "npm"  # the format's registry name: npm, pnpm, yarn-classic, yarn-berry, bun
    # True when `Package.dependencies` holds the dependency graph (npm lockfiles); a format
    # without one leaves it False and graph-based checks fail closed.
    graph: bool = False


def strip_ref(uri: str, ref: str | None = None) -> str:
    """`<path>` of a `<path>@<ref>` URI (Build Config/Signer URI), cut at the ref boundary.

    Not at the first `@`: a workflow file (`release@v2.yml`) or a branch
    (`refs/heads/fix@2`) may contain one.  The certificate's ref, when the URI ends with
    it, is exact; else the first `@refs/` (a file name holds no `/`); else the last `@`
    (a commit or tag ref of a reusable workflow).
    """
    if ref and uri.endswith("@" + ref):
        return uri[: -len(ref) - 1]
    at = uri.find("@refs/")
    if at >= 0:
        return uri[:at]
    return uri.rpartition("@")[0] or uri


@dataclass(frozen=True, slots=True)
class Identity:
    """The signer identity, read from the Fulcio certificate (never from the predicate)."""

    issuer: str | None = None
    source_repository: str | None = None  # Source Repository URI (.12, or .5 fallback)
    repository_id: str | None = None  # .15
    owner_id: str | None = None  # .17
    owner_uri: str | None = None  # .16
    ref: str | None = None  # .14 (.6)
    commit: str | None = None  # .13 (.3)
    workflow: str | None = None  # Build Config URI (.18): the top-level workflow
    build_signer: str | None = None  # Build Signer URI (.9) = SAN for CI identities
    runner_environment: str | None = None  # .11
    trigger: str | None = None  # .20 (.2)
    invocation: str | None = None  # .21
    visibility: str | None = None  # .22
    san: str | None = None
    builder_id: str | None = None  # SLSA builder id, only where the certificate vouches for it
    build_type: str | None = None  # SLSA predicate build type

    @property
    def workflow_path(self) -> str | None:
        """`.github/workflows/x.yml` from the Build Config URI (repository and @ref removed;
        the repository part compared as `repository_key` does)."""
        uri = self.workflow
        if not uri:
            return None
        path = strip_ref(uri, self.ref)
        repo = repository_key(self.source_repository)
        if repo:
            for prefix in (repo + "/", repo + ".git/"):
                if path.lower().startswith(prefix):
                    return path[len(prefix) :].lstrip("/")
        return path.lstrip("/")


def repository_key(uri: str | None) -> str | None:
    """A repository URI for comparison: forges treat owner/name case-insensitively, and a
    trailing .git or / names the same repository."""
    if uri is None:
        return None
    return uri.strip().rstrip("/").lower().removesuffix(".git")


@dataclass(frozen=True, slots=True)
class AttestationInfo:
    """What one verified (or attempted) attestation was."""

    predicate_type: str
    bundle_media_type: str | None = None
    tlog_kind: str | None = None
    log_index: int | None = None
    signed_at: datetime | None = None  # verified time (SET integratedTime or TSA)
    key_id: str | None = None  # npm key id for publish attestations
    latest_at: datetime | None = None  # the latest verified time (several TSA tokens, SET)


def accepted_at(attestations: tuple[AttestationInfo, ...]) -> datetime | None:
    """When the registry accepted the version, as far as verified times show.

    The publish attestation is signed and logged by the registry when it accepts the
    version (its key id marks it), so its verified time is the acceptance time.  Without
    one, the latest verified time of the set: provenance can be signed any time before
    publication, so its earliest time says nothing about when the version appeared.
    """
    for info in attestations:
        if info.key_id is not None and info.signed_at is not None:
            return _utc(info.signed_at)
    times = [_utc(t) for info in attestations if (t := info.latest_at or info.signed_at)]
    return max(times) if times else None


def _utc(moment: datetime) -> datetime:
    """Naive datetimes (hand-built results) are UTC, so comparisons never raise."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """Output of `auditor.verify.verify_attestations` for one package."""

    status: Status  # VERIFIED, PUBLISH_ONLY or INVALID (ERROR: over the size limit)
    reason: str | None = None  # stable reason code for INVALID (e.g. DSSE_SIGNATURE)
    message: str | None = None  # precise human message for INVALID
    identity: Identity | None = None
    attestations: tuple[AttestationInfo, ...] = ()

    @property
    def signed_at(self) -> datetime | None:
        """Earliest verified signing time of the set."""
        times = [a.signed_at for a in self.attestations if a.signed_at is not None]
        return min(times) if times else None

    @property
    def accepted_at(self) -> datetime | None:
        """When the registry accepted the version (what the release-age check uses)."""
        return accepted_at(self.attestations)


class Evidence(StrEnum):
    """Strength of the evidence behind a version (its trust level), weakest first.

    `PUBLISH_ONLY` is a publish attestation or a registry signature without provenance;
    `TRUSTED_PUBLISHER` is provenance published through npm's OIDC trusted publishing;
    `STAGED_PUBLISH` is provenance whose publish a maintainer approved (npm's staged
    publishing, `_npmUser.approver`).  See `auditor.signals.levels`.
    """

    NONE = "none"
    PUBLISH_ONLY = "publish-only"
    PROVENANCE = "provenance"
    TRUSTED_PUBLISHER = "trusted-publisher"
    STAGED_PUBLISH = "staged-publish"

    @property
    def rank(self) -> int:
        return _EVIDENCE_ORDER.index(self)


_EVIDENCE_ORDER = [
    Evidence.NONE,
    Evidence.PUBLISH_ONLY,
    Evidence.PROVENANCE,
    Evidence.TRUSTED_PUBLISHER,
    Evidence.STAGED_PUBLISH,
]


class SignatureStatus(StrEnum):
    """The verdict on a version's registry signature (`dist.signatures`)."""

    VERIFIED = "verified"  # every signature verifies with a trusted key over name@version:integrity
    MISSING = "missing"  # the registry served no signature for this version
    INVALID = "invalid"  # a signature is present but does not verify, or binds other bytes


@dataclass(frozen=True, slots=True)
class RegistrySignature:
    """Outcome of checking the registry's ECDSA signature over `<name>@<version>:<integrity>`."""

    status: SignatureStatus
    keyid: str | None = None  # the key that verified (or that failed)
    reason: str | None = None  # stable code for MISSING and INVALID (e.g. SIGNATURE_INVALID)
    message: str | None = None  # precise human message (text reports)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What a packument says about one version (registry claims, not verified)."""

    version: str
    published: datetime | None = None
    integrity: str | None = None
    # dist.signatures as (keyid, sig) pairs; None when the field is absent.  Entries that
    # are not {keyid: str, sig: str} objects are kept as ("", "") so they fail verification.
    signatures: tuple[tuple[str, str], ...] | None = None
    provenance_advertised: bool = False  # dist.attestations.provenance present
    attestations_advertised: bool = False  # dist.attestations present
    trusted_publisher: bool = False  # _npmUser.trustedPublisher present
    # _npmUser.trustedPublisher.id ("github", "gitlab"), when it names one.
    trusted_publisher_id: str | None = None
    approver: bool = False  # _npmUser.approver present: a staged publish a maintainer approved
    publisher: str | None = None  # _npmUser.name: the account the registry says published it
    publisher_email: str | None = None  # _npmUser.email
    signed: bool = False  # dist.signatures is a non-empty list (known for every version)

    @property
    def evidence(self) -> Evidence:
        """The registry's claims as the downgrade check has read them since before trust
        levels (`auditor.signals.levels.claimed_level` reads the approver and signatures)."""
        if self.trusted_publisher and self.provenance_advertised:
            return Evidence.TRUSTED_PUBLISHER
        if self.provenance_advertised:
            return Evidence.PROVENANCE
        if self.attestations_advertised:
            return Evidence.PUBLISH_ONLY
        return Evidence.NONE


@dataclass(frozen=True, slots=True)
class Packument:
    """The parts of a packument the audit needs.

    `versions` holds the versions the audit asked for, and every version when the
    policy needs the history (`history`).  `full` is False for the abbreviated document
    (no publish times)."""

    name: str
    versions: dict[str, VersionInfo] = field(default_factory=dict)
    history: bool = True
    full: bool = True


@dataclass(frozen=True, slots=True)
class PackageResult:
    """Everything known about one package after fetch and verification."""

    package: Package
    status: Status
    reason: str | None = None  # stable code (verification reason, FETCH_*, NOT_REGISTRY, ...)
    message: str | None = None
    verification: VerificationResult | None = None
    packument: Packument | None = None  # only when the policy needed it and it was fetched
    registry: str | None = None  # registry base URL the package was fetched from (no secrets)
    registry_signature: RegistrySignature | None = (
        None  # None: not a registry package, or undecided
    )

    @property
    def identity(self) -> Identity | None:
        return self.verification.identity if self.verification else None

    @property
    def attestations(self) -> tuple[AttestationInfo, ...]:
        return self.verification.attestations if self.verification else ()

    @property
    def version_info(self) -> VersionInfo | None:
        if self.packument is None:
            return None
        return self.packument.versions.get(self.package.version)


@dataclass(frozen=True, slots=True)
class Finding:
    """One policy violation."""

    rule: str  # stable rule id, e.g. "identity-repository"
    level: Level  # ERROR or WARNING (never OFF)
    message: str
    package: str | None = None  # package name; None for global findings (coverage)
    version: str | None = None
    line: int | None = None
    evidence: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WaivedFinding:
    """A finding an unexpired `[[exception]]` waived: reported as waived, never failing."""

    finding: Finding
    exception: int  # index of the [[exception]] block
    reason: str
    expires: date | None = None


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A failure of the whole run rather than of one package: a registry that stopped
    answering.  Reported once (stderr, SARIF `toolExecutionNotifications`), never per package;
    it always makes the audit incomplete (exit 3)."""

    registry: str  # scheme://host[:port] only: a path or query could carry a secret
    source: str  # where the registry was configured (--registry, a .npmrc path, ...)
    message: str
    packages: frozenset[str] = frozenset()  # name@version of the packages it left undecided

    def describe(self) -> str:
        return (
            f"registry {self.registry} (configured by {self.source}) is unreachable: "
            f"{self.message}; {len(self.packages)} package(s) not checked"
        )


@dataclass(frozen=True, slots=True)
class TrustFile:
    """One trust file a run used: what it is, where it came from, its path and its date."""

    kind: str  # "trusted_root" or "npm_keys"
    source: str  # "refreshed" (audit trust update), "pinned" (in the package), "option"
    path: str
    date: str | None  # refreshed: when fetched; otherwise the newest validFor.start it lists


class ChangeKind(StrEnum):
    """What happened to a package name (a `str`: compares equal to "added" etc.)."""

    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Change:
    """One change between the base and the head lockfile (pull-request mode; computed by
    `auditor.diff`, written as `Report.changes`).

    `before`/`after` are versions (None on the side where the package does not exist);
    `line` is the head lockfile line of the new entry (None for a removal, whose line is
    in the base file, not the one reports point at).
    """

    kind: ChangeKind
    name: str
    before: str | None
    after: str | None
    line: int | None
    before_package: Package | None = None
    after_package: Package | None = None

    @property
    def spec(self) -> str:
        """`name@after` (or `name@before` for a removal)."""
        return f"{self.name}@{self.after if self.after is not None else self.before}"


@dataclass(frozen=True, slots=True)
class Report:
    """The complete outcome of one audit; formats are pure functions of it."""

    tool_version: str
    lockfile: str  # as given on the command line (reports print it relative)
    results: tuple[PackageResult, ...]  # sorted by (name, version)
    findings: tuple[Finding, ...]  # sorted
    policy: str | None = None  # the policy file path, or None for the built-in default
    changes: tuple[Change, ...] = ()  # filled by the pull-request (base) mode
    generated_at: datetime | None = None
    waived: tuple[WaivedFinding, ...] = ()  # findings the policy's exceptions waived
    # The level the policy gives every rule (SARIF severities follow it); empty: unknown.
    rule_levels: dict[str, Level] = field(default_factory=dict)
    fail_on: str = "error"  # --fail-on: the lowest level that fails (error, warning, never)
    failures: tuple[RunFailure, ...] = ()  # run-level failures (an unreachable registry)
    # The lockfile asked for when npm installs from `lockfile` instead (and why), else None.
    lockfile_requested: str | None = None
    lockfile_note: str | None = None
    base: str | None = None  # pull-request mode: the base lockfile or git ref compared with
    # Which trust material verified the run: {"trusted_root"|"npm_keys": TrustFile}.
    trust: tuple[TrustFile, ...] = ()
    lockfile_format: str = "npm"  # `Lockfile.format` of the audited lockfile (JSON next to it)
