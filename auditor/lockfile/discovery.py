"""Which lockfile of a directory is audited, and every lockfile under a monorepo (`-r`).

Each package manager reads its own file names in its own order (docs/lockfile.md, "Which
lockfile"):

- npm: `npm-shrinkwrap.json` when it exists and is not empty, else `package-lock.json`
  (arborist `lib/shrinkwrap.js`; `auditor.lockfile.parser.choose_lockfile`).
- pnpm: `pnpm-lock.yaml` only (other lockfiles only through `pnpm import`).
- Yarn, classic and Berry: `yarn.lock`.
- Bun: `bun.lock`, else `bun.lockb` (`src/install/lockfile.zig`, `loadFromDir` opens
  `bun.lock` first and falls back to the binary file only when it does not exist).

When a directory holds the lockfiles of several package managers, the one package.json's
`packageManager` (Corepack) or `devEngines.packageManager` names is audited; without
either, the first of `MANAGERS`' order.  Either way the choice and the other files are
said (never a silent pick): the pull request controls package.json, while CI runs whatever
install command its workflow names, so `-r` (every lockfile) is the safe setting there;
in pull-request mode the CLI also applies the base's decision (`manager_at_ref`) and audits
both lockfiles when the two differ.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import LockfileError
from auditor.fileio import read_regular
from auditor.lockfile.parser import LockfileChoice
from auditor.lockfile.parser import choose_lockfile as choose_npm_lockfile
from auditor.lockfile.workspaces import match_workspaces

# Package managers and the lockfile names each reads, in its own order of preference; the
# managers in the order a directory without a `packageManager` decision is read.
MANAGERS: dict[str, tuple[str, ...]] = {
    "npm": ("npm-shrinkwrap.json", "package-lock.json"),
    "pnpm": ("pnpm-lock.yaml",),
    "yarn": ("yarn.lock",),
    "bun": ("bun.lock", "bun.lockb"),
}
LOCKFILE_NAMES = frozenset(name for names in MANAGERS.values() for name in names)
# Directories a walk never enters: installed packages, VCS data and package-manager stores
# (their lockfiles are not the project's).
SKIPPED_DIRS = frozenset(
    {"node_modules", ".git", ".hg", ".svn", ".yarn", ".pnpm-store", "bower_components"}
)
MAX_WALK_DIRS = 50_000  # a walk visits at most this many directories
MAX_WALK_DEPTH = 32
MAX_LOCKFILES = 1_000
MAX_MANIFEST_BYTES = 4 * 2**20  # package.json read for `packageManager`


def manager_of(file_name: str) -> str | None:
    return next((m for m, names in MANAGERS.items() if file_name in names), None)


@dataclass(frozen=True, slots=True)
class DirectoryLockfiles:
    """The lockfile each package manager would read in one directory."""

    directory: Path
    by_manager: dict[str, LockfileChoice]  # in MANAGERS order

    @property
    def choices(self) -> list[LockfileChoice]:
        return list(self.by_manager.values())


def lockfiles_in(directory: Path) -> DirectoryLockfiles:
    """Each manager's lockfile in `directory` (the file that manager installs from)."""
    found: dict[str, LockfileChoice] = {}
    for manager, names in MANAGERS.items():
        present = [directory / n for n in names if (directory / n).is_file()]
        if not present:
            continue
        if manager == "npm":
            # npm's own rule: a non-empty shrinkwrap wins (an unreadable one is an error).
            lock = directory / "package-lock.json"
            # (`directory` is relative to the process's working directory, or absolute.)
            found[manager] = choose_npm_lockfile(lock if lock.is_file() else present[0], Path.cwd())
        else:
            found[manager] = LockfileChoice(present[0])
    return DirectoryLockfiles(directory, found)


def declared_manager(directory: Path) -> tuple[str | None, str | None]:
    """(manager, where) from `directory`'s package.json (see `manifest_manager`)."""
    try:
        data = read_regular(directory / "package.json", MAX_MANIFEST_BYTES)
    except (OSError, ValueError):
        return None, None
    return manifest_manager(data)


def manifest_manager(data: bytes | None) -> tuple[str | None, str | None]:
    """(manager, where) from package.json's `packageManager` ("pnpm@10.34.9+sha512...")
    or `devEngines.packageManager` ({"name": "pnpm"}, or a list of them); (None, None)
    when neither names a known manager or the manifest is absent or unreadable."""
    if data is None or len(data) > MAX_MANIFEST_BYTES:
        return None, None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    field = doc.get("packageManager")
    if isinstance(field, str):
        name = field.split("@", 1)[0].strip() if not field.startswith("@") else ""
        if name in MANAGERS:
            return name, "packageManager"
    engines = doc.get("devEngines")
    pm = engines.get("packageManager") if isinstance(engines, dict) else None
    if isinstance(pm, list):
        pm = pm[0] if pm else None
    if isinstance(pm, dict) and isinstance(pm.get("name"), str) and pm["name"] in MANAGERS:
        return pm["name"], "devEngines.packageManager"
    return None, None


def decided_manager(present: Iterable[str], declared: str | None) -> str | None:
    """The manager whose lockfile a directory holding `present` managers' lockfiles is
    audited with: the declared one when its lockfile is there, else the first in
    `MANAGERS`' order; None when there is none."""
    managers = [m for m in MANAGERS if m in set(present)]
    if declared in managers:
        return declared
    return managers[0] if managers else None


def manager_at_ref(
    folder: str, exists: Callable[[str], bool], manifest: bytes | None
) -> str | None:
    """The manager `decided_manager` picks for the directory `folder` (relative to the
    work tree's top, "" for the top) as a git ref has it: `exists(rel)` says whether the
    ref has that file, `manifest` is the ref's package.json there (None: absent)."""

    def rel(name: str) -> str:
        return f"{folder}/{name}" if folder else name

    present = [m for m, names in MANAGERS.items() if any(exists(rel(n)) for n in names)]
    return decided_manager(present, manifest_manager(manifest)[0])


def choose_in(directory: Path) -> LockfileChoice:
    """The lockfile audited for `directory` (see the module docstring); the choice is said
    in `note` whenever several package managers' lockfiles are there.  A workspace member
    without a lockfile of its own is installed from its workspace root's (`_enclosing`)."""
    local = lockfiles_in(directory)
    if not local.by_manager:
        enclosing = _enclosing(directory)
        if enclosing is not None:
            return enclosing
        # npm's names first: the message audit always gave, then the other managers'.
        raise LockfileError(
            f"no package-lock.json or npm-shrinkwrap.json in {directory} "
            "(nor pnpm-lock.yaml, yarn.lock, bun.lock or bun.lockb)"
        )
    return _choose_among(local)


def _choose_among(local: DirectoryLockfiles) -> LockfileChoice:
    directory = local.directory
    if len(local.by_manager) == 1:
        return local.choices[0]
    manager, where = declared_manager(directory)
    others = ", ".join(c.path.name for m, c in local.by_manager.items() if m != manager)
    if manager is not None and manager in local.by_manager:
        chosen = local.by_manager[manager]
        why = f"package.json's {where} names {manager}"
    else:
        first = next(iter(local.by_manager))
        chosen = local.by_manager[first]
        others = ", ".join(c.path.name for m, c in local.by_manager.items() if m != first)
        why = (
            f"package.json's {where} names {manager}, which has no lockfile here"
            if manager is not None
            else "no packageManager in package.json decides"
        ) + f"; {first}'s is read first"
    note = (
        f"{directory} has the lockfiles of several package managers: auditing "
        f"{chosen.path.name} ({why}); not audited: {others} (name one, or audit every "
        "lockfile with -r)"
    )
    if chosen.note is not None:
        note = f"{chosen.note}; {note}"
    return LockfileChoice(chosen.path, chosen.requested, note)


def _workspace_patterns(root: Path) -> list[str]:
    """package.json's `workspaces` (a list, or Yarn's and Bun's {"packages": [...]}) as
    directory patterns; [] when absent or unreadable."""
    try:
        data = read_regular(root / "package.json", MAX_MANIFEST_BYTES)
        doc = json.loads(data) if len(data) <= MAX_MANIFEST_BYTES else None
    except (OSError, ValueError, RecursionError):
        return []
    field = doc.get("workspaces") if isinstance(doc, dict) else None
    if isinstance(field, dict):
        field = field.get("packages")
    if not isinstance(field, list):
        return []
    return [
        p.strip().removeprefix("./").rstrip("/")
        for p in field
        if isinstance(p, str) and p.strip() and not p.startswith("!")
    ]


def _claims(root: Path, manager: str, member: str) -> bool:
    """Whether `manager` installs the project at `member` (relative to `root`, POSIX) from
    the lockfile in `root`."""
    if manager == "pnpm":
        # pnpm's workspace directory is the nearest one with pnpm-workspace.yaml (its
        # find-workspace-dir), and the shared lockfile lives there.
        return (root / "pnpm-workspace.yaml").is_file()
    if manager == "yarn":
        # Yarn Berry's project is the nearest directory with the lockfile above the working
        # directory (Configuration.findProjectCwd); Yarn 1 installs a workspace from its root.
        return True
    # npm (@npmcli/config's local prefix) and Bun: the nearest package.json whose
    # `workspaces` name this directory.
    try:
        return bool(match_workspaces(_workspace_patterns(root), [member], str(root)))
    except LockfileError:  # patterns beyond the matcher's bounds: not claimed
        return False


def _enclosing(directory: Path) -> LockfileChoice | None:
    """The lockfile of the workspace root above `directory` that its package manager
    installs it from: the nearest ancestor (inside the repository, at most
    MAX_WALK_DEPTH levels up) with a lockfile, when that lockfile's manager claims
    `directory` as a workspace member; None otherwise (the nearest lockfile above belongs
    to another project, or there is none)."""
    start = directory.absolute()
    if not (start / "package.json").is_file() or (start / ".git").exists():
        return None  # not a package, or the repository's top: nothing above is its project
    for depth, root in enumerate(start.parents):
        if depth >= MAX_WALK_DEPTH:
            return None
        local = lockfiles_in(root)
        if local.by_manager:
            member = start.relative_to(root).as_posix()
            claimed = {m: c for m, c in local.by_manager.items() if _claims(root, m, member)}
            if not claimed:
                return None
            chosen = _choose_among(DirectoryLockfiles(root, claimed))
            note = (
                f"no lockfile in {directory}: auditing {chosen.path}, the lockfile of its "
                f"workspace root, which {manager_of(chosen.path.name)} installs it from"
            )
            if chosen.note is not None:
                note = f"{note}; {chosen.note}"
            return LockfileChoice(chosen.path, chosen.requested, note)
        if (root / ".git").exists():
            return None  # the repository's top: a lockfile above is another project's
    return None


def choose_lockfile(arg: Path | None, cwd: Path) -> LockfileChoice:
    """The lockfile to audit for `arg` (a file, a directory, or None for `cwd`)."""
    if arg is None:
        return choose_in(cwd)
    path = arg if arg.is_absolute() else cwd / arg
    if path.is_dir():
        return choose_in(path)
    if path.name == "bun.lockb" and (text := path.with_name("bun.lock")).is_file():
        return LockfileChoice(
            text,
            requested=path,
            note=f"auditing {text}, not bun.lockb: Bun reads bun.lock when it exists beside "
            "bun.lockb",
        )
    return choose_npm_lockfile(arg, cwd)


def find_lockfile(arg: Path | None, cwd: Path) -> Path:
    return choose_lockfile(arg, cwd).path


def walk_lockfiles(root: Path) -> list[LockfileChoice]:
    """Every lockfile under `root` a package manager installs from, in path order.

    Per directory, each manager's own choice (a shrinkwrap over package-lock.json, bun.lock
    over bun.lockb): lockfiles of different managers in one directory are all audited.
    Symlinked directories are not entered (no cycles, nothing outside the tree); the walk
    is bounded in directories, depth and lockfiles (LockfileError beyond).
    """
    if not root.is_dir():
        raise LockfileError(f"-r: {root} is not a directory")
    root = root.absolute()  # lexical: reports show paths relative to the working directory
    found: list[LockfileChoice] = []
    visited = 0
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        directory, depth = stack.pop()
        visited += 1
        if visited > MAX_WALK_DIRS:
            raise LockfileError(
                f"-r: more than {MAX_WALK_DIRS:,} directories under {root}; name the "
                "lockfiles or a smaller directory"
            )
        try:
            with os.scandir(directory) as entries:
                names = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in entries)
        except OSError as exc:
            raise LockfileError(f"-r: cannot list {directory}: {exc.strerror or exc}") from None
        if any(not is_dir and name in LOCKFILE_NAMES for name, is_dir in names):
            found.extend(lockfiles_in(directory).choices)
            if len(found) > MAX_LOCKFILES:
                raise LockfileError(f"-r: more than {MAX_LOCKFILES} lockfiles under {root}")
        if depth >= MAX_WALK_DEPTH:
            continue
        subdirs = [n for n, is_dir in names if is_dir and n not in SKIPPED_DIRS]
        stack.extend((directory / n, depth + 1) for n in reversed(subdirs))
    found.sort(key=lambda c: _sort_key(c.path, root))
    return found


def _sort_key(path: Path, root: Path) -> tuple[tuple[str, ...], str]:
    rel = path.relative_to(root)
    return rel.parent.parts, rel.name
