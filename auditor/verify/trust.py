"""Trust material: the Sigstore trusted root and the npm registry's attestation keys.

Parsed once into ready-to-use keys and certificates with their validity windows.
`TrustMaterial` pickles as the two source documents' bytes and is rebuilt (once per
process, memoised by content digest) on unpickling, so the engine can ship it to a
process pool cheaply.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from auditor.errors import TrustError
from auditor.verify._util import PublicKey, parse_time, tbs_slices

_MAX_TRUST_FILE = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Window:
    """A `validFor` range, closed at both ends like Sigstore's TimeRange (None = open)."""

    start: datetime
    end: datetime | None = None

    def contains(self, when: datetime) -> bool:
        return self.start <= when and (self.end is None or when <= self.end)

    def __str__(self) -> str:
        end = f"{self.end.isoformat()}]" if self.end else "open)"
        return f"[{self.start.isoformat()}, {end}"


@dataclass(frozen=True, slots=True)
class TransparencyLog:
    """A Rekor log (tlog) or a certificate-transparency log (ctlog)."""

    base_url: str
    host: str
    log_id: bytes
    key: PublicKey
    window: Window
    # Rekor v1 logs are identified by SHA-256(SPKI) and sign SETs; anything else (Rekor v2:
    # C2SP key id) is a tile log whose checkpoint origin is just the host.
    rekor_v1: bool
    checkpoint_key_id: bytes | None = None  # `checkpointKeyId`, when the root names one

    @property
    def note_key_id(self) -> bytes:
        """The id whose first 4 bytes prefix this log's checkpoint signatures."""
        return self.checkpoint_key_id or self.log_id


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    """A Fulcio CA (chain[0] issues leaves) or a TSA (chain[0] is the TSA's signing cert)."""

    chain: tuple[x509.Certificate, ...]
    window: Window
    key: PublicKey | None = None  # chain[0]'s key, parsed once (verifies leaves)
    key_hash: bytes = b""  # SHA-256 of chain[0]'s SPKI (the SCT issuer key hash)
    subject_der: bytes = b""  # chain[0]'s subject, DER (compared with leaf issuers)


@dataclass(frozen=True, slots=True)
class NpmKey:
    key_id: str
    usage: str
    key: PublicKey
    spki: bytes
    window: Window


@dataclass(frozen=True)
class TrustMaterial:
    """Parsed trust.  Picklable: pickles as its source bytes, re-parsed once per process."""

    tlogs: tuple[TransparencyLog, ...]
    ctlogs: tuple[TransparencyLog, ...]
    fulcio: tuple[CertificateAuthority, ...]
    tsas: tuple[CertificateAuthority, ...]
    npm_keys: tuple[NpmKey, ...]
    source: tuple[bytes, bytes] = field(repr=False, compare=False, default=(b"", b""))

    def __reduce__(self) -> tuple[Any, tuple[bytes, bytes]]:
        return (_from_bytes_cached, self.source)

    def tlog(self, log_id: bytes) -> TransparencyLog | None:
        for log in self.tlogs:
            if log_id in (log.log_id, log.checkpoint_key_id):
                return log
        return None

    def ctlog(self, log_id: bytes) -> TransparencyLog | None:
        for log in self.ctlogs:
            if log.log_id == log_id:
                return log
        return None

    def npm_key(self, key_id: str, usage: str) -> NpmKey | None:
        for key in self.npm_keys:
            if key.key_id == key_id and key.usage == usage:
                return key
        return None


def load_trust(
    trusted_root: Path | None = None, npm_keys: Path | None = None, *, schema_check: bool = True
) -> TrustMaterial:
    """Load trust from explicit paths, or the pinned copies in `auditor/data/`.

    Never reads a cache and never touches the network.  Raises `TrustError`.
    `schema_check=False` skips the sigstore schema check of a user-supplied trusted root
    (our own parser still validates everything it uses); the caller must then run
    `check_trusted_root` itself, as the engine does in parallel with verification.
    """
    root_bytes = _read(trusted_root, "trusted_root.json", "trusted root")
    keys_bytes = _read(npm_keys, "npm-registry-keys.json", "npm keys")
    material = _from_bytes_cached(root_bytes, keys_bytes, _where(trusted_root), _where(npm_keys))
    if trusted_root is not None and schema_check:
        check_trusted_root(trusted_root)
    return material


def check_trusted_root(path: Path) -> None:
    """Validate a user-supplied trusted root against sigstore's model.  Raises `TrustError`."""
    _validate_with_sigstore(path)


def _read(path: Path | None, packaged: str, what: str) -> bytes:
    try:
        if path is None:
            data = resources.files("auditor").joinpath("data", packaged).read_bytes()
        else:
            with open(path, "rb") as handle:
                data = handle.read(_MAX_TRUST_FILE + 1)
    except OSError as exc:
        where = path if path is not None else f"auditor/data/{packaged}"
        raise TrustError(f"cannot read {what} {where}: {exc.strerror or exc}") from None
    if len(data) > _MAX_TRUST_FILE:
        raise TrustError(f"{what} {path} is larger than {_MAX_TRUST_FILE} bytes")
    return data


# The media types sigstore.models.TrustedRoot accepts (its TrustedRootType enum; a contract
# test keeps the two equal).
SIGSTORE_ROOT_MEDIA_TYPES = frozenset({"application/vnd.dev.sigstore.trustedroot+json;version=0.1"})


def _validate_with_sigstore(path: Path) -> None:
    """sigstore's trusted-root model is the schema check for user-supplied roots.

    `sigstore.models.TrustedRoot` is this model (sigstore-models, which sigstore pins to an
    exact version) plus a media-type check.  Importing `sigstore.models` also loads sigstore's
    network clients (requests, tuf, Rekor types): 0.15 s of CPU on every run that passes
    `--trusted-root`, for nothing a schema check uses.  A contract test holds that the two
    accept and reject the same roots.
    """
    from sigstore_models.trustroot.v1 import TrustedRoot

    data = _read(path, "", "trusted root")
    try:
        media_type = TrustedRoot.from_json(data).media_type
    except Exception as exc:  # pydantic/ValueError/...: any failure means "not a trusted root"
        raise TrustError(f"invalid trusted root {path}: {_schema_error(exc)[:200]}") from None
    if media_type not in SIGSTORE_ROOT_MEDIA_TYPES:
        raise TrustError(
            f"invalid trusted root {path}: unsupported trusted root format {media_type[:80]!r}"
        )


def _schema_error(exc: Exception) -> str:
    """The first problem a pydantic ValidationError lists ("tlogs.0.logId: Field required"),
    else the exception's first line."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            return f"{where}: {first['msg']}" if where else str(first["msg"])
        except Exception:  # not pydantic's shape after all
            pass
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_CACHE: dict[bytes, TrustMaterial] = {}
_CACHE_LOCK = threading.Lock()


def _where(path: Path | None) -> str:
    return f" {path}" if path is not None else ""


def _from_bytes_cached(
    root_bytes: bytes, keys_bytes: bytes, root_name: str = "", keys_name: str = ""
) -> TrustMaterial:
    digest = hashlib.sha256(
        hashlib.sha256(root_bytes).digest() + hashlib.sha256(keys_bytes).digest()
    ).digest()
    with _CACHE_LOCK:
        cached = _CACHE.get(digest)
    if cached is not None:
        return cached
    material = _from_bytes(root_bytes, keys_bytes, root_name, keys_name)
    with _CACHE_LOCK:
        if len(_CACHE) > 16:  # bounded: trust is normally one or two documents per process
            _CACHE.clear()
        _CACHE[digest] = material
    return material


def _from_bytes(
    root_bytes: bytes, keys_bytes: bytes, root_name: str = "", keys_name: str = ""
) -> TrustMaterial:
    """Parse both documents; the names (" path" or "") only label errors."""
    try:
        root = json.loads(root_bytes)
    except (ValueError, RecursionError):
        raise TrustError(f"invalid trusted root{root_name}: not JSON") from None
    try:
        keys_doc = json.loads(keys_bytes)
    except (ValueError, RecursionError):
        raise TrustError(f"invalid npm keys{keys_name}: not JSON") from None
    try:
        tlogs, ctlogs, fulcio, tsas = _parse_root(root)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TrustError(f"invalid trusted root{root_name}: {_one_line(exc)}") from None
    try:
        keys = _parse_npm_keys(keys_doc)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TrustError(f"invalid npm keys{keys_name}: {_one_line(exc)}") from None
    return TrustMaterial(tlogs, ctlogs, fulcio, tsas, keys, (root_bytes, keys_bytes))


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return f"missing {exc.args[0]!r}"[:200]
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a base64 string")
    return base64.b64decode(value, validate=True)


def _window(obj: Any, what: str) -> Window:
    if not isinstance(obj, dict) or "start" not in obj:
        raise ValueError(f"{what}: validFor.start is missing")
    start = parse_time(obj["start"], f"{what} validFor.start")
    end = parse_time(obj["end"], f"{what} validFor.end") if obj.get("end") else None
    return Window(start, end)


def _public_key(raw: bytes, what: str) -> PublicKey:
    try:
        key = serialization.load_der_public_key(raw)
    except ValueError:
        raise ValueError(f"{what}: public key is not DER SPKI") from None
    if isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        return key
    raise ValueError(f"{what}: unsupported key type {type(key).__name__}")


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _host(base_url: str) -> str:
    parts = urlsplit(base_url)
    return parts.netloc or parts.path  # tolerate a bare host name


def _parse_log(entry: Any, what: str) -> TransparencyLog:
    if not isinstance(entry, dict):
        raise ValueError(f"{what} is not an object")
    base_url = entry.get("baseUrl", "")
    if not isinstance(base_url, str):
        raise ValueError(f"{what}: baseUrl is not a string")
    pk = entry["publicKey"]
    key = _public_key(_b64(pk["rawBytes"], f"{what} rawBytes"), what)
    log_id = _b64(entry["logId"]["keyId"], f"{what} logId")
    spki_id = hashlib.sha256(_spki(key)).digest()
    checkpoint = entry.get("checkpointKeyId")
    checkpoint_id = _b64(checkpoint["keyId"], f"{what} checkpointKeyId") if checkpoint else None
    return TransparencyLog(
        base_url=base_url,
        host=_host(base_url),
        log_id=log_id,
        key=key,
        window=_window(pk.get("validFor"), what),
        rekor_v1=log_id == spki_id,
        checkpoint_key_id=checkpoint_id,
    )


def _parse_ca(entry: Any, what: str) -> CertificateAuthority:
    certs = entry["certChain"]["certificates"]
    if not isinstance(certs, list) or not certs:
        raise ValueError(f"{what}: empty certChain")
    chain = []
    for i, cert in enumerate(certs):
        try:
            chain.append(x509.load_der_x509_certificate(_b64(cert["rawBytes"], what)))
        except ValueError:
            raise ValueError(f"{what}: certificate {i} is not DER X.509") from None
    # The chain comes from the (trusted) root document; still refuse a broken one.
    for child, parent in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(parent)
        except Exception:
            raise ValueError(f"{what}: certChain is not a chain") from None
    issuer_key = chain[0].public_key()
    key_hash = hashlib.sha256(
        issuer_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).digest()
    key = (
        issuer_key
        if isinstance(
            issuer_key,
            ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey,
        )
        else None
    )
    return CertificateAuthority(
        tuple(chain),
        _window(entry.get("validFor"), what),
        key,
        key_hash,
        tbs_slices(chain[0].public_bytes(serialization.Encoding.DER))[2],
    )


def _parse_root(
    root: Any,
) -> tuple[
    tuple[TransparencyLog, ...],
    tuple[TransparencyLog, ...],
    tuple[CertificateAuthority, ...],
    tuple[CertificateAuthority, ...],
]:
    if not isinstance(root, dict):
        raise ValueError("not a JSON object")
    media = root.get("mediaType", "")
    if not isinstance(media, str) or not media.startswith(
        "application/vnd.dev.sigstore.trustedroot"
    ):
        raise ValueError(f"unexpected mediaType {str(media)[:80]!r}")
    tlogs = tuple(_parse_log(e, f"tlogs[{i}]") for i, e in enumerate(root.get("tlogs") or []))
    ctlogs = tuple(_parse_log(e, f"ctlogs[{i}]") for i, e in enumerate(root.get("ctlogs") or []))
    fulcio = tuple(
        _parse_ca(e, f"certificateAuthorities[{i}]")
        for i, e in enumerate(root.get("certificateAuthorities") or [])
    )
    tsas = tuple(
        _parse_ca(e, f"timestampAuthorities[{i}]")
        for i, e in enumerate(root.get("timestampAuthorities") or [])
    )
    if not tlogs:
        raise ValueError("no transparency log")
    return tlogs, ctlogs, fulcio, tsas


def _parse_npm_keys(doc: Any) -> tuple[NpmKey, ...]:
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise ValueError("expected an object with a 'keys' array")
    keys = []
    for i, entry in enumerate(doc["keys"]):
        what = f"keys[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{what} is not an object")
        key_id, usage = entry.get("keyId"), entry.get("keyUsage")
        if not isinstance(key_id, str) or not key_id or not isinstance(usage, str):
            raise ValueError(f"{what}: keyId/keyUsage missing")
        pk = entry["publicKey"]
        raw = _b64(pk["rawBytes"], f"{what} rawBytes")
        key = _public_key(raw, what)
        keys.append(NpmKey(key_id, usage, key, _spki(key), _window(pk.get("validFor"), what)))
    if not keys:
        raise ValueError("no keys")
    return tuple(keys)
