"""bun.lock, Bun's text lockfile (lockfileVersion 0 to 2; Bun 1.4 writes 2).

Decisions (docs/lockfile.md, "Bun"):

* The syntax is exactly what Bun writes: JSON with trailing commas before `}` and `]`.
  Bun's own reader also takes comments, single quotes, hex numbers, duplicate keys and
  text after the document, which Bun never writes: those are refused (exit 2), so the
  audit never reads a file differently from Bun.  A duplicate key anywhere is refused.
* `packages` is keyed by install path (`a`, `a/b`, `@scope/x/b`, a workspace's name as the
  first segment); each value is a tuple whose first item is `name@resolution`:
  `name@1.2.3` with the registry ("" for the configured one), INFO and the integrity is a
  registry package (a non-empty registry item is the URL Bun fetches, classified like
  npm's `resolved`); `name@workspace:path`, `name@link:path` and `name@file:dir` are local
  (`link`); `name@git+…`/`name@github:…` are `git`; `name@https://…` a remote tarball and
  `name@./x.tgz` a local one (`file`); `name@root:` is the project itself (skipped).
* Dependencies are resolved as Bun does, from the entry's own path up to the top level
  (`a/b/c` looks for `a/b/c/<dep>`, `a/b/<dep>`, `a/<dep>`, `<dep>`; a workspace's own
  versions live under its package name); dev, optional and direct come from walking the
  workspaces' dependencies (`formats.graph`).
* `bun.lockb` (binary) is not read: the format's message says how to write bun.lock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from auditor.errors import LockfileError
from auditor.lockfile.formats.base import LockfileFormat, text_head
from auditor.lockfile.formats.graph import Entry, Graph
from auditor.lockfile.sources import (
    classify_resolved,
    is_registry_spec,
    is_semver,
    is_tarball_path,
    valid_name,
)
from auditor.models import Lockfile, SourceKind

FILE_NAMES = ("bun.lock",)
SUPPORTED = (0, 1, 2)
MAX_DEPTH = 64  # install-path segments (`a/b/c` is 3); Bun nests only on version conflicts
_HEAD = re.compile(r'\{\s*"lockfileVersion"\s*:\s*\d+\s*,\s*"(?:configVersion|workspaces)"')
# A comma before a closing bracket: trailing, unless it is inside a string.
_TRAILING = re.compile(r",(?=[ \t\r\n]*[\]}])")
_ESCAPE = re.compile(r"\\.")
# A `packages` key as Bun writes it: four spaces, the key, `: [`.
_PACKAGE_KEY = re.compile(r'^    "((?:[^"\\\n]|\\.)*)": \[', re.MULTILINE)
_DEP_FIELDS = (
    ("dependencies", "prod"),
    ("optionalDependencies", "optional"),
    ("peerDependencies", "peer"),
)
_WORKSPACE_FIELDS = (*_DEP_FIELDS, ("devDependencies", "dev"))
_GIT = ("git+", "git://", "github:", "gitlab:", "bitbucket:")


def sniff(file_name: str, head: bytes) -> bool:
    return _HEAD.match(text_head(head).lstrip()) is not None


class _Duplicate(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _drop_trailing_commas(text: str) -> str:
    """`text` without its trailing commas.  JSON strings hold no raw newline, so a comma is
    inside a string exactly when an odd number of unescaped quotes precede it on its line;
    only the few commas before a bracket are examined (no pass over every string)."""
    parts = []
    last = 0
    for m in _TRAILING.finditer(text):
        at = m.start()
        line = text[text.rfind("\n", 0, at) + 1 : at]
        if "\\" in line:
            line = _ESCAPE.sub("", line)
        if line.count('"') % 2:
            continue
        parts.append(text[last:at])
        last = at + 1
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def load_bun_json(text: str, path: str) -> Any:
    """JSON with trailing commas, exactly; `path:line: what` on anything else."""
    cleaned = _drop_trailing_commas(text)
    try:
        return json.loads(cleaned, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise LockfileError(f"{path}:{exc.lineno}: not valid bun.lock JSON: {exc.msg}") from None
    except _Duplicate as exc:
        raise LockfileError(f"{path}: duplicate key {str(exc)[:80]!r}") from None
    except RecursionError:
        raise LockfileError(f"{path}: not a lockfile: JSON nested too deeply") from None
    except ValueError as exc:
        raise LockfileError(f"{path}: not valid bun.lock JSON: {exc}") from None


def parse(data: bytes, path: str) -> Lockfile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockfileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise LockfileError(f"{path}: empty file, not a lockfile")
    doc = load_bun_json(text, path)
    if not isinstance(doc, dict):
        raise LockfileError(f"{path}:1: not a Bun lockfile (top level is not an object)")
    version = doc.get("lockfileVersion")
    if type(version) is not int or version not in SUPPORTED:
        raise LockfileError(
            f"{path}:{_line_of(text, 'lockfileVersion')}: unsupported lockfileVersion "
            f"{json.dumps(version)[:20]} (audit reads bun.lock versions 0 to 2)"
        )
    return _Reader(path, text, doc).read(version)


def _line_of(text: str, key: str) -> int:
    at = text.find(f'"{key}"')
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _segments(key: str) -> list[str]:
    """`@s/a/b/@t/c` -> ["@s/a", "b", "@t/c"] (scoped names are one segment)."""
    parts = key.split("/")
    out: list[str] = []
    i = 0
    while i < len(parts):
        if parts[i].startswith("@") and i + 1 < len(parts):
            out.append(parts[i] + "/" + parts[i + 1])
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


class _Reader:
    def __init__(self, path: str, text: str, doc: Mapping[str, Any]) -> None:
        self.path = path
        self.text = text
        self.doc = doc
        self.graph = Graph()
        self.lines: dict[str, int] = {}

    def fail(self, key: str, what: str) -> LockfileError:
        line = self.lines.get(key)
        where = f"{self.path}:{line}" if line else self.path
        return LockfileError(f"{where}: packages[{json.dumps(key)[:120]}]: {what}")

    def _mapping(self, field: str) -> dict[str, Any]:
        value = self.doc.get(field)
        if value is None:
            return {}
        if not isinstance(value, dict):
            line = _line_of(self.text, field)
            raise LockfileError(f"{self.path}:{line}: '{field}' is not an object")
        return value

    def read(self, version: int) -> Lockfile:
        workspaces = self._mapping("workspaces")
        packages = self._mapping("packages")
        start = self.text.find('"packages"')
        line, pos = 1, 0
        for m in _PACKAGE_KEY.finditer(self.text, max(start, 0)):
            line += self.text.count("\n", pos, m.start())
            pos = m.start()
            key = m.group(1)
            if "\\" in key:
                try:
                    key = json.loads(f'"{key}"')
                except ValueError:
                    continue
            self.lines.setdefault(key, line)
        graph = self.graph
        infos: list[tuple[int, Mapping[str, Any]]] = []
        for key, value in packages.items():
            entry, info = self._entry(key, value)
            if entry is None:
                continue
            index = graph.add(entry)
            infos.append((index, info))
        for index, info in infos:
            entry = graph.entries[index]
            prefixes = self._prefixes(entry.key)
            for field, kind in _DEP_FIELDS:
                optional_peers = info.get("optionalPeers") if kind == "peer" else None
                for dep, _spec in self._deps(entry.key, info, field):
                    found = self._resolve(prefixes, dep)
                    if found is None:
                        continue  # not installed (an unmet peer, another platform's)
                    optional = kind == "optional" or (
                        isinstance(optional_peers, list) and dep in optional_peers
                    )
                    entry.edges.append((found, optional))
        members = self._workspaces(workspaces)
        return Lockfile(
            path=self.path,
            lockfile_version=version,
            name=members.get(""),
            packages=graph.packages(),
            workspaces=tuple(sorted(p for p in members if p)),
            format="bun",
            graph=True,
        )

    def _deps(self, key: str, info: Mapping[str, Any], field: str) -> list[tuple[str, str]]:
        deps = info.get(field)
        if deps is None:
            return []
        if not isinstance(deps, dict):
            raise self.fail(key, f"'{field}' is not an object")
        out = []
        for dep, spec in deps.items():
            if not isinstance(spec, str):
                raise self.fail(key, f"{field}: {dep!r}: the spec is not a string")
            out.append((dep, spec))
        return out

    def _resolve(self, prefixes: list[str], dep: str) -> int | None:
        """Bun's lookup from an install path (its `prefixes`, longest first) up to the top."""
        index = self.graph.index
        for prefix in prefixes:
            found = index.get(f"{prefix}/{dep}" if prefix else dep)
            if found is not None:
                return found
        return None

    def _prefixes(self, key: str) -> list[str]:
        """`a/@s/b/c` -> ["a/@s/b/c", "a/@s/b", "a", ""].  The depth is bounded, so a
        lookup costs at most MAX_DEPTH probes per dependency (time linear in the file)."""
        segments = _segments(key)
        if len(segments) > MAX_DEPTH:
            raise self.fail(key, f"install path nested deeper than {MAX_DEPTH} packages")
        return ["/".join(segments[:cut]) for cut in range(len(segments), -1, -1)]

    def _entry(self, key: object, value: object) -> tuple[Entry | None, Mapping[str, Any]]:
        if not isinstance(key, str) or not key:
            raise LockfileError(f"{self.path}: packages: empty key")
        if not isinstance(value, list) or not value or not isinstance(value[0], str):
            raise self.fail(key, "not a [name@resolution, ...] tuple")
        ident = value[0]
        at = ident.find("@", 1)
        if at <= 0:
            raise self.fail(key, f"{ident[:80]!r} is not name@resolution")
        name, res = ident[:at], ident[at + 1 :]
        if not valid_name(name):
            raise self.fail(key, f"invalid package name {name[:80]!r}")
        if res.startswith("root:"):
            return None, {}
        line = self.lines.get(key, 0)
        rest = value[1:]
        info: Mapping[str, Any] = {}
        integrity: object = None
        resolved: str | None = None
        version = ""
        if res.startswith(("workspace:", "link:", "file:")):
            source = SourceKind.LINK
            resolved = res.split(":", 1)[1]
            info = self._info(key, rest, 0)
        elif res.startswith(_GIT):
            source, resolved, version = SourceKind.GIT, res, res
            info = self._info(key, rest, 0)
        elif res.startswith(("http://", "https://")):
            source, resolved, version = SourceKind.REMOTE, res, res
            source = classify_resolved(res, name, version)
            info = self._info(key, rest, 0)
            integrity = rest[1] if len(rest) > 1 else None
        elif is_tarball_path(res) or res.startswith(("./", "../", "/")):
            source, resolved, version = SourceKind.FILE, res, res
            info = self._info(key, rest, 0)
            integrity = rest[1] if len(rest) > 1 else None
        else:
            if not is_semver(res):
                raise self.fail(key, f"version {res[:60]!r} is not semver")
            version = res
            if len(rest) < 3:
                raise self.fail(key, "registry package without registry, info and integrity")
            registry = rest[0]
            if not isinstance(registry, str):
                raise self.fail(key, "the registry is not a string")
            source = SourceKind.REGISTRY
            if registry:
                # Bun fetches this URL instead of the configured registry's tarball.
                resolved = registry
                source = classify_resolved(registry, name, version)
            info = self._info(key, rest, 1)
            integrity = rest[2]
        if integrity is not None and not isinstance(integrity, str):
            raise self.fail(key, "the integrity is not a string")
        segments = _segments(key)
        entry = Entry(
            key=key,
            name=name,
            version=version,
            source=source,
            integrity=integrity,
            resolved=resolved,
            line=line,
            paths=[key],
        )
        entry.aliases.add(segments[-1])
        return entry, info

    def _info(self, key: str, rest: list[Any], at: int) -> Mapping[str, Any]:
        if len(rest) <= at:
            return {}
        info = rest[at]
        if not isinstance(info, dict):
            raise self.fail(key, "the package's info is not an object")
        return info

    def _workspaces(self, workspaces: Mapping[str, Any]) -> dict[str, str | None]:
        """Roots from every workspace's dependencies; path -> its package name."""
        graph = self.graph
        members: dict[str, str | None] = {}
        for wpath, ws in workspaces.items():
            if not isinstance(ws, dict):
                line = _line_of(self.text, "workspaces")
                raise LockfileError(f"{self.path}:{line}: workspaces[{wpath!r}] is not an object")
            ws_name = ws.get("name")
            members[wpath] = ws_name if isinstance(ws_name, str) else None
            prefix = self._prefixes(ws_name) if wpath and isinstance(ws_name, str) else [""]
            if wpath and isinstance(ws_name, str):
                member = graph.index.get(ws_name)
                if member is not None:
                    graph.entries[member].direct = True
            for field, kind in _WORKSPACE_FIELDS:
                deps = ws.get(field)
                if deps is None:
                    continue
                if not isinstance(deps, dict):
                    line = _line_of(self.text, "workspaces")
                    raise LockfileError(
                        f"{self.path}:{line}: workspaces[{wpath!r}].{field} is not an object"
                    )
                for dep, spec in deps.items():
                    found = self._resolve(prefix, dep)
                    if found is None:
                        continue  # not installed here (another platform's optional package)
                    entry = graph.entries[found]
                    entry.direct = True
                    graph.roots.append((found, "prod" if kind == "peer" else kind))
                    if isinstance(spec, str) and not spec.startswith("catalog:"):
                        if is_registry_spec(spec):
                            entry.registry_spec = entry.registry_spec or spec
                        else:
                            entry.asked_other = True
        return members


FORMAT = LockfileFormat(
    name="bun",
    file_names=FILE_NAMES,
    description="a Bun lockfile",
    sniff=sniff,
    parse=parse,
)
