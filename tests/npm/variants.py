"""The crafted lockfiles of the differential harness, one per attack form of issue 12.

Each variant builds a project (package.json, lockfile(s), files of the pull request) on the
rig.  `GV` is gundam-visor@1.0.1, `SG` @trishankatdatadog/supreme-goggles@1.0.5 and `TJ`
tuf-js@1.0.0: real packages with real provenance.  "evil" bytes are the attacker's tarball
of the same name and version (at `/@attacker/<name>/-/…` on the registry unless the variant
says another host).
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.npm.rig import GOGGLES, GUNDAM, LEGACY, TUF, NpmRig, Project, sri, unscoped

Spec = tuple[str, str]


@dataclass(frozen=True)
class Built:
    project: Project
    base: Path | None = None  # base lockfile for pull-request mode
    offline_parity: bool = False  # also compare `audit fetch` + --offline with live


@dataclass(frozen=True)
class Variant:
    id: str
    klass: str  # the class (or form) it exercises
    what: str
    build: Callable[[NpmRig, Path], Built]
    quick: bool = False  # part of the `make test` subset

    def __str__(self) -> str:
        return self.id


VARIANTS: list[Variant] = []


def variant(
    klass: str, what: str, *, quick: bool = False
) -> Callable[[Callable[[NpmRig, Path], Built]], Callable[[NpmRig, Path], Built]]:
    def register(fn: Callable[[NpmRig, Path], Built]) -> Callable[[NpmRig, Path], Built]:
        VARIANTS.append(Variant(fn.__name__.replace("_", "-"), klass, what, fn, quick))
        return fn

    return register


# ------------------------------------------------------------------------- helpers


def evil(rig: NpmRig, spec: Spec, where: str = "path") -> bytes:
    return rig.attacker(f"{where}:{spec[0]}").data


def evil_url(rig: NpmRig, spec: Spec, where: str = "path") -> str:
    name, version = spec
    if where == "host":
        return f"{rig.other.url}/{name}/-/{unscoped(name)}-{version}.tgz"
    return rig.tarball_url(name, version, under=f"@attacker/{unscoped(name)}")


def good(rig: NpmRig, spec: Spec, alg: str = "sha512") -> str:
    return sri(alg, rig.genuine(spec))


def bad(rig: NpmRig, spec: Spec, alg: str = "sha512", where: str = "path") -> str:
    return sri(alg, evil(rig, spec, where))


def key(name: str) -> str:
    return f"node_modules/{name}"


def one(rig: NpmRig, tmp: Path, entry: dict[str, Any], spec: Spec = GUNDAM) -> Built:
    """A project whose only dependency is `spec`, with this lockfile entry."""
    return Built(rig.project(tmp, packages={key(spec[0]): entry}))


def poisoned(
    rig: NpmRig, integrity: str | None, spec: Spec = GUNDAM, **extra: Any
) -> dict[str, Any]:
    """An entry for `spec` that fetches the evil tarball, with this integrity."""
    entry: dict[str, Any] = {"version": spec[1], "resolved": evil_url(rig, spec)}
    if integrity is not None:
        entry["integrity"] = integrity
    entry.update(extra)
    return entry


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# ------------------------------------------------------------------------- controls


@variant("control", "genuine entries, as npm writes them", quick=True)
def control_genuine(rig: NpmRig, tmp: Path) -> Built:
    return Built(
        rig.project(
            tmp,
            packages={key(GUNDAM[0]): rig.entry(GUNDAM), key(GOGGLES[0]): rig.entry(GOGGLES)},
        )
    )


@variant("control", "genuine integrity, resolved at the attacker's path: npm must refuse")
def control_good_integrity_evil_resolved(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, good(rig, GUNDAM)))


# ------------------------------------------------------------- 1. several hashes


@variant("1 several hashes", "sha512-GOOD sha512-EVIL, resolved evil", quick=True)
def multi_good_evil(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, f"{good(rig, GUNDAM)} {bad(rig, GUNDAM)}"))


@variant("1 several hashes", "sha512-EVIL sha512-GOOD (order swapped), resolved evil")
def multi_evil_good(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, f"{bad(rig, GUNDAM)} {good(rig, GUNDAM)}"))


@variant("1 several hashes", "sha512-GOOD sha512-EVIL, resolved genuine")
def multi_good_evil_resolved_genuine(rig: NpmRig, tmp: Path) -> Built:
    entry = rig.entry(GUNDAM)
    entry["integrity"] = f"{good(rig, GUNDAM)} {bad(rig, GUNDAM)}"
    return one(rig, tmp, entry)


@variant("1 several hashes", "sha512-GOOD sha384-EVIL: npm checks the strongest algorithm")
def mix_sha512_good_sha384_evil(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, f"{good(rig, GUNDAM)} {bad(rig, GUNDAM, 'sha384')}"))


@variant("1 several hashes", "sha384-GOOD sha512-EVIL")
def mix_sha384_good_sha512_evil(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, f"{good(rig, GUNDAM, 'sha384')} {bad(rig, GUNDAM)}"))


@variant("1 several hashes", "sha1-EVIL sha512-GOOD (weak hash first)")
def mix_sha1_evil_sha512_good(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, f"{bad(rig, GUNDAM, 'sha1')} {good(rig, GUNDAM)}"))


@variant("1 several hashes", "sha512-GOOD sha256-EVIL sha1-EVIL")
def mix_sha512_good_sha256_sha1_evil(rig: NpmRig, tmp: Path) -> Built:
    integrity = f"{good(rig, GUNDAM)} {bad(rig, GUNDAM, 'sha256')} {bad(rig, GUNDAM, 'sha1')}"
    return one(rig, tmp, poisoned(rig, integrity))


@variant("1 several hashes", "sha512-GOOD plus a second sha512 of the other host's bytes")
def multi_good_evil_other_host(rig: NpmRig, tmp: Path) -> Built:
    entry = {
        "version": GUNDAM[1],
        "resolved": evil_url(rig, GUNDAM, "host"),
        "integrity": f"{good(rig, GUNDAM)} {bad(rig, GUNDAM, where='host')}",
    }
    return one(rig, tmp, entry)


# ------------------------------------------------------------- 2. algorithm spelling


@variant("2 algorithm case", "SHA512-GOOD (upper case), resolved evil", quick=True)
def case_upper_sha512(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, "SHA512-" + good(rig, GUNDAM).split("-", 1)[1]))


@variant("2 algorithm case", "Sha512-GOOD (mixed case), resolved evil")
def case_mixed_sha512(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, "Sha512-" + good(rig, GUNDAM).split("-", 1)[1]))


@variant("2 algorithm case", "SHA512-GOOD sha1-EVIL: the only recognised hash is sha1")
def case_upper_plus_sha1_evil(rig: NpmRig, tmp: Path) -> Built:
    integrity = "SHA512-" + good(rig, GUNDAM).split("-", 1)[1] + " " + bad(rig, GUNDAM, "sha1")
    return one(rig, tmp, poisoned(rig, integrity))


@variant("2 unknown algorithm", "sha3-… (an algorithm npm does not know), resolved evil")
def unknown_algorithm(rig: NpmRig, tmp: Path) -> Built:
    digest = b64(hashlib.sha3_512(rig.genuine(GUNDAM)).digest())
    return one(rig, tmp, poisoned(rig, f"sha3-{digest}"))


@variant("2 unknown algorithm", "md5-EVIL sha512-GOOD")
def unknown_md5_plus_good(rig: NpmRig, tmp: Path) -> Built:
    md5 = b64(hashlib.md5(evil(rig, GUNDAM)).digest())
    return one(rig, tmp, poisoned(rig, f"md5-{md5} {good(rig, GUNDAM)}"))


@variant("2 weak only", "sha1-EVIL only, resolved evil")
def weak_sha1_only(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, bad(rig, GUNDAM, "sha1")))


@variant("2 weak only", "sha256-EVIL only, resolved evil")
def weak_sha256_only(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, bad(rig, GUNDAM, "sha256")))


@variant("2 malformed", "sha512-<not base64>, resolved evil")
def malformed_not_base64(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, "sha512-!!!not*base64!!!"))


@variant("2 malformed", "sha512-GOOD with an option suffix (?foo), resolved evil")
def malformed_option_suffix(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, good(rig, GUNDAM) + "?foo"))


@variant("2 malformed", "integrity is an empty string, resolved evil")
def malformed_empty(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, ""))


@variant("2 malformed", "sha512-GOOD truncated by one character, resolved genuine")
def malformed_truncated(rig: NpmRig, tmp: Path) -> Built:
    entry = rig.entry(GUNDAM)
    entry["integrity"] = good(rig, GUNDAM)[:-2]
    return one(rig, tmp, entry)


@variant("missing integrity", "no integrity, resolved evil", quick=True)
def missing_integrity(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, None))


# --------------------------------------------------------------- 3. shrinkwrap


@variant(
    "3 shrinkwrap", "genuine package-lock.json, evil npm-shrinkwrap.json beside it", quick=True
)
def shrinkwrap_beside_lock(rig: NpmRig, tmp: Path) -> Built:
    return Built(
        rig.project(
            tmp,
            packages={key(GUNDAM[0]): rig.entry(GUNDAM)},
            shrinkwrap={key(GUNDAM[0]): poisoned(rig, bad(rig, GUNDAM))},
        )
    )


@variant("3 shrinkwrap", "genuine lockfile, shrinkwrap with sha512-GOOD sha512-EVIL")
def shrinkwrap_beside_lock_multi(rig: NpmRig, tmp: Path) -> Built:
    return Built(
        rig.project(
            tmp,
            packages={key(GUNDAM[0]): rig.entry(GUNDAM)},
            shrinkwrap={key(GUNDAM[0]): poisoned(rig, f"{good(rig, GUNDAM)} {bad(rig, GUNDAM)}")},
        )
    )


@variant("3 shrinkwrap", "only npm-shrinkwrap.json, evil entry")
def shrinkwrap_only(rig: NpmRig, tmp: Path) -> Built:
    return Built(
        rig.project(
            tmp,
            packages={key(GUNDAM[0]): rig.entry(GUNDAM)},
            lockfile=False,
            shrinkwrap={key(GUNDAM[0]): poisoned(rig, bad(rig, GUNDAM))},
        )
    )


@variant("3 shrinkwrap", "evil package-lock.json, genuine shrinkwrap (npm installs genuine)")
def shrinkwrap_genuine_lock_evil(rig: NpmRig, tmp: Path) -> Built:
    return Built(
        rig.project(
            tmp,
            packages={key(GUNDAM[0]): poisoned(rig, bad(rig, GUNDAM))},
            shrinkwrap={key(GUNDAM[0]): rig.entry(GUNDAM)},
        )
    )


# ------------------------------------------------------------------ 4. resolved


@variant("4 resolved path", "resolved at /@attacker/NAME/-/…, integrity EVIL", quick=True)
def resolved_attacker_path(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, bad(rig, GUNDAM)))


@variant("4 resolved path", "resolved at another genuine package's tarball, its integrity")
def resolved_other_genuine_package(rig: NpmRig, tmp: Path) -> Built:
    entry = {
        "version": GUNDAM[1],
        "resolved": rig.tarball_url(*GOGGLES),
        "integrity": good(rig, GOGGLES),
    }
    return one(rig, tmp, entry)


@variant("4 resolved path", "resolved with ../ segments that normalise to the attacker's path")
def resolved_dot_segments(rig: NpmRig, tmp: Path) -> Built:
    url = f"{rig.url}/@attacker/gundam-visor/-/x/../gundam-visor-1.0.1.tgz"
    return one(rig, tmp, {"version": GUNDAM[1], "resolved": url, "integrity": bad(rig, GUNDAM)})


@variant("4 resolved path", "resolved at the attacker's path with ?query, GOOD+EVIL")
def resolved_query(rig: NpmRig, tmp: Path) -> Built:
    url = evil_url(rig, GUNDAM) + "?/gundam-visor/-/gundam-visor-1.0.1.tgz"
    integrity = f"{good(rig, GUNDAM)} {bad(rig, GUNDAM)}"
    return one(rig, tmp, {"version": GUNDAM[1], "resolved": url, "integrity": integrity})


@variant("4 resolved host", "resolved on another host (genuine path), integrity EVIL")
def resolved_other_host(rig: NpmRig, tmp: Path) -> Built:
    entry = {
        "version": GUNDAM[1],
        "resolved": evil_url(rig, GUNDAM, "host"),
        "integrity": bad(rig, GUNDAM, where="host"),
    }
    return one(rig, tmp, entry)


@variant("4 resolved host", "resolved via localhost instead of 127.0.0.1 (same server)")
def resolved_localhost_alias(rig: NpmRig, tmp: Path) -> Built:
    url = evil_url(rig, GUNDAM).replace("127.0.0.1", "localhost")
    return one(rig, tmp, {"version": GUNDAM[1], "resolved": url, "integrity": bad(rig, GUNDAM)})


@variant("4 resolved scheme", "resolved https:// on the registry's http host")
def resolved_https(rig: NpmRig, tmp: Path) -> Built:
    entry = rig.entry(GUNDAM)
    entry["resolved"] = entry["resolved"].replace("http://", "https://")
    return one(rig, tmp, entry)


@variant("4 resolved", "no resolved, genuine integrity (npm asks the registry)")
def missing_resolved(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, {"version": GUNDAM[1], "integrity": good(rig, GUNDAM)})


@variant("4 resolved", "no resolved, integrity EVIL")
def missing_resolved_evil_integrity(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, {"version": GUNDAM[1], "integrity": bad(rig, GUNDAM)})


@variant("4 resolved", "no resolved, no integrity")
def missing_resolved_and_integrity(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, {"version": GUNDAM[1]})


@variant("remote tarball", "package.json names a tarball URL on another host", quick=True)
def remote_tarball(rig: NpmRig, tmp: Path) -> Built:
    url = f"{rig.other.url}/dl/-/gundam-visor.tgz"
    entry = {"version": GUNDAM[1], "resolved": url, "integrity": bad(rig, GUNDAM, where="host")}
    root = {"name": "victim", "version": "1.0.0", "dependencies": {"gundam-visor": url}}
    return Built(rig.project(tmp, packages={"": root, key("gundam-visor"): entry}))


@variant("remote tarball", "registry range in package.json, lockfile resolved at a remote URL")
def remote_url_for_registry_spec(rig: NpmRig, tmp: Path) -> Built:
    url = f"{rig.other.url}/dl/-/gundam-visor.tgz"
    entry = {"version": GUNDAM[1], "resolved": url, "integrity": bad(rig, GUNDAM, where="host")}
    return one(rig, tmp, entry)


# --------------------------------------------------------------------- 5. alias


@variant("5 alias", "node_modules/gundam-visor is npm:evil-gundam-visor", quick=True)
def alias_to_attacker_name(rig: NpmRig, tmp: Path) -> Built:
    # With a genuine attested package beside it: a registry that serves no attestations
    # at all is a finding of its own (registry-no-attestations), which would hide this one.
    packages = {key("gundam-visor"): _evil_alias(rig), key(GOGGLES[0]): rig.entry(GOGGLES)}
    return Built(rig.project(tmp, packages=packages))


def _evil_alias(rig: NpmRig) -> dict[str, Any]:
    tgz = rig.catalogue.by_tag["published:evil-gundam-visor@1.0.1"].data
    return {
        "name": "evil-gundam-visor",
        "version": "1.0.1",
        "resolved": rig.tarball_url("evil-gundam-visor", "1.0.1"),
        "integrity": sri("sha512", tgz),
    }


@variant("5 alias", "alias entry in the lockfile, plain range in package.json")
def alias_lockfile_only(rig: NpmRig, tmp: Path) -> Built:
    deps = {"gundam-visor": "^1.0.1", GOGGLES[0]: GOGGLES[1]}
    root = {"name": "victim", "version": "1.0.0", "dependencies": deps}
    packages = {
        "": root,
        key("gundam-visor"): _evil_alias(rig),
        key(GOGGLES[0]): rig.entry(GOGGLES),
    }
    return Built(rig.project(tmp, packages=packages))


@variant("5 alias", "npm:@trishankatdatadog/supreme-goggles under another name (genuine)")
def alias_to_genuine(rig: NpmRig, tmp: Path) -> Built:
    entry = rig.entry(GOGGLES, name=GOGGLES[0])
    return one(rig, tmp, entry, spec=("goggles", GOGGLES[1]))


@variant("5 alias", "name field of a genuine name on an evil tarball at the alias path", quick=True)
def alias_name_genuine_bytes_evil(rig: NpmRig, tmp: Path) -> Built:
    entry = poisoned(rig, bad(rig, GUNDAM), name=GUNDAM[0])
    return one(rig, tmp, entry, spec=("gv", GUNDAM[1]))


# ---------------------------------------------------------------- 6. legacy names


@variant("6 legacy name", "a legacy name with ~!*'() (offline must equal live)")
def legacy_name(rig: NpmRig, tmp: Path) -> Built:
    tgz = rig.catalogue.by_tag[f"published:{LEGACY}@1.0.0"].data
    entry = {
        "version": "1.0.0",
        "resolved": rig.tarball_url(LEGACY, "1.0.0"),
        "integrity": sri("sha512", tgz),
    }
    packages = {key(LEGACY): entry, key(GUNDAM[0]): rig.entry(GUNDAM)}
    return Built(rig.project(tmp, packages=packages), offline_parity=True)


# ---------------------------------------------------------------- 7. pull requests


def _pr(rig: NpmRig, tmp: Path, head: dict[str, Any]) -> Built:
    base_dir = tmp / "base"
    base = rig.project(base_dir, packages={key(GUNDAM[0]): rig.entry(GUNDAM)})
    built = rig.project(tmp, packages={key(GUNDAM[0]): head})
    return Built(built, base=base.directory / "package-lock.json")


@variant(
    "7 pull request", "PR changes only resolved+integrity (sha512-GOOD sha512-EVIL)", quick=True
)
def pr_resolved_and_multi_integrity(rig: NpmRig, tmp: Path) -> Built:
    return _pr(rig, tmp, poisoned(rig, f"{good(rig, GUNDAM)} {bad(rig, GUNDAM)}"))


@variant("7 pull request", "PR changes only resolved+integrity (EVIL)")
def pr_resolved_and_integrity(rig: NpmRig, tmp: Path) -> Built:
    return _pr(rig, tmp, poisoned(rig, bad(rig, GUNDAM)))


@variant("7 pull request", "PR drops integrity and moves resolved to another host")
def pr_other_host_no_integrity(rig: NpmRig, tmp: Path) -> Built:
    return _pr(rig, tmp, {"version": GUNDAM[1], "resolved": evil_url(rig, GUNDAM, "host")})


@variant("7 pull request", "PR changes integrity to SHA512-GOOD (case)")
def pr_case_integrity(rig: NpmRig, tmp: Path) -> Built:
    return _pr(rig, tmp, poisoned(rig, "SHA512-" + good(rig, GUNDAM).split("-", 1)[1]))


# ----------------------------------------------------------- bundled, nested, local


@variant("bundled", "top-level inBundle entry, evil")
def bundled_top_level(rig: NpmRig, tmp: Path) -> Built:
    return one(rig, tmp, poisoned(rig, bad(rig, GUNDAM), inBundle=True))


@variant("bundled", "nested inBundle under a genuine parent that bundles nothing")
def bundled_nested(rig: NpmRig, tmp: Path) -> Built:
    packages = {
        key(GUNDAM[0]): rig.entry(GUNDAM),
        f"{key(GUNDAM[0])}/node_modules/tuf-js": poisoned(rig, bad(rig, TUF), TUF, inBundle=True),
    }
    return Built(rig.project(tmp, packages=packages))


@variant("nested", "nested node_modules entry, evil integrity")
def nested_evil(rig: NpmRig, tmp: Path) -> Built:
    packages = {
        key(GUNDAM[0]): rig.entry(GUNDAM, dependencies={"tuf-js": "1.0.0"}),
        f"{key(GUNDAM[0])}/node_modules/tuf-js": poisoned(rig, bad(rig, TUF), TUF),
    }
    return Built(rig.project(tmp, packages=packages))


@variant("nested", "nested node_modules entry, sha512-GOOD sha512-EVIL")
def nested_multi(rig: NpmRig, tmp: Path) -> Built:
    packages = {
        key(GUNDAM[0]): rig.entry(GUNDAM, dependencies={"tuf-js": "1.0.0"}),
        f"{key(GUNDAM[0])}/node_modules/tuf-js": poisoned(
            rig, f"{good(rig, TUF)} {bad(rig, TUF)}", TUF
        ),
    }
    return Built(rig.project(tmp, packages=packages))


@variant("nested", "genuine top-level and an evil copy of the same name nested")
def nested_same_name(rig: NpmRig, tmp: Path) -> Built:
    packages = {
        key(GOGGLES[0]): rig.entry(GOGGLES, dependencies={"gundam-visor": "1.0.1"}),
        key(GUNDAM[0]): rig.entry(GUNDAM),
        f"{key(GOGGLES[0])}/node_modules/gundam-visor": poisoned(
            rig, f"{good(rig, GUNDAM)} {bad(rig, GUNDAM)}"
        ),
    }
    return Built(rig.project(tmp, packages=packages))


@variant("dev/optional", "dev entry with sha512-GOOD sha512-EVIL (npm ci installs dev)")
def dev_multi(rig: NpmRig, tmp: Path) -> Built:
    entry = poisoned(rig, f"{good(rig, GUNDAM)} {bad(rig, GUNDAM)}", dev=True)
    root = {"name": "victim", "version": "1.0.0", "devDependencies": {"gundam-visor": "1.0.1"}}
    return Built(rig.project(tmp, packages={"": root, key(GUNDAM[0]): entry}))


def _local_files(rig: NpmRig, spec: Spec, where: str) -> dict[str, bytes]:
    from tests.npm.rig import marked_files

    files = marked_files(f"local:{spec[0]}", *spec)
    return {f"{where}/{name}": data for name, data in files.items()}


@variant("workspaces", "a workspace member named like a genuine package")
def workspace_member(rig: NpmRig, tmp: Path) -> Built:
    packages: dict[str, dict[str, Any]] = {
        "": {"name": "victim", "version": "1.0.0", "workspaces": ["packages/*"]},
        "packages/gundam-visor": {"name": "gundam-visor", "version": "1.0.1"},
        key("gundam-visor"): {"resolved": "packages/gundam-visor", "link": True},
        key(GOGGLES[0]): rig.entry(GOGGLES),
    }
    manifest = {
        "name": "victim",
        "version": "1.0.0",
        "workspaces": ["packages/*"],
        "dependencies": {GOGGLES[0]: GOGGLES[1]},
    }
    files = _local_files(rig, GUNDAM, "packages/gundam-visor")
    return Built(rig.project(tmp, packages=packages, manifest=manifest, files=files))


@variant("link", "link: true to a directory of the pull request (file: directory dep)")
def link_directory(rig: NpmRig, tmp: Path) -> Built:
    packages: dict[str, dict[str, Any]] = {
        "vendor/gundam-visor": {"name": "gundam-visor", "version": "1.0.1"},
        key("gundam-visor"): {"resolved": "vendor/gundam-visor", "link": True},
    }
    files = _local_files(rig, GUNDAM, "vendor/gundam-visor")
    return Built(rig.project(tmp, packages=packages, files=files))


@variant("link", "link: true whose resolved is the registry tarball URL")
def link_with_url(rig: NpmRig, tmp: Path) -> Built:
    entry = {"resolved": rig.tarball_url(*GUNDAM), "link": True}
    return one(rig, tmp, entry)


@variant("file:", "file: tarball shipped in the pull request")
def file_tarball(rig: NpmRig, tmp: Path) -> Built:
    tgz = rig.catalogue.by_tag["local:gundam-visor"].data
    entry = {
        "version": "1.0.1",
        "resolved": "file:vendor/gundam-visor-1.0.1.tgz",
        "integrity": sri("sha512", tgz),
    }
    return Built(
        rig.project(
            tmp,
            packages={key("gundam-visor"): entry},
            files={"vendor/gundam-visor-1.0.1.tgz": tgz},
        )
    )


@variant("file:", "file: tarball whose integrity claims the genuine sha512")
def file_tarball_genuine_integrity(rig: NpmRig, tmp: Path) -> Built:
    tgz = rig.catalogue.by_tag["local:gundam-visor"].data
    entry = {
        "version": "1.0.1",
        "resolved": "file:vendor/gundam-visor-1.0.1.tgz",
        "integrity": good(rig, GUNDAM),
    }
    return Built(
        rig.project(
            tmp,
            packages={key("gundam-visor"): entry},
            files={"vendor/gundam-visor-1.0.1.tgz": tgz},
        )
    )


@variant("git", "git+file:// repository of the pull request's author")
def git_dependency(rig: NpmRig, tmp: Path) -> Built:
    from tests.npm.rig import marked_files

    repo = tmp / "git-repo"
    repo.mkdir(parents=True)
    for name, data in marked_files("local:gundam-visor", *GUNDAM).items():
        (repo / name).write_bytes(data)
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp), "PATH": "/usr/bin:/bin"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "."],
        ["-c", "user.name=a", "-c", "user.email=a@example.test", "commit", "-q", "-m", "x"],
    ):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    url = f"git+file://{repo}"
    entry = {"version": "1.0.1", "resolved": f"{url}#{sha}"}
    root = {"name": "victim", "version": "1.0.0", "dependencies": {"gundam-visor": url}}
    return Built(rig.project(tmp, packages={"": root, key("gundam-visor"): entry}))
