"""pnpm-lock.yaml (lockfile v6 of pnpm 8, v9 of pnpm 9 and 10, and pnpm 11's two documents).

Decisions (docs/lockfile.md, "pnpm"):

* One `Package` per `packages` entry; its peer variants (`react-dom@18.2.0(react@18.2.0)`,
  v9 `snapshots` keys or v6 `packages` keys) are its `paths`.  Name and version come from
  the entry's `name`/`version` when present, else from the key (pnpm's
  `nameVerFromPkgSnapshot`).
* Source kind from `resolution` (what pnpm fetches): `integrity` alone is the configured
  registry's tarball of name@version (`registry`); `tarball` is fetched as written: a
  registry tarball only when its path is the package's own tarball path (as npm's
  `resolved`, `auditor.lockfile.sources`), `file:` is `file`, anything else `remote`;
  `type: git` is `git`, `type: directory` a local directory (`link`), any other type
  `remote` (nothing from a registry).  `link:` references of the importers are `link`
  packages (workspace members and linked directories).
* Dependencies are followed with pnpm's own `refToRelative` (v6 and v9 differ) from every
  importer; dev, optional and direct come from that walk (`formats.graph`), not from the
  v6 `dev` field.  `requiresBuild: true` (v6) is `has_install_script`; v9 does not record
  install scripts (the packument's `hasInstallScript` still counts, see the policy).
* pnpm 11 writes a first YAML document (`---` ... `---`) for its configuration
  dependencies and its own version (`configDependencies`, `packageManagerDependencies`):
  code pnpm runs, so those packages are audited too (direct, production).
* Refused: other lockfile versions, duplicate keys, a reference to a missing entry, and
  any field of the wrong type (one line, `path:line: what`).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from auditor.errors import LockfileError
from auditor.lockfile.formats.base import LockfileFormat, text_head
from auditor.lockfile.formats.graph import Entry, Graph
from auditor.lockfile.formats.yamlload import load_yaml
from auditor.lockfile.sources import classify_resolved, is_registry_spec, is_semver, valid_name
from auditor.models import Lockfile, SourceKind

FILE_NAMES = ("pnpm-lock.yaml",)
SUPPORTED = (6, 9)
_DEP_FIELDS = (("dependencies", "prod"), ("optionalDependencies", "optional"))
_IMPORTER_FIELDS = (
    ("dependencies", "prod"),
    ("optionalDependencies", "optional"),
    ("devDependencies", "dev"),
)
_ENV_FIELDS = (("configDependencies", "prod"), ("packageManagerDependencies", "prod"))
_HEAD = re.compile(r"(?:---\s*\n)?(?:#[^\n]*\n|\s*\n)*lockfileVersion:")
# A key of a top-level section: exactly two spaces of indentation.
_KEY = re.compile(r"\n  ([^ #\n][^\n]*?):(?: [^\n]*)?(?=\n|\Z)")
_SECTION = re.compile(r"^([A-Za-z][\w-]*):", re.MULTILINE)


def sniff(file_name: str, head: bytes) -> bool:
    return _HEAD.match(text_head(head)) is not None


def parse(data: bytes, path: str) -> Lockfile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockfileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise LockfileError(f"{path}: empty file, not a lockfile")
    text = text.replace("\r\n", "\n")  # as pnpm reads it
    documents = _documents(text, path)
    graph = Graph()
    version = 0
    workspaces: set[str] = set()
    for doc_text, first_line, env in documents:
        doc = _Document(path, doc_text, first_line, env, graph)
        doc.read()
        if not env:
            version = doc.version
            workspaces.update(i for i in doc.importer_ids if i != ".")
    if version == 0:  # only pnpm 11's first document: the main one is empty
        version = 9
    return Lockfile(
        path=path,
        lockfile_version=version,
        name=None,
        packages=graph.packages(),
        workspaces=tuple(sorted(workspaces)),
        format="pnpm",
        graph=True,
    )


def _documents(text: str, path: str) -> list[tuple[str, int, bool]]:
    """(text, first line, is the env document) as pnpm splits the file
    (`extractMainDocument`: a file starting with `---` has the env document first)."""
    if not text.startswith("---\n"):
        return [(text, 1, False)]
    sep = text.find("\n---\n", 4)
    if sep < 0:
        return [(text[4:], 2, True)]
    main_start = sep + 5
    main = text[main_start:]
    out = [(text[4 : sep + 1], 2, True)]
    if main.strip():
        out.append((main, text.count("\n", 0, main_start) + 1, False))
    return out


def _split_key(key: str) -> tuple[str, str] | None:
    """`name@version` (scoped names included) -> (name, version); None without a version."""
    at = key.find("@", 1)
    if at <= 0:
        return None
    return key[:at], key[at + 1 :]


def _strip_peers(key: str) -> str:
    """The `packages` key of a dependency path: trailing balanced `(...)` groups removed
    (peer sets and `(patch_hash=...)`, which nest)."""
    while key.endswith(")"):
        depth = 0
        for i in range(len(key) - 1, -1, -1):
            c = key[i]
            if c == ")":
                depth += 1
            elif c == "(":
                depth -= 1
                if depth == 0:
                    key = key[:i]
                    break
        else:
            return key  # unbalanced: left as is, and then found nowhere
    return key


def _ref_v9(ref: str, name: str) -> str | None:
    """pnpm 9's `refToRelative`: the snapshot key a dependency reference points at."""
    if ref.startswith("link:"):
        return None
    if ref.startswith("@"):
        return ref
    at = ref.find("@")
    if at < 0:
        return f"{name}@{ref}"
    colon, paren = ref.find(":"), ref.find("(")
    if (colon < 0 or at < colon) and (paren < 0 or at < paren):
        return ref
    return f"{name}@{ref}"


def _ref_v6(ref: str, name: str) -> str | None:
    """pnpm 8's `refToRelative` (lockfile v6)."""
    if ref.startswith("link:"):
        return None
    if ref.startswith("file:"):
        return ref
    paren = ref.find("(")
    if "/" not in ref or (paren >= 0 and ref.rfind("/", 0, paren) < 0):
        return f"/{name}@{ref}"
    return ref


def _unquote(raw: str) -> str:
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1].replace("''", "'")
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        return value if isinstance(value, str) else raw
    return raw


def key_lines(text: str, first_line: int) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Line of every key of the top-level sections (`packages`, `snapshots`, `importers`),
    by a scan of the text (no YAML node walk), and the keys that occur twice in a section.
    """
    sections: dict[str, dict[str, int]] = {}
    duplicates: list[str] = []
    heads = [(m.start(), m.group(1)) for m in _SECTION.finditer(text)]
    line, pos = first_line, 0
    for n, (start, name) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(text)
        if name not in ("packages", "snapshots", "importers"):
            continue
        found = sections.setdefault(name, {})
        for m in _KEY.finditer(text, max(start - 1, 0), end):
            line += text.count("\n", pos, m.start() + 1)
            pos = m.start() + 1
            raw = m.group(1).rstrip()
            key = _unquote(raw)
            if key in found:
                duplicates.append(f"{name}[{key!r}]")
            else:
                found[key] = line
    return sections, duplicates


class _Document:
    """One YAML document of the file, read into the shared graph."""

    def __init__(self, path: str, text: str, first_line: int, env: bool, graph: Graph) -> None:
        self.path = path
        self.text = text
        self.first_line = first_line
        self.env = env
        self.graph = graph
        self.version = 0
        self.importer_ids: list[str] = []
        self.lines: dict[str, dict[str, int]] = {}

    def fail(self, section: str, key: str, what: str) -> LockfileError:
        line = self.lines.get(section, {}).get(key)
        where = f"{self.path}:{line}" if line else self.path
        return LockfileError(f"{where}: {section}[{json.dumps(key)[:120]}]: {what}")

    def read(self) -> None:
        doc = load_yaml(self.text, self.path, self.first_line)
        if doc is None and self.env:
            return
        if not isinstance(doc, dict):
            raise LockfileError(
                f"{self.path}:{self.first_line}: not a pnpm lockfile (not a YAML mapping)"
            )
        self.lines, duplicates = key_lines(self.text, self.first_line)
        if duplicates:
            raise LockfileError(f"{self.path}: duplicate lockfile key {duplicates[0]}")
        # pnpm 11's env document has its own version (`'9.0'`, `env-1.0`): read as v9.
        self.version = 9 if self.env else self._version(doc)
        packages = self._mapping(doc, "packages")
        snapshots = self._mapping(doc, "snapshots")
        importers = self._mapping(doc, "importers")
        if "importers" not in doc:  # a v6 project without workspace: the root importer inline
            importers = {".": doc}
        v9 = self.version >= 9
        index = self._entries(packages)
        # Snapshot (v9) or peer-variant package (v6) keys, each with the entry it belongs to.
        variants = snapshots if v9 else packages
        variant_of: dict[str, int] = {}
        for key in variants:
            key_s = self._str_key("snapshots" if v9 else "packages", key)
            base = _strip_peers(key_s)
            found = index.get(base)
            if found is None:
                raise self.fail("snapshots", key_s, f"no packages entry {base!r}")
            variant_of[key_s] = found
            self.graph.entries[found].paths.append(key_s)
        ref = _ref_v9 if v9 else _ref_v6
        section = "snapshots" if v9 else "packages"
        for key, snapshot in variants.items():
            if not isinstance(snapshot, dict):
                if snapshot is None or snapshot == {}:
                    continue
                raise self.fail(section, key, "is not a mapping")
            source = self.graph.entries[variant_of[key]]
            for field, kind in _DEP_FIELDS:
                for dep, target_key in self._deps(section, key, snapshot, field):
                    target = ref(target_key, dep)
                    if target is None:
                        continue  # a link into the workspace: its importer is a root
                    found = variant_of.get(target)
                    if found is None:
                        found = index.get(_strip_peers(target))
                    if found is None:
                        raise self.fail(section, key, f"{field}: {dep} -> {target!r} is missing")
                    source.edges.append((found, kind == "optional"))
                    self.graph.entries[found].aliases.add(dep)
        self._importers(importers, ref, variant_of, index)

    def _env_only(self, dep: str, version: str) -> int:
        """A configuration dependency the env document names without a packages entry
        (`name: 1.0.0+sha512-...`, as pnpm-workspace.yaml spells it): a registry package
        with the integrity after `+`, or none (then it cannot verify)."""
        plain, plus, integrity = version.partition("+")
        if not integrity.startswith("sha"):
            plain, plus, integrity = version, "", ""
        if not valid_name(dep) or not is_semver(plain):
            raise self.fail("importers", ".", f"configuration dependency {dep}: {version!r}")
        return self.graph.add(
            Entry(
                key=f"{dep}@{plain}",
                name=dep,
                version=plain,
                source=SourceKind.REGISTRY,
                integrity=integrity if plus else None,
                resolved=None,
                line=self.lines.get("importers", {}).get(".", 0),
            )
        )

    def _version(self, doc: Mapping[str, Any]) -> int:
        raw = doc.get("lockfileVersion")
        text = raw if isinstance(raw, str) else json.dumps(raw)
        major = text.split(".", 1)[0]
        if not major.isdigit() or int(major) not in SUPPORTED or isinstance(raw, bool):
            line = self._line_of("lockfileVersion")
            raise LockfileError(
                f"{self.path}:{line}: unsupported lockfileVersion {text[:20]} "
                "(audit reads pnpm lockfile v6 and v9)"
            )
        return int(major)

    def _line_of(self, top_key: str) -> int:
        m = re.search(rf"^{top_key}:", self.text, re.MULTILINE)
        return self.first_line + (self.text.count("\n", 0, m.start()) if m else 0)

    def _mapping(self, doc: Mapping[str, Any], field: str) -> dict[str, Any]:
        value = doc.get(field)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise LockfileError(f"{self.path}:{self._line_of(field)}: '{field}' is not a mapping")
        return value

    def _str_key(self, section: str, key: object) -> str:
        if not isinstance(key, str):
            raise LockfileError(f"{self.path}: {section}: key {key!r} is not a string")
        return key

    def _deps(
        self, section: str, key: str, entry: Mapping[str, Any], field: str
    ) -> list[tuple[str, str]]:
        deps = entry.get(field)
        if deps is None:
            return []
        if not isinstance(deps, dict):
            raise self.fail(section, key, f"'{field}' is not a mapping")
        out = []
        for dep, target in deps.items():
            if not isinstance(dep, str) or not isinstance(target, str):
                raise self.fail(section, key, f"{field}: {dep!r}: not a string reference")
            out.append((dep, target))
        return out

    def _entries(self, packages: Mapping[str, Any]) -> dict[str, int]:
        """Every `packages` entry, peer suffixes removed -> its index in the graph."""
        index: dict[str, int] = {}
        lines = self.lines.get("packages", {})
        for key, entry in packages.items():
            key_s = self._str_key("packages", key)
            base = _strip_peers(key_s)
            if base in index:  # v6: another peer variant of the same package
                continue
            if entry is None:
                entry = {}
            if not isinstance(entry, dict):
                raise self.fail("packages", key_s, "is not a mapping")
            new = self._entry(key_s, base, entry, lines.get(key_s, 0))
            existing = self.graph.index.get(base)
            if existing is not None:  # pnpm 11: in both documents
                old = self.graph.entries[existing]
                if (old.name, old.version, old.integrity, old.resolved, old.source) != (
                    new.name,
                    new.version,
                    new.integrity,
                    new.resolved,
                    new.source,
                ):
                    raise self.fail("packages", key_s, "resolved differently in the two documents")
            index[base] = self.graph.add(new)
        return index

    def _entry(self, key: str, base: str, entry: Mapping[str, Any], line: int) -> Entry:
        fail = self.fail
        split = _split_key(base[1:] if base.startswith("/") else base)
        name = entry.get("name")
        version = entry.get("version")
        if name is None and split is not None:
            name = split[0]
        if version is None:
            # v9 keys carry it (`local-dir@file:local-dir`); a v6 directory key is the spec.
            version = split[1] if split is not None else base
        if not isinstance(name, str) or not valid_name(name):
            raise fail("packages", key, f"invalid package name {str(name)[:80]!r}")
        if not isinstance(version, str):
            raise fail("packages", key, "no version")
        resolution = entry.get("resolution")
        if not isinstance(resolution, dict):
            raise fail("packages", key, "no resolution")
        integrity = resolution.get("integrity")
        if integrity is not None and not isinstance(integrity, str):
            raise fail("packages", key, "resolution.integrity is not a string")
        kind = resolution.get("type")
        tarball = resolution.get("tarball")
        resolved: str | None = None
        if kind is not None:
            if kind == "git":
                repo, commit = resolution.get("repo"), resolution.get("commit")
                if not isinstance(repo, str) or not isinstance(commit, str):
                    raise fail("packages", key, "git resolution without repo and commit")
                source, resolved = SourceKind.GIT, f"{repo}#{commit}"
            elif kind == "directory":
                directory = resolution.get("directory")
                if not isinstance(directory, str):
                    raise fail("packages", key, "directory resolution without directory")
                source, resolved = SourceKind.LINK, directory
            else:  # binary, variations, a resolver's own: nothing a registry attests
                source, resolved = SourceKind.REMOTE, f"pnpm:{str(kind)[:60]}"
        elif tarball is not None:
            if not isinstance(tarball, str):
                raise fail("packages", key, "resolution.tarball is not a string")
            resolved = tarball
            if tarball.startswith(("http://", "https://")):
                source = classify_resolved(tarball, name, version)
            elif tarball.startswith("file:") or ":" not in tarball.split("/", 1)[0]:
                source = SourceKind.FILE
            else:
                source = SourceKind.REMOTE
        else:
            if not is_semver(version):
                raise fail("packages", key, f"version {version[:60]!r} is not semver")
            source = SourceKind.REGISTRY
        if source in (SourceKind.REGISTRY, SourceKind.REMOTE) and not version:
            raise fail("packages", key, "no version")
        return Entry(
            key=base,
            name=name,
            version=version,
            source=source,
            integrity=integrity,
            resolved=resolved,
            line=line,
            has_install_script=entry.get("requiresBuild") is True,
        )

    def _importers(
        self,
        importers: Mapping[str, Any],
        ref: Any,
        variant_of: Mapping[str, int],
        index: Mapping[str, int],
    ) -> None:
        fields = _ENV_FIELDS if self.env else _IMPORTER_FIELDS
        for importer_id, importer in importers.items():
            iid = self._str_key("importers", importer_id)
            self.importer_ids.append(iid)
            if importer is None:
                continue
            if not isinstance(importer, dict):
                raise self.fail("importers", iid, "is not a mapping")
            for field, kind in fields:
                deps = importer.get(field)
                if deps is None:
                    continue
                if not isinstance(deps, dict):
                    raise self.fail("importers", iid, f"'{field}' is not a mapping")
                for dep, spec in deps.items():
                    self._importer_dep(iid, field, kind, dep, spec, ref, variant_of, index)

    def _importer_dep(
        self,
        iid: str,
        field: str,
        kind: str,
        dep: object,
        spec: object,
        ref: Any,
        variant_of: Mapping[str, int],
        index: Mapping[str, int],
    ) -> None:
        if not isinstance(dep, str):
            raise self.fail("importers", iid, f"{field}: key {dep!r} is not a string")
        specifier: object = None
        if isinstance(spec, dict):
            specifier, version = spec.get("specifier"), spec.get("version")
        else:  # lockfile v5-style inline form, and pnpm 11 `name: version`
            version = spec
        if not isinstance(version, str):
            raise self.fail("importers", iid, f"{field}: {dep}: no version")
        graph = self.graph
        if version.startswith("link:"):
            target = posixpath.normpath(posixpath.join(iid, version[5:]))
            if not valid_name(dep):
                raise self.fail("importers", iid, f"{field}: invalid package name {dep[:80]!r}")
            found = graph.add(
                Entry(
                    key=f"link:{target}",
                    name=dep,
                    version="",
                    source=SourceKind.LINK,
                    integrity=None,
                    resolved=target,
                    line=self.lines.get("importers", {}).get(iid, 0),
                )
            )
        else:
            target_key = ref(version, dep)
            found_v = variant_of.get(target_key)
            found_p = found_v if found_v is not None else index.get(_strip_peers(target_key))
            if found_p is None and self.env:
                found_p = self._env_only(dep, version)
            if found_p is None:
                raise self.fail("importers", iid, f"{field}: {dep} -> {target_key!r} is missing")
            found = found_p
        entry = graph.entries[found]
        entry.direct = True
        entry.aliases.add(dep)
        graph.roots.append((found, kind))
        if isinstance(specifier, str) and not specifier.startswith("catalog:"):
            if is_registry_spec(specifier):
                entry.registry_spec = entry.registry_spec or specifier
            else:
                entry.asked_other = True


FORMAT = LockfileFormat(
    name="pnpm",
    file_names=FILE_NAMES,
    description="a pnpm lockfile",
    sniff=sniff,
    parse=parse,
)
