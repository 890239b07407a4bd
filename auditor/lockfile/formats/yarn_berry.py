"""yarn.lock of Yarn 2 and later ("Berry": `__metadata` version 4 and later) -> `Lockfile`.

Berry's lockfile is YAML, read by Yarn with js-yaml's FAILSAFE schema (every scalar a string;
yarnpkg/berry `packages/yarnpkg-parsers/sources/syml.ts`).  Here libyaml (PyYAML's
`CSafeLoader`) reads it with no implicit types, so `version: 10` and `optional: true` stay
the strings Yarn sees.  Refused (exit 2, `file:line: what`), where Yarn reads a file other
than as it looks: a key repeated in one mapping (Yarn keeps the last; a reviewer reads the
first), YAML anchors and aliases (Yarn never writes them; they would let one small file
expand), and a Yarn 1 header above `__metadata` (Berry then reads the file as Yarn 1's
format).

An entry is `"<descriptor>[, <descriptor>...]": {version, resolution, dependencies,
dependenciesMeta, checksum, languageName, linkType, ...}` (`Project.setupResolutions` in
`packages/yarnpkg-core/sources/Project.ts`); `resolution` is the locator Yarn fetches:

* `name@npm:<version>`: the registry tarball of name@version, from the configured registry
  (`NpmSemverFetcher`): a registry package, no `resolved` URL.  With `::__archiveUrl=<url>`
  Yarn fetches that URL instead: a registry package only when it is the package's own
  tarball path (`lockfile/sources.registry_tarball`), else a remote tarball.
* `workspace:`, `portal:`, `link:`: local directories (links); `file:`, `exec:` and
  `patch:` (a registry or local package with a patch of the repository's applied: the
  patched base is its own entry) are local code; git repositories and tarball URLs are
  what they say.  Anything else is audited as a remote source (never a registry one).
* A descriptor `alias@npm:real@range` installs `real` under the name `alias`.

`checksum` is the hash of the zip archive Yarn builds from the tarball (`<cacheKey>/<sha512
hex>`), not of the tarball the registry serves and the attestations name: it cannot bind
them.  Registry packages therefore carry no integrity (`MISSING_INTEGRITY` until bound) and
`integrity_source = "packument"`: the audit binds them through the registry's `dist.integrity`
for that version, accepted only when the registry's signature over `name@version:integrity`
verifies (docs/lockfile.md, "Yarn").

`paths` holds each package's resolution (Berry's locator); flags follow from the workspace
entries and the manifests beside the lockfile (`yarn_project`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import yaml

from auditor.errors import LockfileError
from auditor.lockfile.formats.base import EntryError, LockfileFormat, every_line, text_head
from auditor.lockfile.formats.yarn_project import (
    Node,
    Project,
    build_packages,
    compute_flags,
    load_project,
    no_gc,
)
from auditor.lockfile.sources import (
    is_git,
    is_registry_spec,
    is_semver,
    registry_tarball,
    valid_name,
)
from auditor.models import IntegrityCheck, Lockfile, SourceKind

NAME = "yarn-berry"
FILE_NAMES = ("yarn.lock",)
MAX_BYTES = 256 * 1024 * 1024
MIN_VERSION = 4
_BERRY = re.compile(r"^__metadata:", re.MULTILINE)
# Berry reads a file with this header as Yarn 1's format (syml.ts LEGACY_REGEXP).
_LEGACY = re.compile(r"^(#.*(\r?\n))*?#\s+yarn\s+lockfile\s+v1\r?\n", re.IGNORECASE)
_SPLIT = re.compile(r" *, *")
# Characters Yarn's js-yaml refuses anywhere in the file (its non-printable set), and NEL,
# LS and PS, which js-yaml reads as ordinary characters but libyaml (YAML 1.1) as line
# breaks: the two would read different entries from one file, so it is refused.
_UNREAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_GIT = re.compile(r"(?:git\+|git://|github:|gitlab:|bitbucket:)|.*(?:\.git(?:#|$)|#commit=)")

_CHECKSUM_PROBLEM = (
    "Yarn Berry's checksum hashes its own zip of the package, not the registry tarball: "
    "the attestations are bound through the registry's signed dist.integrity"
)
_NO_INTEGRITY = IntegrityCheck(None, (), (), "MISSING_INTEGRITY", "no integrity in the lockfile")


def sniff(file_name: str, head: bytes) -> bool:
    """Berry's lockfile: a top-level `__metadata:` key (how Yarn itself tells them apart)."""
    return _BERRY.search(text_head(head)) is not None


class _Loader(yaml.CSafeLoader):
    """libyaml with every scalar a string (js-yaml FAILSAFE), no repeated keys, no aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.key_lines: dict[str, int] | None = None

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not read in a lockfile", node.start_mark
            )
        return super().construct_object(node, deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        lines: dict[str, int] = {}
        for key_node, _ in node.value:
            key = key_node.value
            if isinstance(key, str):
                if key in lines:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key[:80]!r} (Yarn keeps the last one)",
                        key_node.start_mark,
                    )
                lines[key] = key_node.start_mark.line + 1
        if self.key_lines is None:  # the document's own mapping comes first
            self.key_lines = lines
        return super().construct_mapping(node, deep)


_Loader.yaml_implicit_resolvers = {}


def parse(data: bytes, path: str) -> Lockfile:
    """Parse a Berry yarn.lock; the manifests beside `path` are read when it names a file on
    disk (they tell development dependencies apart; see yarn_project)."""
    lockfile = Path(path)
    try:
        on_disk = lockfile.is_file()
    except (OSError, ValueError):
        on_disk = False
    with no_gc():
        return parse_with(data, path, lockfile if on_disk else None)


def parse_with(data: bytes, path: str, lockfile: Path | None) -> Lockfile:
    """Parse Berry bytes; `lockfile`: where to read the project's manifests (None: none)."""
    if len(data) > MAX_BYTES:
        raise LockfileError(f"{path}: larger than {MAX_BYTES // 2**20} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockfileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if _LEGACY.match(text):
        raise LockfileError(
            f"{path}:1: a Yarn 1 header ('# yarn lockfile v1') above Berry's __metadata: "
            "Yarn 1 and Berry read this file differently"
        )
    doc, lines = _load(text, path)
    version = _metadata(doc, lines, path)
    nodes, workspaces = _nodes(doc, lines, path)
    project = None
    if lockfile is not None:
        project = load_project(lockfile, member_dirs=[w for w in workspaces if w != "."])
    return _lockfile(nodes, workspaces, version, path, project)


# The lines Yarn writes (`stringifySyml`), read a line at a time by `fast_load`: a key or
# value is a double-quoted string without escapes or a plain scalar of Yarn's own safe
# form; characters YAML treats specially (line breaks other than \n, control characters,
# a byte-order mark) are not in either.  Any other line sends the file to libyaml.
_BAD = "\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff"
_QUOTED = rf'"[^{_BAD}"\\]*"'
_PLAIN = (
    rf"[^{_BAD}\t \-?:,\[\]{{}}#&*!|>'\"%@`]"
    rf"(?:[^{_BAD}\t,\[\]{{}}:#]*[^{_BAD}\t ,\[\]{{}}:#])?"
)
# A line: indent, key (quoted or plain), then nothing (a block follows) or one space and a
# value; or a blank or comment line (all three groups empty).  One `findall` reads every line.
_LINE = re.compile(rf"^(?:( *)({_QUOTED}|{_PLAIN}):(?: ({_QUOTED}|{_PLAIN}))?| *(?:#.*)?)$", re.M)


def fast_load(text: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """What `_load` returns, for files made only of the lines Yarn writes (None otherwise;
    the tests hold the two to the same result).  Declines on anything subtle: an empty
    value, an indent other than two spaces a level, a repeated key, a document marker, a
    carriage return."""
    found = every_line(_LINE, text)
    if found is None:
        return None
    doc: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    stack: list[dict[str, Any]] = [doc]
    expect_child = False
    number = 0
    for spaces, key, value in found:
        number += 1
        if not key:  # blank or comment: nothing in YAML
            continue
        indent = len(spaces)
        if indent & 1:
            return None
        depth = indent >> 1
        if expect_child:
            if depth != len(stack) - 1:
                return None
            expect_child = False
        elif depth >= len(stack):
            return None
        elif depth < len(stack) - 1:
            del stack[depth + 1 :]
        if key[0] == '"':
            key = key[1:-1]
        elif not depth and key.startswith("..."):  # a document end marker reads as a key
            return None
        target = stack[depth]
        if key in target:
            return None
        if not value:
            child: dict[str, Any] = {}
            target[key] = child
            stack.append(child)
            expect_child = True
        else:
            target[key] = value[1:-1] if value[0] == '"' else value
        if not depth:
            key_lines[key] = number
    if expect_child:
        return None
    return doc, key_lines


def _load(text: str, path: str, *, fast: bool = True) -> tuple[dict[str, Any], dict[str, int]]:
    bad = _UNREAD.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise LockfileError(
            f"{path}:{line}: character U+{ord(bad.group()):04X}: Yarn's YAML reader refuses it "
            "or reads it otherwise than other YAML readers"
        )
    if fast:
        found = fast_load(text)
        if found is not None:
            return found
    loader = _Loader(text)
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        what = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise LockfileError(f"{where}: not a valid Yarn lockfile: {what[:160]}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        raise LockfileError(
            f"{path}:{line}: not a valid Yarn lockfile: character {exc.character!r} is not "
            "allowed in YAML"
        ) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        what = " ".join(str(exc).split())
        raise LockfileError(f"{path}: not a valid Yarn lockfile: {what[:160]}") from None
    finally:
        loader.dispose()
    if not isinstance(doc, dict):
        raise LockfileError(f"{path}: not a Yarn Berry lockfile (top level is not a mapping)")
    return doc, loader.key_lines or {}


def _metadata(doc: dict[str, Any], lines: dict[str, int], path: str) -> int:
    meta = doc.get("__metadata")
    if not isinstance(meta, dict):
        raise LockfileError(f"{path}: not a Yarn Berry lockfile (no __metadata mapping)")
    version = meta.get("version")
    where = f"{path}:{lines.get('__metadata', 1)}"
    if not isinstance(version, str) or not version.isascii() or not version.isdigit():
        raise LockfileError(f"{where}: __metadata version {str(version)[:20]!r} is not a number")
    number = int(version)
    if number < MIN_VERSION:
        raise LockfileError(
            f"{where}: __metadata version {number}: Berry lockfiles start at {MIN_VERSION}"
        )
    return number


def split_ident(text: str) -> tuple[str, str] | None:
    """`name@rest` -> (name, rest) with a scoped name kept whole; None without a rest."""
    start = text.find("/") + 1 if text.startswith("@") else 0
    if text.startswith("@") and start == 0:
        return None
    at = text.find("@", start)
    if at <= 0 or at == len(text) - 1:
        return None
    return text[:at], text[at + 1 :]


def _patched(descriptor: str) -> str | None:
    """The descriptor a `name@patch:<descriptor>#<patch>` descriptor patches, or None."""
    parts = split_ident(descriptor)
    if parts is None or not parts[1].startswith("patch:"):
        return None
    return unquote(parts[1][6:].split("#", 1)[0])


def _params(reference: str) -> tuple[str, dict[str, str]]:
    """`source::a=b&c=d` -> (source, params) as Yarn's URLSearchParams reads them."""
    body, sep, query = reference.partition("::")
    return body, (dict(parse_qsl(query, keep_blank_values=True)) if sep else {})


class _Entry:
    __slots__ = ("descriptors", "fields", "key", "line")

    def __init__(self, key: str, fields: dict[str, Any], line: int) -> None:
        self.key = key
        self.fields = fields
        self.line = line
        if "," not in key:
            self.descriptors = [key] if key else []
        else:
            self.descriptors = [d for d in _SPLIT.split(key) if d]


def _string(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise EntryError(f"'{name}' is {'missing' if value is None else 'not a string'}")
    return value


def _classify(name: str, reference: str, version: str) -> tuple[SourceKind, str | None, str]:
    """(source, resolved, version) of a resolution's reference."""
    body, params = _params(reference)
    protocol = body.split(":", 1)[0] + ":" if ":" in body else ""
    if protocol == "npm:":
        locked = body[4:]
        if not is_semver(locked):
            raise EntryError(f"resolution version {locked[:60]!r} is not semver")
        if locked != version:
            raise EntryError(f"version {version[:60]!r} differs from the resolution's {locked!r}")
        archive = params.get("__archiveUrl")
        if archive is None:
            return SourceKind.REGISTRY, None, version
        if registry_tarball(archive, name, version):
            return SourceKind.REGISTRY, archive, version
        return SourceKind.REMOTE, archive, version
    if protocol in ("workspace:", "portal:", "link:"):
        return SourceKind.LINK, body[len(protocol) :], version
    if protocol in ("file:", "exec:", "patch:"):
        return SourceKind.FILE, reference, version
    if is_git(body) or _GIT.match(body):
        return SourceKind.GIT, reference, version
    if protocol in ("http:", "https:"):
        if registry_tarball(body, name, version):
            return SourceKind.REGISTRY, body, version
        return SourceKind.REMOTE, body, version
    return SourceKind.REMOTE, reference, version


def _nodes(
    doc: dict[str, Any], lines: dict[str, int], path: str
) -> tuple[list[tuple[Node, _Entry]], list[str]]:
    out: list[tuple[Node, _Entry]] = []
    workspaces: list[str] = []
    seen: set[str] = set()
    for key, fields in doc.items():
        if key == "__metadata":
            continue
        line = lines.get(key, 0)
        try:
            if not isinstance(key, str) or not isinstance(fields, dict):
                raise EntryError("not an entry (a mapping of fields)")
            entry = _Entry(key, fields, line)
            node = _node(entry, seen, path)
        except EntryError as exc:
            raise LockfileError(f"{path}:{line}: {str(key)[:80]!r}: {exc}") from None
        # A workspace's resolution: `name@workspace:<directory>`.
        if node.source is SourceKind.LINK and node.key.startswith("workspace:", len(node.name) + 1):
            workspaces.append(node.resolved or ".")
        out.append((node, entry))
    return out, workspaces


def _node(entry: _Entry, seen: set[str], path: str) -> Node:
    fields = entry.fields
    resolution = _string(fields, "resolution")
    _string(fields, "linkType")
    version = _string(fields, "version")
    if resolution in seen:
        raise EntryError(f"resolution {resolution[:80]!r} is locked twice")
    seen.add(resolution)
    parts = split_ident(resolution)
    if parts is None or not valid_name(parts[0]):
        raise EntryError(f"resolution {resolution[:80]!r} is not name@reference")
    name, reference = parts
    source, resolved, version = _classify(name, reference, version)
    install_names = set()
    ranges = []
    alias_problem = None
    for descriptor in entry.descriptors:
        split = split_ident(descriptor)
        if split is None or not valid_name(split[0]):
            raise EntryError(f"{descriptor[:80]!r} is not a descriptor")
        install, range_ = split
        install_names.add(install)
        ranges.append(range_)
        if range_.startswith("npm:") and "@" in range_[5:]:
            real = split_ident(range_[4:])
            if real is None or not valid_name(real[0]):
                alias_problem = (
                    f"{path}:{entry.line}: {entry.key[:80]!r}: the alias {descriptor[:80]!r} "
                    "is malformed"
                )
            elif real[0] != name:
                raise EntryError(
                    f"{descriptor[:80]!r} asks for {real[0][:60]!r}, but the resolution is "
                    f"{name[:60]!r}"
                )
        elif install != name:
            raise EntryError(f"{descriptor[:80]!r} names another package than its resolution")
    if not ranges:
        raise EntryError("no descriptor in the key")
    registry = source is SourceKind.REGISTRY
    node = Node(
        name=name,
        version=version,
        source=source,
        line=entry.line,
        integrity=None,
        check=_NO_INTEGRITY,
        resolved=resolved,
        key=resolution,
        install_names=install_names,
        registry_spec=ranges[0] if all(is_registry_spec(r) for r in ranges) else None,
        alias_problem=alias_problem,
        integrity_source="packument" if registry else "lockfile",
        problem=_CHECKSUM_PROBLEM if registry else None,
    )
    meta = fields.get("dependenciesMeta")
    optional = set()
    if isinstance(meta, dict):
        optional = {
            dep for dep, m in meta.items() if isinstance(m, dict) and m.get("optional") == "true"
        }
    deps = fields.get("dependencies")
    if deps is not None:
        if not isinstance(deps, dict):
            raise EntryError("'dependencies' is not a mapping")
        for dep, range_ in deps.items():
            if not isinstance(range_, str):
                raise EntryError(f"dependency {dep[:60]!r} is not a string")
            node.deps.append((dep, range_, dep in optional))
    return node


def _lockfile(
    pairs: list[tuple[Node, _Entry]],
    workspaces: list[str],
    version: int,
    path: str,
    project: Project | None,
) -> Lockfile:
    nodes = [node for node, _ in pairs]
    # Descriptors as written; relative ones (`file:`, `link:`, `portal:`) also by the locator
    # they are bound to (`::locator=`), since dependencies name them unbound.
    by_descriptor: dict[str, int] = {}
    bound: dict[tuple[str, str], int] = {}
    # Yarn's builtin compatibility patches replace a descriptor at install time: whatever
    # depends on `fsevents@npm:^2` also gets `fsevents@patch:fsevents@npm%3A^2#...builtin`.
    builtin: dict[str, list[int]] = {}
    for index, (node, entry) in enumerate(pairs):
        for descriptor in entry.descriptors:
            by_descriptor[descriptor] = index
            if "::" in descriptor:
                base, params = _params(descriptor)
                if "locator" in params:
                    bound[(base, params["locator"])] = index
            if "@patch:" not in descriptor:
                continue
            inner = _patched(descriptor)
            patched = split_ident(inner) if inner is not None else None
            if inner is not None and patched is not None:
                node.deps.append((patched[0], patched[1], False))  # it patches that package
                if "builtin<" in descriptor:
                    builtin.setdefault(inner, []).append(index)

    def resolve(dep: str, range_: str, parent: str) -> list[int]:
        descriptor = f"{dep}@{range_}"
        found = by_descriptor.get(descriptor)
        if found is None:
            found = bound.get((descriptor, parent))
        if found is None and ":" not in range_:  # lockfiles up to v6: npm: is implied
            descriptor = f"{dep}@npm:{range_}"
            found = by_descriptor.get(descriptor)
        if found is None:
            return []
        return [found, *builtin.get(descriptor, ())]

    manifests = {m.directory or ".": m for m in project.importers} if project else {}
    edges: list[list[tuple[int, bool]]] = [[] for _ in nodes]
    roots: dict[str, list[tuple[int, bool]]] = {"prod": [], "dev": []}

    def add(index: int, target: int, optional: bool, workspace: bool, dep: str) -> None:
        nodes[index].requires.add(target)
        if not workspace:
            edges[index].append((target, optional))
            return
        nodes[target].direct = True
        manifest = manifests.get(nodes[index].resolved or ".")
        dev_only = (
            manifest is not None
            and dep in manifest.dev
            and dep not in manifest.dependencies
            and dep not in manifest.optional
        )
        if dev_only:  # a workspace's dev dependency
            roots["dev"].append((target, optional))
        else:
            edges[index].append((target, optional))

    for index, node in enumerate(nodes):
        is_workspace = node.source is SourceKind.LINK and "@workspace:" in node.key
        for dep, range_, optional in node.deps:
            for target in resolve(dep, range_, node.key):
                add(index, target, optional, is_workspace, dep)
        if is_workspace:
            node.direct = True
            roots["prod"].append((index, False))
    flags = compute_flags(nodes, edges, roots if roots["prod"] else None)
    if not roots["prod"]:
        depended = {t for out in edges for t, _ in out}
        for i, node in enumerate(nodes):
            node.direct = i not in depended
    return Lockfile(
        path=path,
        lockfile_version=version,
        name=project.root.name if project is not None else None,
        packages=build_packages(nodes, flags),
        workspaces=tuple(sorted(w for w in workspaces if w != ".")),
        format=NAME,
        graph=True,
    )


FORMAT = LockfileFormat(NAME, FILE_NAMES, "a Yarn Berry lockfile", sniff, parse)
