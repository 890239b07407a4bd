"""package-lock.json / npm-shrinkwrap.json (lockfileVersion 1, 2, 3) -> `Lockfile`.

Decisions (documented here because later stages rely on them):

* One `Package` per distinct (real name, version, integrity, resolved, source kind):
  every install path of that package is merged into `paths`.  `resolved` is part of the
  identity so that one tarball fetched from two places is audited twice, not once.
* `version` is the entry's `version` text (alias unwrapped).  It is required for registry
  and remote tarballs; a git, file, link, bundled or local-directory entry may lack it, and
  then it is `""`.  A v1 git/file entry keeps npm's spec there (`git+ssh://...#sha`, `file:x`).
* Links (`link: true`) and the local directory entries they point to (workspace members,
  `file:` directory deps; keys without `node_modules/`) form one `LINK` package named and
  versioned after the directory entry; its flags come from the directory entry.
* Source kind without `resolved` (npm's `omit-lockfile-registry-resolved`): a semver
  version is a registry package; anything else is refused (fail closed).
* Fail closed on flags that would exempt code from the audit: a link whose `resolved` is a
  URL is refused, and `inBundle` / v1 `bundled` count only for entries nested inside
  another package (a top-level "bundled" entry is audited like any other) that have no
  `resolved`: npm fetches a bundled entry from its `resolved` when the bundling package's
  tarball lacks it (arborist reify.js `#bundleMissing`), so such an entry is audited by
  its `resolved` like any other.
* Flags merge with production winning: `dev` only if every instance is dev (likewise
  `optional`, `peer`, `in_bundle`); `dev_optional` if every instance is dev, optional or
  devOptional but the package is neither all-dev nor all-optional; `has_install_script`
  and `direct` if any instance has them.
* direct (v2/v3): the install that Node would resolve from the root (`""`) or from a
  workspace directory for a name listed in its dependencies, devDependencies,
  optionalDependencies or peerDependencies; workspace members themselves are direct.
  direct (v1, which records no root manifest): a top-level entry that no other entry
  `requires` (a direct dependency that is also required by another package is therefore
  reported as transitive).
* `line`: the line of the first install path's key in the file.
* A key repeated inside `packages` (or a v1 `dependencies` map) is refused: JSON parsers
  keep the last one while a reader sees the first.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import LockfileError
from auditor.fileio import read_regular
from auditor.lockfile.lines import load_with_lines
from auditor.lockfile.sources import (
    classify_resolved,
    is_git,
    is_registry_spec,
    is_semver,
    is_tarball_path,
    valid_name,
)
from auditor.lockfile.workspaces import match_workspaces
from auditor.models import Lockfile, Package, SourceKind, check_integrity

LOCKFILE_NAMES = ("package-lock.json", "npm-shrinkwrap.json")
# Files that are not lockfiles audit reads, named so the message says what the file is.
# (Other package managers' lockfiles are formats of their own: auditor.lockfile.formats.)
OTHER_LOCKFILES = {
    "npm-shrinkwrap.yaml": "a pnpm shrinkwrap of pnpm 1 and 2",
    "package.json": "a package manifest, not a lockfile",
}
_SUPPORTED = (
    "audit reads package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock and bun.lock"
)
# Bounded memory: the decoded JSON of a lockfile takes several times its size.
MAX_LOCKFILE_BYTES = 256 * 1024 * 1024
_DEP_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_NM = "node_modules/"


@dataclass(frozen=True, slots=True)
class LockfileChoice:
    """The lockfile npm would install from, and the one asked for when that differs."""

    path: Path
    requested: Path | None = None  # set when npm would not install from the file asked for
    note: str | None = None  # one line saying why `path` is audited instead of `requested`


def find_lockfile(arg: Path | None, cwd: Path) -> Path:
    """The lockfile to audit: `arg` (a file, or a directory to look in), else one in `cwd`;
    always the one npm installs from (see `choose_lockfile`)."""
    return choose_lockfile(arg, cwd).path


def choose_lockfile(arg: Path | None, cwd: Path) -> LockfileChoice:
    """Pick the lockfile npm would install from (docs/lockfile.md, "Which lockfile").

    npm reads `npm-shrinkwrap.json` and `package-lock.json` of the project directory and
    installs from the shrinkwrap whenever it is non-empty; a shrinkwrap it cannot read or
    parse makes `npm ci` fail.  So a `package-lock.json` (named, or found) beside a non-empty
    shrinkwrap is not what npm installs: the shrinkwrap is audited instead, and a shrinkwrap
    that cannot be read is an error naming both files.
    """
    if arg is not None:
        path = arg if arg.is_absolute() else cwd / arg
        if path.is_dir():
            return _find_in(path)
        if str(path) == "/dev/null":
            raise LockfileError(f"{arg}: the null device, not a lockfile; {_SUPPORTED}")
        if path.name in OTHER_LOCKFILES:
            raise LockfileError(f"{arg}: {OTHER_LOCKFILES[path.name]}; {_SUPPORTED}")
        if not path.is_file():
            if path.exists():  # /dev/null, a FIFO, a socket: never opened
                raise LockfileError(f"{arg}: not a regular file; {_SUPPORTED}")
            raise LockfileError(f"{arg}: no such lockfile")
        if path.name == LOCKFILE_NAMES[0]:
            return _prefer_shrinkwrap(path)
        return LockfileChoice(path)
    return _find_in(cwd)


def _find_in(directory: Path) -> LockfileChoice:
    lock, shrinkwrap = (directory / name for name in LOCKFILE_NAMES)
    if lock.is_file():
        return _prefer_shrinkwrap(lock)
    if shrinkwrap.is_file():
        return LockfileChoice(shrinkwrap)
    raise LockfileError(f"no package-lock.json or npm-shrinkwrap.json in {directory}")


def _prefer_shrinkwrap(lock: Path) -> LockfileChoice:
    shrinkwrap = lock.with_name(LOCKFILE_NAMES[1])
    try:
        first = read_regular(shrinkwrap, 0)
    except FileNotFoundError:  # npm too reads ENOENT (a dangling link included) as none
        return LockfileChoice(lock)
    except OSError as exc:
        raise LockfileError(
            f"{shrinkwrap}: cannot read ({exc.strerror or exc}); npm installs from it "
            f"instead of {lock.name}, so neither can be audited"
        ) from None
    if not first:  # npm reads an empty shrinkwrap as none (`sw || lock`)
        return LockfileChoice(lock)
    return LockfileChoice(
        shrinkwrap,
        requested=lock,
        note=f"auditing {shrinkwrap}, not {lock.name}: npm installs from "
        f"npm-shrinkwrap.json when it exists beside package-lock.json",
    )


def parse_lockfile_bytes(data: bytes, path: str) -> Lockfile:
    """Parse lockfile bytes; `path` is only used in messages and `Lockfile.path`."""
    # Decoding allocates millions of containers and no cycles: the cyclic collector would
    # rescan the growing heap again and again (superlinear time on large lockfiles).  Worth
    # 7-25% of the parse's CPU (`make bench`, suite parse); tests/lockfile/test_gc_fast_path.py
    # holds it to the plain path (`_parse`).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(data, path)
    finally:
        if enabled:
            gc.enable()


def _parse(data: bytes, path: str) -> Lockfile:
    if len(data) > MAX_LOCKFILE_BYTES:
        raise LockfileError(f"{path}: larger than {MAX_LOCKFILE_BYTES // 2**20} MiB")
    if not data.strip():
        raise LockfileError(f"{path}: empty file, not a lockfile")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockfileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        doc, lines = load_with_lines(text)
    except json.JSONDecodeError as exc:
        raise LockfileError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise LockfileError(f"{path}: not a lockfile: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise LockfileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise LockfileError(f"{path}: not an npm lockfile (top level is not an object)")
    version = doc.get("lockfileVersion")
    if "lockfileVersion" not in doc:
        raise LockfileError(f"{path}: not an npm lockfile (no lockfileVersion)")
    if type(version) is not int or version not in (1, 2, 3):
        raise LockfileError(
            f"{path}: unsupported lockfileVersion {json.dumps(version)[:40]} (expected 1, 2 or 3)"
        )
    name = doc.get("name")
    if name is not None and not isinstance(name, str):
        raise LockfileError(f"{path}: lockfile 'name' is not a string")

    packages = doc.get("packages")
    # v2 carries both maps: read `packages`.  A v2 file without it is a v1 file in effect.
    use_tree = version == 1 or (version == 2 and packages is None)
    if use_tree:
        deps = doc.get("dependencies", {})
        if not isinstance(deps, dict):
            raise LockfileError(f"{path}: 'dependencies' is not an object")
        _refuse_duplicates(path, lines.duplicate_tree)
        instances = _V1(path, deps, lines.tree).instances()
        workspaces: tuple[str, ...] = ()
    else:
        if not isinstance(packages, dict):
            what = "missing" if packages is None else "not an object"
            raise LockfileError(f"{path}: lockfileVersion {version} but 'packages' is {what}")
        _refuse_duplicates(path, lines.duplicate_packages)
        v3 = _V3(path, packages, lines.packages)
        instances = v3.instances()
        workspaces = v3.workspaces
        root = packages.get("")
        if name is None and isinstance(root, dict) and isinstance(root.get("name"), str):
            name = root["name"]
    return Lockfile(
        path=path,
        lockfile_version=version,
        name=name,
        packages=_merge(instances),
        workspaces=workspaces,
        graph=True,
    )


def _refuse_duplicates(path: str, duplicates: list[str]) -> None:
    if duplicates:
        raise LockfileError(f"{path}: duplicate lockfile key {duplicates[0]!r}")


@dataclass(slots=True)
class _Instance:
    """One entry of the lockfile (one install path), before merging."""

    key: str  # install path, or the local directory for a link target
    name: str
    install_name: str
    version: str
    source: SourceKind
    integrity: object  # as found: str when well-formed
    resolved: str | None
    dev: bool
    optional: bool
    dev_optional: bool
    peer: bool
    in_bundle: bool
    has_install_script: bool
    line: int
    direct: bool = False
    asked_registry: str | None = None  # a registry spec a dependent requires it by
    asked_other: bool = False  # some dependent requires it by a URL, git or path spec
    alias_problem: str | None = None  # a malformed alias: the package is `error`, never fetched
    requires: set[str] | None = None  # keys of the entries its dependency lists resolve to


def _where(key: str) -> str:
    return f"packages[{json.dumps(key)}]"


def _flag(entry: Mapping[str, object], field: str) -> bool:
    # Anything but a literal true is false: the package then counts as production, audited.
    return entry.get(field) is True


def _opt_str(path: str, where: str, entry: Mapping[str, object], field: str) -> str | None:
    value = entry.get(field)
    if value is None or isinstance(value, str):
        return value
    raise LockfileError(f"{path}: {where}: '{field}' is not a string")


def _checked_name(path: str, where: str, name: str) -> str:
    if not valid_name(name):
        raise LockfileError(f"{path}: {where}: invalid package name {name[:80]!r}")
    return name


def _bad_alias(where: str, real: str) -> str | None:
    """Why an alias's real name is not one npm accepts (None: it is valid).

    A per-package problem, not a lockfile error: npm fails on that entry only."""
    if valid_name(real):
        return None
    return f"{where}: the alias's real name {real[:80]!r} is not a valid package name"


def _install_name(key: str) -> str | None:
    """`node_modules/a/node_modules/@s/b` -> `@s/b`; None for a non-node_modules key."""
    if key.startswith(_NM):
        tail = key[len(_NM) :]
    else:
        cut = key.rfind("/" + _NM)
        if cut < 0:
            return None
        tail = key[cut + 1 + len(_NM) :]
    cut = tail.rfind("/" + _NM)
    if cut >= 0:
        tail = tail[cut + 1 + len(_NM) :]
    return tail


def _parent_dir(key: str) -> str | None:
    """The directory an install path or local directory sits in (`None` above the root)."""
    if not key:
        return None
    cut = key.rfind("/" + _NM)
    if cut >= 0:
        return key[:cut]
    if key.startswith(_NM):
        return ""
    return key.rsplit("/", 1)[0] if "/" in key else ""


def _bundle_parent(key: str) -> bool:
    """Only a package can bundle: a "bundled" entry straight under the project (or a
    workspace) would hide a download from the audit, so it is not taken as bundled."""
    return key.count(_NM) >= 2


class _V3:
    """lockfileVersion 2 and 3: the flat `packages` map keyed by install path."""

    def __init__(self, path: str, packages: dict[str, object], lines: dict[str, int]) -> None:
        self.path = path
        self.packages = packages
        self.lines = lines
        self.workspaces: tuple[str, ...] = ()

    def _entry(self, key: str) -> dict[str, object]:
        entry = self.packages[key]
        if not isinstance(entry, dict):
            raise LockfileError(f"{self.path}: {_where(key)} is not an object")
        return entry

    def instances(self) -> list[_Instance]:
        by_key: dict[str, _Instance] = {}
        for key in self.packages:
            if not isinstance(key, str) or key == "":
                continue
            by_key[key] = self._instance(key, self._entry(key))
        root = self.packages.get("")
        root_entry = root if isinstance(root, dict) else {}
        self.workspaces = self._workspace_dirs(root_entry, by_key)
        self._mark_direct(root_entry, by_key)
        self._mark_specs(by_key)
        return list(by_key.values())

    def _instance(self, key: str, entry: dict[str, object]) -> _Instance:
        path, where = self.path, _where(key)
        install_name = _install_name(key)
        real = _opt_str(path, where, entry, "name")
        version = _opt_str(path, where, entry, "version")
        resolved = _opt_str(path, where, entry, "resolved")
        flags = entry
        if install_name is None:
            # A local directory (workspace member, `file:` directory dep).
            if real is None:
                real = key.rsplit("/", 1)[-1]
            _checked_name(path, where, real)
            if resolved is None:
                source = SourceKind.LINK
                resolved = key
            else:
                source = self._source(key, entry, real, version, resolved)
            install_name = real
            alias_problem = None
        else:
            _checked_name(path, where, install_name)
            if real is None:
                real = install_name
            alias_problem = _bad_alias(where, real)
            if entry.get("link") is True:
                if resolved is not None and (is_git(resolved) or ":" in resolved):
                    # npm links only to relative directories; a URL here hides a download.
                    raise LockfileError(f"{path}: {where}: link to {resolved[:80]!r}")
                source = SourceKind.LINK
                target = self.packages.get(resolved) if resolved is not None else None
                if isinstance(target, dict):
                    # Name, version and flags are the target directory's.
                    target_name = target.get("name")
                    if isinstance(target_name, str) and "name" not in entry:
                        real = _checked_name(path, _where(resolved or ""), target_name)
                    target_version = target.get("version")
                    version = target_version if isinstance(target_version, str) else None
                    flags = target
            else:
                source = self._source(key, entry, real, version, resolved)
        if version is None:
            # Only local, git and bundled code may lack a version: a tarball must name one.
            if source in (SourceKind.REGISTRY, SourceKind.REMOTE):
                raise LockfileError(f"{path}: {where}: no version")
            version = ""
        return _Instance(
            key=key,
            name=real,
            install_name=install_name,
            version=version,
            source=source,
            integrity=entry.get("integrity"),
            resolved=resolved,
            dev=_flag(flags, "dev"),
            optional=_flag(flags, "optional"),
            dev_optional=_flag(flags, "devOptional"),
            peer=_flag(flags, "peer"),
            in_bundle=source is SourceKind.BUNDLED,
            has_install_script=_flag(flags, "hasInstallScript"),
            line=self.lines.get(key, 0),
            alias_problem=alias_problem,
        )

    def _source(
        self,
        key: str,
        entry: Mapping[str, object],
        name: str,
        version: str | None,
        resolved: str | None,
    ) -> SourceKind:
        if entry.get("inBundle") is True and _bundle_parent(key) and resolved is None:
            return SourceKind.BUNDLED
        if resolved is not None:
            return classify_resolved(resolved, name, version or "")
        if version is None:
            raise LockfileError(f"{self.path}: {_where(key)}: no version")
        if is_semver(version):
            return SourceKind.REGISTRY
        # No resolved URL and not a registry version: the origin is unknown.
        raise LockfileError(
            f"{self.path}: {_where(key)}: version {version[:60]!r} is not semver "
            "and there is no resolved URL"
        )

    def _workspace_dirs(
        self, root: Mapping[str, object], by_key: Mapping[str, _Instance]
    ) -> tuple[str, ...]:
        patterns = root.get("workspaces")
        if isinstance(patterns, dict):  # yarn-style {"packages": [...]}
            patterns = patterns.get("packages")
        if not isinstance(patterns, list):
            return ()
        globs = [p.rstrip("/").removeprefix("./") for p in patterns if isinstance(p, str)]
        if not globs:
            return ()
        # The patterns are hostile text: matched without regular expressions, in bounded
        # time and memory (auditor.lockfile.workspaces).
        local_dirs = (
            key
            for key, inst in by_key.items()
            if inst.source is SourceKind.LINK and _install_name(key) is None
        )
        return tuple(sorted(match_workspaces(globs, local_dirs, self.path)))

    def _mark_direct(self, root: Mapping[str, object], by_key: Mapping[str, _Instance]) -> None:
        dependents: list[tuple[str, Mapping[str, object]]] = [("", root)]
        for ws in self.workspaces:
            by_key[ws].direct = True
            entry = self.packages.get(ws)
            if isinstance(entry, dict):
                dependents.append((ws, entry))
        for location, entry in dependents:
            for dep_name in _dependency_names(entry):
                found = _resolve(location, dep_name, by_key)
                if found is None:
                    continue
                inst = by_key[found]
                inst.direct = True
                target = inst.resolved
                if inst.source is SourceKind.LINK and target is not None and target in by_key:
                    by_key[target].direct = True

    def _mark_specs(self, by_key: Mapping[str, _Instance]) -> None:
        """Record how each entry is asked for: npm installs `resolved` even when every
        dependent asks for a registry version (a lockfile pointing elsewhere)."""
        asks_registry: dict[str, bool] = {}  # specs repeat ("^1.0.0"): judge each once
        for location, entry in self.packages.items():
            if not isinstance(location, str) or not isinstance(entry, dict):
                continue
            for field in _DEP_FIELDS:
                deps = entry.get(field)
                if not isinstance(deps, dict):
                    continue
                for dep_name, spec in deps.items():
                    if not isinstance(dep_name, str) or not isinstance(spec, str):
                        continue
                    found = _resolve(location, dep_name, by_key)
                    if found is None:
                        continue
                    _edge(by_key, location, found)
                    inst = by_key[found]
                    registry = asks_registry.get(spec)
                    if registry is None:
                        registry = asks_registry[spec] = is_registry_spec(spec)
                    if registry:
                        if inst.asked_registry is None:
                            inst.asked_registry = spec
                    else:
                        inst.asked_other = True


def _edge(by_key: Mapping[str, _Instance], location: str, found: str) -> None:
    """`location` depends on `found` (the dependency graph, `Package.dependencies`)."""
    dependent = by_key.get(location)
    if dependent is not None and found != location:
        if dependent.requires is None:
            dependent.requires = set()
        dependent.requires.add(found)


def _dependency_names(entry: Mapping[str, object]) -> Iterator[str]:
    for field in _DEP_FIELDS:
        deps = entry.get(field)
        if isinstance(deps, dict):
            yield from (k for k in deps if isinstance(k, str))


def _resolve(location: str, name: str, by_key: Mapping[str, object]) -> str | None:
    """Node's lookup: `<dir>/node_modules/<name>` from `location` up to the root."""
    directory: str | None = location
    while directory is not None:
        key = f"{directory}/{_NM}{name}" if directory else f"{_NM}{name}"
        if key in by_key:
            return key
        directory = _parent_dir(directory)
    return None


class _V1:
    """lockfileVersion 1: the nested `dependencies` tree keyed by name."""

    def __init__(self, path: str, deps: dict[str, object], lines: dict[str, int]) -> None:
        self.path = path
        self.deps = deps
        self.lines = lines

    def instances(self) -> list[_Instance]:
        by_key: dict[str, _Instance] = {}
        requires: list[tuple[str, str]] = []  # (requiring install path, name)
        # Iterative walk: depth is bounded only by the JSON decoder.
        stack: list[tuple[str, str, dict[str, object]]] = [("", "dependencies", self.deps)]
        order: list[tuple[str, str, dict[str, object]]] = []
        while stack:
            parent, where_parent, deps = stack.pop()
            for dep_name, entry in deps.items():
                key = f"{parent}/{_NM}{dep_name}" if parent else f"{_NM}{dep_name}"
                where = f"{where_parent}[{json.dumps(dep_name)}]"
                if not isinstance(entry, dict):
                    raise LockfileError(f"{self.path}: {where} is not an object")
                order.append((key, where, entry))
                nested = entry.get("dependencies")
                if nested is not None:
                    if not isinstance(nested, dict):
                        raise LockfileError(f"{self.path}: {where}.dependencies is not an object")
                    stack.append((key, f"{where}.dependencies", nested))
                req = entry.get("requires")
                if isinstance(req, dict):
                    requires.extend((key, r) for r in req if isinstance(r, str))
        for key, where, entry in order:
            by_key[key] = self._instance(key, where, entry)
        required: set[str] = set()
        for location, dep_name in requires:
            found = _resolve(location, dep_name, by_key)
            if found is not None:
                required.add(found)
                _edge(by_key, location, found)
        for key, inst in by_key.items():
            if key.count(_NM) == 1 and key not in required:
                inst.direct = True
        # Document order (the walk above is depth-first from the end).
        return sorted(by_key.values(), key=lambda i: (i.line, i.key))

    def _instance(self, key: str, where: str, entry: dict[str, object]) -> _Instance:
        path = self.path
        install_name = key.rsplit(_NM, 1)[-1]
        _checked_name(path, where, install_name)
        version = _opt_str(path, where, entry, "version")
        resolved = _opt_str(path, where, entry, "resolved")
        name = install_name
        alias_problem = None
        if version is None:
            if not (entry.get("bundled") is True and _bundle_parent(key)):
                raise LockfileError(f"{path}: {where}: no version")
            version = ""
        if version[:4].lower() == "npm:":
            # Alias: `npm:real@1.2.3` (npm-package-arg reads the prefix in any case; the real
            # name may be scoped: split at the last @).
            real, at, real_version = version[4:].rpartition("@")
            if not at or not real or not real_version:
                # Kept under its install name and the spec as written: `error`, never fetched.
                alias_problem = f"{where}: malformed alias version {version[:80]!r}"
            else:
                name, version = real, real_version
                alias_problem = _bad_alias(where, real)
        if alias_problem is not None:
            source = SourceKind.REGISTRY  # an alias is a registry spec (nothing is fetched)
        elif entry.get("bundled") is True and _bundle_parent(key) and resolved is None:
            source = SourceKind.BUNDLED
        elif is_git(version) or (resolved is not None and is_git(resolved)):
            source = SourceKind.GIT
        elif version.startswith("file:"):
            spec = version[5:]
            source = SourceKind.FILE if is_tarball_path(spec) else SourceKind.LINK
            resolved = resolved or version
        elif version.startswith(("http://", "https://")):
            source = SourceKind.REMOTE
            resolved = resolved or version
        elif resolved is not None:
            source = classify_resolved(resolved, name, version)
        elif is_semver(version):
            source = SourceKind.REGISTRY
        else:
            raise LockfileError(
                f"{path}: {where}: version {version[:60]!r} is not semver "
                "and there is no resolved URL"
            )
        return _Instance(
            key=key,
            name=name,
            install_name=install_name,
            version=version,
            source=source,
            integrity=entry.get("integrity"),
            resolved=resolved,
            dev=_flag(entry, "dev"),
            optional=_flag(entry, "optional"),
            dev_optional=False,
            peer=False,
            in_bundle=source is SourceKind.BUNDLED,
            has_install_script=False,
            line=self.lines.get(key, 0),
            alias_problem=alias_problem,
        )


def _merge(instances: Iterable[_Instance]) -> tuple[Package, ...]:
    groups: dict[tuple[str, str, str | None, str | None, SourceKind], list[_Instance]] = {}
    instances = list(instances)
    specs = {inst.key: f"{inst.name}@{inst.version}" for inst in instances}
    for inst in instances:
        integrity = inst.integrity if isinstance(inst.integrity, str) else None
        ident = (inst.name, inst.version, integrity, inst.resolved, inst.source)
        if inst.integrity is not None and integrity is None:
            # A non-string integrity must not merge with a package that has none.
            ident = (inst.name, inst.version, repr(inst.integrity), inst.resolved, inst.source)
        groups.setdefault(ident, []).append(inst)
    packages = [_package(group, specs) for group in groups.values()]
    packages.sort(
        key=lambda p: (p.name, p.version, p.integrity or "", p.resolved or "", p.source.value)
    )
    return tuple(packages)


def _package(group: list[_Instance], specs: Mapping[str, str]) -> Package:
    if len(group) > 1:
        group.sort(key=lambda i: (i.line, i.key))
    first = group[0]
    raw = first.integrity
    check = check_integrity(raw)
    integrity = raw if isinstance(raw, str) else None
    problem = check.problem if raw is not None else None
    if len(group) == 1:  # the common case: skip the merging
        dev, optional, dev_optional = first.dev, first.optional, first.dev_optional
        if dev or optional:
            dev_optional = False
        peer, in_bundle = first.peer, first.in_bundle
        install_script, direct = first.has_install_script, first.direct
        paths: tuple[str, ...] = (first.key,)
        aliases: tuple[str, ...] = (first.install_name,) if first.install_name != first.name else ()
    else:
        dev = all(i.dev for i in group)
        optional = all(i.optional for i in group)
        dev_optional = (
            not dev and not optional and all(i.dev or i.optional or i.dev_optional for i in group)
        )
        peer = all(i.peer for i in group)
        in_bundle = all(i.in_bundle for i in group)
        install_script = any(i.has_install_script for i in group)
        direct = any(i.direct for i in group)
        paths = tuple(i.key for i in group)
        aliases = tuple(sorted({i.install_name for i in group if i.install_name != first.name}))
    alias_problem = next((i.alias_problem for i in group if i.alias_problem), None)
    own = f"{first.name}@{first.version}"
    dependencies = {specs[k] for i in group if i.requires for k in i.requires if k in specs}
    dependencies.discard(own)
    asked = None
    if not any(i.asked_other for i in group):
        asked = next((i.asked_registry for i in group if i.asked_registry is not None), None)
    return Package(
        name=first.name,
        version=first.version,
        source=first.source,
        integrity=integrity,
        hashes=check.hashes,
        integrity_problem=problem,
        integrity_reason=check.reason,
        resolved=first.resolved,
        paths=paths,
        aliases=aliases,
        dev=dev,
        optional=optional,
        dev_optional=dev_optional,
        peer=peer,
        in_bundle=in_bundle,
        has_install_script=install_script,
        direct=direct,
        line=first.line,
        registry_spec=asked,
        alias_problem=alias_problem,
        dependencies=tuple(sorted(dependencies)),
    )
