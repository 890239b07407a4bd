"""`audit trust update`: the current Sigstore trusted root and npm registry keys through
Sigstore's TUF repository, verified by TUF (python-tuf's `ngclient.Updater`, the client
the `sigstore` package uses, bootstrapped from the root it embeds), stored in the user data
directory.  `stored_trust` is what `audit` uses when no --trusted-root/--npm-keys is given.

Layout of `<data dir>/trust/`:
    trusted_root.json        the `trusted_root.json` target
    npm-registry-keys.json   the npm registry's `<host>/keys.json` target
    trust.json               when, from where, and the SHA-256 of both files
    tuf/<url>/               the TUF client's verified metadata (next update starts from it)

Writing happens only after TUF verified both targets and `load_trust` accepted them; the
files are replaced atomically, `trust.json` last.  A copy whose files do not match
`trust.json` is not used (the pinned material is).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from auditor import __version__
from auditor.errors import TrustError, UsageError
from auditor.fileio import write_atomic
from auditor.models import TrustFile
from auditor.registry.cache import user_data_dir

# Sigstore's public-good TUF mirror (not a package registry).
DEFAULT_TUF_URL = "https://tuf-repo-cdn.sigstore.dev"
TRUSTED_ROOT_TARGET = "trusted_root.json"
KEYS_TARGET_FILE = "keys.json"  # in the delegated role named after the registry host
ROOT_FILE = "trusted_root.json"
KEYS_FILE = "npm-registry-keys.json"
STATE_FILE = "trust.json"
MAX_TARGET_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredTrust:
    trusted_root: Path
    npm_keys: Path
    updated_at: str  # when `audit trust update` fetched it (RFC 3339, UTC)
    tuf_url: str


def trust_dir(env: Mapping[str, str] | None = None) -> Path:
    return user_data_dir(env) / "trust"


def stored_trust(env: Mapping[str, str] | None = None) -> StoredTrust | None:
    """The refreshed copy when there is one whose files match its record, else None."""
    root = trust_dir(env)
    try:
        state = json.loads((root / STATE_FILE).read_bytes()[: 1 << 20])
        files = state["files"]
        for name in (ROOT_FILE, KEYS_FILE):
            with open(root / name, "rb") as fh:
                data = fh.read(MAX_TARGET_BYTES + 1)
            if hashlib.sha256(data).hexdigest() != files[name]:
                return None
        return StoredTrust(
            root / ROOT_FILE, root / KEYS_FILE, str(state["updated_at"]), str(state["tuf_url"])
        )
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def update_trust(
    *,
    url: str = DEFAULT_TUF_URL,
    tuf_root: Path | None = None,
    keys_target: str | None = None,
    env: Mapping[str, str] | None = None,
) -> StoredTrust:
    """Refresh the stored trust material from the TUF repository at `url`.

    `tuf_root` bootstraps trust in a repository other than Sigstore's public-good one (the
    `sigstore` package embeds that one's root).  Raises TrustError (TUF or the material
    failed verification) and UsageError (bad arguments)."""
    from tuf.ngclient import Updater, UpdaterConfig

    url = url.rstrip("/")
    if not url.startswith(("https://", "http://127.0.0.1", "http://[::1]", "http://localhost")):
        raise UsageError(f"--tuf-url must be an https URL (http only for loopback): {url!r}")
    bootstrap = _bootstrap_root(url, tuf_root)
    root = trust_dir(env)
    metadata_dir = root / "tuf" / quote(url, safe="")
    try:
        metadata_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise UsageError(f"cannot create {metadata_dir}: {exc.strerror or exc}") from None
    with tempfile.TemporaryDirectory(prefix="auditor-tuf-") as targets:
        try:
            updater = Updater(
                metadata_dir=str(metadata_dir),
                metadata_base_url=url,
                target_base_url=f"{url}/targets/",
                target_dir=targets,
                config=UpdaterConfig(app_user_agent=f"auditor/{__version__}"),
                bootstrap=bootstrap,
            )
            updater.refresh()
            keys_name = keys_target or _npm_keys_target(metadata_dir)
            root_bytes = _download(updater, TRUSTED_ROOT_TARGET)
            keys_bytes = _download(updater, keys_name)
        except (TrustError, UsageError):
            raise
        except Exception as exc:  # python-tuf raises many kinds; all mean "not verified"
            raise TrustError(f"TUF update from {url} failed: {_one_line(exc)}") from None
        # Only material our verifier accepts replaces what audit uses.
        checked = Path(targets) / "check"
        checked.mkdir()
        (checked / ROOT_FILE).write_bytes(root_bytes)
        (checked / KEYS_FILE).write_bytes(keys_bytes)
        from auditor.verify import load_trust

        load_trust(checked / ROOT_FILE, checked / KEYS_FILE)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = {
        "updated_at": now,
        "tuf_url": url,
        "tool_version": __version__,
        "targets": {ROOT_FILE: TRUSTED_ROOT_TARGET, KEYS_FILE: keys_name},
        "files": {
            ROOT_FILE: hashlib.sha256(root_bytes).hexdigest(),
            KEYS_FILE: hashlib.sha256(keys_bytes).hexdigest(),
        },
    }
    try:
        write_atomic(root / ROOT_FILE, root_bytes, file_mode=0o644)
        write_atomic(root / KEYS_FILE, keys_bytes, file_mode=0o644)
        write_atomic(root / STATE_FILE, (json.dumps(state, indent=2) + "\n").encode())
    except OSError as exc:
        raise UsageError(f"cannot write {root}: {exc.strerror or exc}") from None
    return StoredTrust(root / ROOT_FILE, root / KEYS_FILE, now, url)


def trust_in_use(
    trusted_root: Path | None,
    npm_keys: Path | None,
    env: Mapping[str, str] | None = None,
) -> tuple[Path | None, Path | None, tuple[TrustFile, ...]]:
    """(trusted root, npm keys, what they are) for a run: an option wins, then the copy
    `audit trust update` stored (from Sigstore's public-good repository: only when it is
    not older than the pinned one, by the newest entry each lists), else the pinned one
    (None: `load_trust` reads it)."""
    stored = stored_trust(env)
    out: list[TrustFile] = []
    paths: list[Path | None] = []
    for kind, given, packaged, refreshed in (
        ("trusted_root", trusted_root, ROOT_FILE, stored.trusted_root if stored else None),
        ("npm_keys", npm_keys, KEYS_FILE, stored.npm_keys if stored else None),
    ):
        if given is not None:
            out.append(TrustFile(kind, "option", str(given), _file_date(given)))
            paths.append(given)
            continue
        pinned = Path(str(resources.files("auditor").joinpath("data", packaged)))
        pinned_date = _file_date(pinned)
        if (
            refreshed is not None
            and stored is not None
            and (
                stored.tuf_url != DEFAULT_TUF_URL or not _older(_file_date(refreshed), pinned_date)
            )
        ):
            # A package upgrade can ship newer pinned material than an old refresh of the
            # same (public-good) instance; another instance's material is what was asked for.
            out.append(TrustFile(kind, "refreshed", str(refreshed), stored.updated_at))
            paths.append(refreshed)
        else:
            out.append(TrustFile(kind, "pinned", str(pinned), pinned_date))
            paths.append(None)
    return paths[0], paths[1], tuple(out)


def _older(a: str | None, b: str | None) -> bool:
    """Whether material dated `a` is older than material dated `b` (unknown: not older)."""
    try:
        return a is not None and b is not None and _parse(a) < _parse(b)
    except ValueError:
        return False


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _file_date(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return material_date(fh.read(MAX_TARGET_BYTES + 1))
    except OSError:
        return None


def _bootstrap_root(url: str, tuf_root: Path | None) -> bytes | None:
    if tuf_root is not None:
        try:
            return tuf_root.read_bytes()
        except OSError as exc:
            raise UsageError(f"--tuf-root {tuf_root}: {exc.strerror or exc}") from None
    if url == DEFAULT_TUF_URL:
        from sigstore._utils import read_embedded

        return read_embedded("root.json", url)
    raise UsageError(f"--tuf-root is needed to trust the TUF repository {url}")


def _download(updater: object, name: str) -> bytes:
    info = updater.get_targetinfo(name)  # type: ignore[attr-defined]
    if info is None:
        raise TrustError(f"the TUF repository has no target {name!r}")
    if info.length > MAX_TARGET_BYTES:
        raise TrustError(f"the TUF target {name!r} is larger than {MAX_TARGET_BYTES} bytes")
    path = updater.download_target(info)  # type: ignore[attr-defined]
    with open(path, "rb") as fh:
        return fh.read()


def _npm_keys_target(metadata_dir: Path) -> str:
    """`<registry host>/keys.json`: the delegated role of the top-level targets named after
    the npm registry's host, recognised by the digest `auditor.registry.config` keeps (this
    repository names no registry host).  Read from the metadata TUF just verified."""
    from auditor.registry.config import is_public_registry_host

    try:
        doc = json.loads((metadata_dir / "targets.json").read_bytes())
        roles = doc["signed"]["delegations"]["roles"]
        names = [r["name"] for r in roles if isinstance(r, dict) and isinstance(r.get("name"), str)]
    except (OSError, ValueError, KeyError, TypeError):
        names = []
    for name in names:
        if is_public_registry_host(name):
            return f"{name}/{KEYS_TARGET_FILE}"
    raise TrustError(
        "the TUF repository delegates no role for the npm registry's keys "
        "(pass --npm-keys-target NAME)"
    )


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return " ".join(text.split())[:300]


def material_date(trusted_root: bytes) -> str | None:
    """A trust file's date: the newest `validFor.start` it lists (what it knows up to)."""
    try:
        doc = json.loads(trusted_root)
    except (ValueError, RecursionError):
        return None
    starts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            valid = node.get("validFor")
            if isinstance(valid, dict) and isinstance(valid.get("start"), str):
                starts.append(valid["start"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return max(starts) if starts else None


__all__ = [
    "DEFAULT_TUF_URL",
    "StoredTrust",
    "material_date",
    "stored_trust",
    "trust_dir",
    "trust_in_use",
    "update_trust",
]
