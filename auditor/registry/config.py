"""npm configuration, resolved the way npm resolves it (only the keys the auditor needs).

Order, highest first: `--registry`, `npm_config_*` environment variables, the project
`.npmrc` (in the lockfile's directory: npm's project root), the user npmrc (`~/.npmrc` or
`$NPM_CONFIG_USERCONFIG`), the global npmrc (`$NPM_CONFIG_GLOBALCONFIG` or
`$PREFIX/etc/npmrc`), and last `npm config get registry` when npm is on PATH.  No registry host
is written in this code: with nothing configured and no npm, `ConfigError` says how to set one.

Transport rule: `https` always; plain `http` only for loopback hosts (127.0.0.0/8, ::1,
localhost), so a network attacker can neither read tokens nor strip attestations in transit.
Credentials live in `Secret` values whose repr is masked; they never appear in messages.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import shutil
import subprocess
from base64 import b64decode, b64encode
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from auditor.errors import ConfigError
from auditor.fileio import read_regular
from auditor.models import Package
from auditor.sanitize import mask

NPM_TIMEOUT_S = 10.0
MAX_NPMRC_BYTES = 1 << 20

# The public registry's host, as a SHA-256 digest: npm's default `replace-registry-host=npmjs`
# names it, and this repository must not contain registry host names.
_PUBLIC_REGISTRY_HOST_SHA256 = "0dc11026ac75c015aaa1deafff4a7a54ef6d0cf6b3c7f9b1d2c8f3502929aa9e"

_ENV_REF = re.compile(r"(?<!\\)\$\{([^${}?]+)(\?)?\}")


def is_public_registry_host(host: str) -> bool:
    """Whether `host` is the public npm registry's (kept as a digest: see above)."""
    return hashlib.sha256(host.lower().encode()).hexdigest() == _PUBLIC_REGISTRY_HOST_SHA256


class Secret:
    """A credential.  Its repr and str are masked so it cannot leak through logs or reports."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        mask(value)  # and should it reach any text anyway, it prints as ***

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Credential:
    """An Authorization header value for one registry path prefix (a "nerf dart")."""

    scheme: str  # "Bearer" or "Basic"
    value: Secret

    def header(self) -> str:
        return f"{self.scheme} {self.value.reveal()}"


@dataclass(frozen=True, slots=True)
class NpmConfig:
    """The registry configuration the engine uses.  Registry URLs end with '/'."""

    registry: str
    scopes: Mapping[str, str] = field(default_factory=dict)  # "@scope" -> registry URL
    credentials: Mapping[str, Credential] = field(default_factory=dict, repr=False)
    replace_registry_host: str = "npmjs"
    origin: str = ""  # where `registry` came from, for -v output
    # Scoped registries refused by the transport rule (plain http to a non-loopback host):
    # URL -> why.  Only packages of those scopes fail (INSECURE_REGISTRY), not the whole run.
    refused: Mapping[str, str] = field(default_factory=dict)
    scope_origins: Mapping[str, str] = field(default_factory=dict)  # "@scope" -> where set

    def sources(self) -> list[dict[str, str]]:
        """Every registry with where it was configured (`audit fetch` records them)."""
        out = [{"url": self.registry, "origin": self.origin}]
        for scope, url in sorted(self.scopes.items()):
            out.append({"scope": scope, "url": url, "origin": self.scope_origins.get(scope, "")})
        return out

    def registry_for_name(self, name: str) -> str:
        if name.startswith("@") and "/" in name:
            return self.scopes.get(name.split("/", 1)[0], self.registry)
        return self.registry

    def registry_for(self, package: Package) -> str:
        """The registry a package's attestations are fetched from.

        The scope's (or default) registry, as npm does.  When the lockfile's `resolved` URL
        lies under another registry *that the configuration knows* (a scoped registry or one
        with credentials), that registry is used, unless `replace-registry-host` says the
        configured registry replaces it.  Unknown hosts named in a lockfile are never
        contacted: the policy reports the mismatch instead.
        """
        base = self.registry_for_name(package.name)
        if not package.resolved or package.resolved.startswith(base):
            return base  # the common case, without parsing URLs
        other = resolved_registry(package.name, package.resolved)
        if other is None or same_registry(other, base):
            return base
        if self._replaces(other):
            return base
        if not self._known(other):
            return base
        return other

    def _replaces(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        mode = self.replace_registry_host
        if mode == "always":
            return True
        if mode == "never":
            return False
        if mode == "npmjs":
            return is_public_registry_host(host)
        return host == mode.lower()

    def _known(self, url: str) -> bool:
        if any(same_registry(url, r) for r in self.scopes.values()):
            return True
        return self.credential_for(url) is not None

    def credential_for(self, url: str) -> Credential | None:
        """The credential whose nerf dart is the longest path prefix of `url` on its host."""
        if not self.credentials:
            return None
        parts = urlsplit(url)
        if not parts.netloc:
            return None
        segments = [s for s in parts.path.split("/") if s]
        # A request URL ends in a resource; its directory is the first candidate.
        if parts.path and not parts.path.endswith("/"):
            segments = segments[:-1]
        host = _netloc_no_userinfo(parts)
        for n in range(len(segments), -1, -1):
            key = "//" + host + "/" + "".join(s + "/" for s in segments[:n])
            cred = self.credentials.get(key)
            if cred is not None:
                return cred
        return None

    def auth_header(self, url: str) -> str | None:
        cred = self.credential_for(url)
        return cred.header() if cred else None


def _netloc_no_userinfo(parts: object) -> str:
    netloc: str = getattr(parts, "netloc", "")
    return netloc.rsplit("@", 1)[-1].lower()


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_registry_url(url: str, origin: str) -> tuple[str, Credential | None]:
    """Check and normalise a registry URL; split off `user:pass@` into a credential."""
    text = url.strip()
    where = f" (from {origin})" if origin else ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:  # a bad IPv6 literal or port
        raise ConfigError(f"registry is not a valid URL{where}: {exc}: {_redact(text)!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"registry must be an http(s) URL{where}: {_redact(text)!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ConfigError(
            f"refusing plain-http registry {_redact(text)!r}{where}: use https "
            "(http is accepted only for loopback hosts)"
        )
    cred = None
    if parts.username is not None:
        user = parts.username or ""
        password = parts.password or ""
        cred = Credential("Basic", Secret(b64encode(f"{user}:{password}".encode()).decode()))
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    clean = urlunsplit((parts.scheme, _netloc_no_userinfo(parts), path, "", ""))
    return clean, cred


def _redact(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:200] if "@" not in url else "***@" + url.rsplit("@", 1)[-1][:200]
    if parts.username is None and parts.password is None:
        return url[:200]
    return urlunsplit((parts.scheme, "***@" + _netloc_no_userinfo(parts), parts.path, "", ""))


def nerf_dart(url: str) -> str:
    """npm's credential key for a registry URL: `//host[:port]/path/`."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return "//" + _netloc_no_userinfo(parts) + path


def same_registry(a: str, b: str) -> bool:
    return nerf_dart(a) == nerf_dart(b) and urlsplit(a).scheme == urlsplit(b).scheme


def resolved_registry(name: str, resolved: str | None) -> str | None:
    """The registry base URL of a lockfile `resolved` tarball URL (`<base><name>/-/<file>`)."""
    if not resolved or not resolved.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(resolved)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None  # names no registry; the engine reports the package (RESOLVED_INVALID)
    path = parts.path
    for spelled in (name, name.replace("/", "%2f"), name.replace("/", "%2F")):
        marker = "/" + spelled + "/-/"
        idx = path.find(marker)
        if idx >= 0:
            base_path = path[: idx + 1]
            scheme = parts.scheme
            if scheme == "http" and not is_loopback_host(parts.hostname):
                scheme = "https"  # old lockfiles recorded http; never fetch in clear text
            return urlunsplit((scheme, _netloc_no_userinfo(parts), base_path, "", ""))
    return None


# --- npmrc files -------------------------------------------------------------------------


def expand_env(value: str, env: Mapping[str, str], where: str) -> str:
    """npm's `${VAR}` expansion (`${VAR?}` gives '' when unset; `\\${` stays literal)."""

    def sub(m: re.Match[str]) -> str:
        name, optional = m.group(1), m.group(2)
        if name in env:
            mask(env[name])  # an environment value is never printed (tokens live there)
            return env[name]
        if optional:
            return ""
        raise ConfigError(f"{where}: environment variable {name} is not set")

    return _ENV_REF.sub(sub, value).replace("\\${", "${")


def parse_npmrc(text: str, env: Mapping[str, str], where: str) -> dict[str, str]:
    """Parse npmrc (ini) text into key -> value, expanding environment references."""
    out: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in ";#" or line.startswith("["):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            continue
        if key.endswith("[]"):
            continue  # list values: none of the keys we read are lists
        if len(value) >= 2 and value[0] == value[-1] == '"':
            try:
                decoded = json.loads(value)
            except ValueError:
                decoded = value[1:-1]
            value = decoded if isinstance(decoded, str) else value[1:-1]
        elif len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        where_line = f"{where}:{lineno}"
        out[expand_env(key, env, where_line)] = expand_env(value, env, where_line)
    return out


# Reads an npmrc file elsewhere (at a git ref): (content or None for "no file", label), or
# None to read `path` itself.  See `auditor.diff.baseconfig`.
NpmrcReader = Callable[[Path], "tuple[bytes | None, str] | None"]


def read_npmrc(
    path: Path, env: Mapping[str, str], reader: NpmrcReader | None = None
) -> tuple[dict[str, str], str]:
    """(key -> value, where it was read: the path or "REF:path")."""
    got = reader(path) if reader is not None else None
    if got is not None:
        data, label = got
        if data is None:
            return {}, label
        if len(data) > MAX_NPMRC_BYTES:
            raise ConfigError(f"{label}: larger than {MAX_NPMRC_BYTES} bytes")
        return parse_npmrc(data.decode("utf-8", "replace"), env, label), label
    return _read_npmrc_file(path, env), str(path)


def _read_npmrc_file(path: Path, env: Mapping[str, str]) -> dict[str, str]:
    try:
        data = read_regular(path, MAX_NPMRC_BYTES)
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_NPMRC_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_NPMRC_BYTES} bytes")
    return parse_npmrc(data.decode("utf-8", "replace"), env, str(path))


def env_config(env: Mapping[str, str]) -> dict[str, str]:
    """`npm_config_<key>` variables (case-insensitive prefix; `_` means `-` in plain keys)."""
    out: dict[str, str] = {}
    lower_first = sorted(env.items(), key=lambda kv: kv[0] != kv[0].lower())
    for name, value in lower_first:
        if not name.lower().startswith("npm_config_"):
            continue
        key = name[len("npm_config_") :]
        if not key.startswith(("//", "@")):
            key = key.lower().replace("_", "-")
        out.setdefault(key, value)
    return out


def _global_npmrc(env: Mapping[str, str], cfg: Mapping[str, str]) -> Path | None:
    explicit = env.get("NPM_CONFIG_GLOBALCONFIG") or env.get("npm_config_globalconfig")
    if explicit:
        return Path(explicit)
    prefix = cfg.get("prefix") or env.get("PREFIX")
    if not prefix:
        node = shutil.which("node", path=env.get("PATH"))
        if node is None:
            return None
        prefix = str(Path(node).resolve().parent.parent)
    return Path(prefix) / "etc" / "npmrc"


def npm_config_get_registry(
    npm: str, cwd: Path, env: Mapping[str, str], timeout: float = NPM_TIMEOUT_S
) -> str | None:
    """Ask npm itself (its built-in default).  Any failure means "not configured"."""
    try:
        proc = subprocess.run(
            [npm, "config", "get", "registry"],
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    value = proc.stdout.decode("utf-8", "replace").strip()
    if not value or value in ("undefined", "null") or len(value) > 2000:
        return None
    return value


NpmRunner = Callable[[str, Path, Mapping[str, str]], "str | None"]


def resolve_npm_config(
    project_dir: Path,
    cli_registry: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    npm: str | bool | None = True,
    npm_runner: NpmRunner = npm_config_get_registry,
    reader: NpmrcReader | None = None,
    npm_cwd: Path | None = None,
) -> NpmConfig:
    """Resolve the registry configuration for a project (the lockfile's directory).

    `npm=True` looks npm up on PATH; a path uses that executable; `None`/False never runs npm.
    `reader` reads npmrc files from elsewhere (the base of a pull request); `npm_cwd` is
    where npm runs (default `project_dir`, whose .npmrc npm would read).
    Raises `ConfigError` when no registry is configured anywhere.
    """
    env = dict(os.environ if env is None else env)
    home = env.get("HOME") or str(Path.home())
    layers: list[tuple[str, dict[str, str]]] = []  # highest precedence first
    envcfg = env_config(env)
    layers.append(("environment", envcfg))
    project, project_origin = read_npmrc(project_dir / ".npmrc", env, reader)
    layers.append((project_origin, project))
    user_path = Path(
        env.get("NPM_CONFIG_USERCONFIG")
        or env.get("npm_config_userconfig")
        or Path(home) / ".npmrc"
    )
    user, user_origin = read_npmrc(user_path, env, reader)
    layers.append((user_origin, user))
    merged_so_far: dict[str, str] = {}
    for _, layer in reversed(layers):
        merged_so_far.update(layer)
    global_path = _global_npmrc(env, merged_so_far)
    if global_path is not None:
        global_cfg, global_origin = read_npmrc(global_path, env, reader)
        layers.append((global_origin, global_cfg))

    def lookup(key: str) -> tuple[str, str] | None:
        for origin, layer in layers:
            if key in layer and layer[key] != "":
                return layer[key], origin
        return None

    credentials: dict[str, Credential] = {}
    # Lowest layer first, so higher layers override per nerf dart.
    for _origin, layer in reversed(layers):
        credentials.update(_credentials_from(layer))

    registry: str | None = None
    origin = ""
    if cli_registry:
        registry, origin = cli_registry, "--registry"
    else:
        found = lookup("registry")
        if found:
            registry, origin = found
        else:
            npm_path = shutil.which("npm", path=env.get("PATH")) if npm is True else npm
            if isinstance(npm_path, str) and npm_path:
                registry = npm_runner(npm_path, npm_cwd or project_dir, env)
                origin = "npm config get registry"
    if not registry:
        raise ConfigError(
            "no npm registry configured: pass --registry URL, set npm_config_registry, "
            "or add 'registry=URL' to .npmrc (or install npm)"
        )
    base, cred = normalize_registry_url(registry, origin)
    if cred is not None:
        credentials.setdefault(nerf_dart(base), cred)

    scopes: dict[str, str] = {}
    scope_origins: dict[str, str] = {}
    refused: dict[str, str] = {}
    for _origin, layer in reversed(layers):
        for key, value in layer.items():
            if key.startswith("@") and key.endswith(":registry") and value:
                scope = key[: -len(":registry")]
                try:
                    url, scred = normalize_registry_url(value, _origin)
                except ConfigError as exc:
                    loose = _loose(value)
                    if loose is None:
                        raise
                    url, scred = loose, None
                    refused[url] = exc.message
                else:
                    refused.pop(url, None)
                scopes[scope] = url
                scope_origins[scope] = _origin
                if scred is not None:
                    credentials.setdefault(nerf_dart(url), scred)
    replace = lookup("replace-registry-host")
    return NpmConfig(
        registry=base,
        scopes=scopes,
        credentials=credentials,
        replace_registry_host=replace[0] if replace else "npmjs",
        origin=origin,
        scope_origins=scope_origins,
        refused={u: why for u, why in refused.items() if u in scopes.values()},
    )


def _loose(url: str) -> str | None:
    """A refused http URL in normal form (for matching), or None when not http at all."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme != "http" or not parts.hostname:
        return None
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit(("http", _netloc_no_userinfo(parts), path, "", ""))


def _credentials_from(layer: Mapping[str, str]) -> dict[str, Credential]:
    out: dict[str, Credential] = {}
    users: dict[str, str] = {}
    passwords: dict[str, str] = {}
    for key, value in layer.items():
        if not key.startswith("//") or ":" not in key or not value:
            continue
        dart, _, item = key.rpartition(":")
        if not dart.endswith("/"):
            dart += "/"
        dart = dart.lower()
        if item == "_authToken":
            out[dart] = Credential("Bearer", Secret(value))
        elif item == "_auth":
            out.setdefault(dart, Credential("Basic", Secret(value)))
        elif item == "username":
            users[dart] = value
        elif item == "_password":
            passwords[dart] = value
    for dart, user in users.items():
        if dart in passwords and dart not in out:
            try:
                password = b64decode(passwords[dart], validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                raise ConfigError(f"the _password for {dart} is not base64") from None
            token = b64encode(f"{user}:{password}".encode()).decode()
            out[dart] = Credential("Basic", Secret(token))
    return out


def encode_name(name: str) -> str:
    """A package name as one URL path segment (`@scope/x` -> `@scope%2fx`), as npm does."""
    if name.startswith("@") and "/" in name:
        scope, _, rest = name.partition("/")
        return "@" + quote(scope[1:], safe="") + "%2f" + quote(rest, safe="")
    return quote(name, safe="")
