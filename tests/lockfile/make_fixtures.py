"""Regenerate the hand-designed lockfile fixtures in fixtures/lockfiles/ (one per shape).

    python -m tests.lockfile.make_fixtures

The scenarios are written out by hand below; the script only computes valid SRI strings
and formats the JSON the way npm does.  Not collected by pytest.
"""

import base64
import hashlib
import json
import os
from typing import Any

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "lockfiles")
REG = "http://127.0.0.1:4873"


def sri(spec: str, alg: str = "sha512") -> str:
    return f"{alg}-" + base64.b64encode(hashlib.new(alg, spec.encode()).digest()).decode()


def tgz(name: str, version: str) -> str:
    return f"{REG}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def reg(name: str, version: str, **extra: Any) -> dict[str, Any]:
    e = {"version": version, "resolved": tgz(name, version), "integrity": sri(f"{name}@{version}")}
    e.update(extra)
    return e


def write(fname: str, doc: Any, raw: str | None = None) -> None:
    path = os.path.join(OUT, fname)
    with open(path, "w") as fh:
        fh.write(raw if raw is not None else json.dumps(doc, indent=2) + "\n")


def v3(
    name: str,
    packages: dict[str, Any],
    root_extra: dict[str, Any] | None = None,
    version: int = 3,
) -> dict[str, Any]:
    root = {"name": name, "version": "1.0.0"}
    root.update(root_extra or {})
    doc = {
        "name": name,
        "version": "1.0.0",
        "lockfileVersion": version,
        "requires": True,
        "packages": {"": root, **packages},
    }
    return doc


def main() -> None:
    # --- one package, three versions
    write(
        "one-package.v3.json",
        v3(
            "app",
            {"node_modules/left-pad": reg("left-pad", "1.3.0")},
            {"dependencies": {"left-pad": "^1.3.0"}},
        ),
    )
    d2 = v3(
        "app",
        {"node_modules/left-pad": reg("left-pad", "1.3.0")},
        {"dependencies": {"left-pad": "^1.3.0"}},
        version=2,
    )
    d2["dependencies"] = {
        "left-pad": {
            "version": "1.3.0",
            "resolved": tgz("left-pad", "1.3.0"),
            "integrity": sri("left-pad@1.3.0"),
        }
    }
    write("one-package.v2.json", d2)
    write(
        "one-package.v1.json",
        {
            "name": "app",
            "version": "1.0.0",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "left-pad": {
                    "version": "1.3.0",
                    "resolved": tgz("left-pad", "1.3.0"),
                    "integrity": sri("left-pad@1.3.0"),
                }
            },
        },
    )

    # --- scoped names
    write(
        "scoped.v3.json",
        v3(
            "app",
            {
                "node_modules/@babel/core": reg(
                    "@babel/core", "7.25.8", dependencies={"@babel/types": "^7.25.8"}
                ),
                "node_modules/@babel/types": reg("@babel/types", "7.25.8"),
                # A registry that writes the scope separator encoded is still the registry layout.
                "node_modules/@scope/encoded": {
                    "version": "1.0.0",
                    "resolved": f"{REG}/@scope%2fencoded/-/encoded-1.0.0.tgz",
                    "integrity": sri("@scope/encoded@1.0.0"),
                },
            },
            {"dependencies": {"@babel/core": "^7.25.8", "@scope/encoded": "1.0.0"}},
        ),
    )

    # --- aliases
    write(
        "alias.v3.json",
        v3(
            "app",
            {
                "node_modules/lodash": reg("lodash", "4.17.21"),
                "node_modules/lodash-legacy": {"name": "lodash", **reg("lodash", "3.10.1")},
                "node_modules/types-alias": {"name": "@types/node", **reg("@types/node", "20.0.0")},
                # The same real package installed under two alias names merges into one.
                "node_modules/other/node_modules/lodash-old": {
                    "name": "lodash",
                    **reg("lodash", "3.10.1"),
                },
                "node_modules/other": reg(
                    "other", "1.0.0", dependencies={"lodash-old": "npm:lodash@3.10.1"}
                ),
            },
            {
                "dependencies": {
                    "lodash": "^4",
                    "lodash-legacy": "npm:lodash@3.10.1",
                    "types-alias": "npm:@types/node@20.0.0",
                    "other": "1",
                }
            },
        ),
    )
    write(
        "alias.v1.json",
        {
            "name": "app",
            "version": "1.0.0",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "lodash": {
                    "version": "4.17.21",
                    "resolved": tgz("lodash", "4.17.21"),
                    "integrity": sri("lodash@4.17.21"),
                },
                "lodash-legacy": {
                    "version": "npm:lodash@3.10.1",
                    "resolved": tgz("lodash", "3.10.1"),
                    "integrity": sri("lodash@3.10.1"),
                },
                "types-alias": {
                    "version": "npm:@types/node@20.0.0",
                    "resolved": tgz("@types/node", "20.0.0"),
                    "integrity": sri("@types/node@20.0.0"),
                },
            },
        },
    )

    # --- nested node_modules: same name at several depths
    write(
        "nested.v3.json",
        v3(
            "app",
            {
                "node_modules/a": reg("a", "1.0.0", dependencies={"debug": "^2"}),
                "node_modules/a/node_modules/debug": reg(
                    "debug", "2.6.9", dependencies={"ms": "2.0.0"}
                ),
                "node_modules/a/node_modules/ms": reg("ms", "2.0.0"),
                "node_modules/b": reg("b", "1.0.0", dependencies={"debug": "^2"}),
                "node_modules/b/node_modules/debug": reg(
                    "debug", "2.6.9", dependencies={"ms": "2.0.0"}
                ),
                "node_modules/b/node_modules/debug/node_modules/ms": reg("ms", "2.0.0"),
                "node_modules/debug": reg("debug", "4.3.7", dependencies={"ms": "^2.1.3"}),
                "node_modules/ms": reg("ms", "2.1.3"),
            },
            {"dependencies": {"a": "1", "b": "1", "debug": "4"}},
        ),
    )

    # --- git, remote tarball, file
    write(
        "git.v3.json",
        v3(
            "app",
            {
                "node_modules/gitdep": {
                    "version": "1.2.3",
                    "resolved": "git+ssh://git@git.example.test/org/gitdep.git#0123456789abcdef0123456789abcdef01234567",
                },
                "node_modules/hosted": {
                    "version": "0.1.0",
                    "resolved": "github:org/hosted#89abcdef0123456789abcdef0123456789abcdef",
                },
                "node_modules/noversion": {
                    "resolved": "git+https://git.example.test/org/noversion.git#fedcba9876543210fedcba9876543210fedcba98"
                },
            },
            {
                "dependencies": {
                    "gitdep": "git+ssh://git@git.example.test/org/gitdep.git",
                    "hosted": "github:org/hosted",
                    "noversion": "git+https://git.example.test/org/noversion.git",
                }
            },
        ),
    )
    write(
        "git.v1.json",
        {
            "name": "app",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "gitdep": {
                    "version": "git+ssh://git@git.example.test/org/gitdep.git#0123456789abcdef0123456789abcdef01234567",
                    "from": "git+ssh://git@git.example.test/org/gitdep.git",
                },
                "hosted": {
                    "version": "github:org/hosted#89abcdef0123456789abcdef0123456789abcdef",
                    "from": "github:org/hosted",
                },
            },
        },
    )
    write(
        "remote.v3.json",
        v3(
            "app",
            {
                "node_modules/cdn-pkg": {
                    "version": "1.0.0",
                    "resolved": "https://cdn.example.test/downloads/cdn-pkg.tgz",
                    "integrity": sri("cdn-pkg@1.0.0"),
                },
                # Registry-like path, but the file name's version differs: not a registry tarball.
                "node_modules/renamed": {
                    "version": "2.0.0",
                    "resolved": f"{REG}/renamed/-/renamed-1.0.0.tgz",
                    "integrity": sri("renamed@2.0.0"),
                },
                "node_modules/codeload": {
                    "version": "3.0.0",
                    "resolved": "https://codeload.example.test/org/codeload/tar.gz/0123456789abcdef",
                    "integrity": sri("codeload@3.0.0"),
                },
                # A registry behind a path prefix keeps the registry layout.
                "node_modules/proxied": {
                    "version": "1.1.0",
                    "resolved": "https://artifacts.example.test/api/npm/npm-remote/proxied/-/proxied-1.1.0.tgz",
                    "integrity": sri("proxied@1.1.0"),
                },
            },
            {"dependencies": {"cdn-pkg": "https://cdn.example.test/downloads/cdn-pkg.tgz"}},
        ),
    )
    write(
        "file.v3.json",
        v3(
            "app",
            {
                "node_modules/local-tar": {
                    "version": "0.1.0",
                    "resolved": "file:vendor/local-tar-0.1.0.tgz",
                    "integrity": sri("local-tar@0.1.0"),
                },
                "node_modules/local-dir": {"resolved": "tools/local-dir", "link": True},
                "tools/local-dir": {"name": "local-dir", "version": "0.0.1", "dev": True},
            },
            {
                "dependencies": {"local-tar": "file:vendor/local-tar-0.1.0.tgz"},
                "devDependencies": {"local-dir": "file:tools/local-dir"},
            },
        ),
    )

    # --- workspaces
    write(
        "workspaces.v3.json",
        v3(
            "mono",
            {
                "apps/web": {
                    "name": "web",
                    "version": "0.0.0",
                    "dependencies": {"@mono/core": "*", "react": "^18"},
                },
                "node_modules/@mono/core": {"resolved": "packages/core", "link": True},
                "node_modules/js-tokens": reg("js-tokens", "4.0.0"),
                "node_modules/loose-envify": reg(
                    "loose-envify", "1.4.0", dependencies={"js-tokens": "^4"}
                ),
                "node_modules/ms": reg("ms", "2.1.3"),
                "node_modules/react": reg(
                    "react", "18.3.1", dependencies={"loose-envify": "^1.1.0"}
                ),
                "node_modules/typescript": reg("typescript", "5.6.3", dev=True),
                "node_modules/web": {"resolved": "apps/web", "link": True},
                "packages/core": {
                    "name": "@mono/core",
                    "version": "1.2.0",
                    "dependencies": {"debug": "^2.6.9"},
                },
                "packages/core/node_modules/debug": reg(
                    "debug", "2.6.9", dependencies={"ms": "2.0.0"}
                ),
                "packages/core/node_modules/ms": reg("ms", "2.0.0"),
            },
            {"workspaces": ["packages/*", "apps/*"], "devDependencies": {"typescript": "^5"}},
        ),
    )

    # --- bundled
    write(
        "bundled.v3.json",
        v3(
            "app",
            {
                "node_modules/npm-like": reg(
                    "npm-like",
                    "9.0.0",
                    bundleDependencies=["abbrev"],
                    dependencies={"abbrev": "^2"},
                ),
                "node_modules/npm-like/node_modules/abbrev": {
                    "version": "2.0.0",
                    "inBundle": True,
                    "license": "ISC",
                },
                "node_modules/abbrev": reg("abbrev", "2.0.0"),
            },
            {"dependencies": {"npm-like": "9"}},
        ),
    )
    write(
        "bundled.v1.json",
        {
            "name": "app",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "npm-like": {
                    "version": "9.0.0",
                    "resolved": tgz("npm-like", "9.0.0"),
                    "integrity": sri("npm-like@9.0.0"),
                    "requires": {"abbrev": "^2"},
                    "dependencies": {"abbrev": {"version": "2.0.0", "bundled": True}},
                },
            },
        },
    )

    # --- flags merge
    write(
        "flags.v3.json",
        v3(
            "app",
            {
                "node_modules/a": reg("a", "1.0.0", dependencies={"shared": "1"}),
                "node_modules/a/node_modules/shared": reg("shared", "1.0.0"),
                "node_modules/devonly": reg("devonly", "1.0.0", dev=True),
                "node_modules/devonly/node_modules/shared": reg("shared", "1.0.0", dev=True),
                "node_modules/fsevents": reg(
                    "fsevents", "2.3.3", optional=True, hasInstallScript=True, os=["darwin"]
                ),
                "node_modules/mixed": reg("mixed", "1.0.0", devOptional=True),
                "node_modules/opt-and-dev": reg("opt-and-dev", "1.0.0", dev=True),
                "node_modules/x/node_modules/opt-and-dev": reg(
                    "opt-and-dev", "1.0.0", optional=True
                ),
                "node_modules/x": reg("x", "1.0.0", optional=True),
                "node_modules/peer-dep": reg("peer-dep", "1.0.0", peer=True),
                "node_modules/scripted": reg("scripted", "1.0.0", hasInstallScript=True),
                "node_modules/truthy": reg("truthy", "1.0.0", dev="yes"),
            },
            {
                "dependencies": {"a": "1"},
                "devDependencies": {"devonly": "1"},
                "optionalDependencies": {"fsevents": "2", "x": "1"},
                "peerDependencies": {"peer-dep": "1"},
            },
        ),
    )

    # --- no resolved (omit-lockfile-registry-resolved)
    write(
        "no-resolved.v3.json",
        v3(
            "app",
            {
                "node_modules/@types/node": {
                    "version": "22.7.7",
                    "integrity": sri("@types/node@22.7.7"),
                    "dev": True,
                },
                "node_modules/semver": {"version": "7.6.3", "integrity": sri("semver@7.6.3")},
                "node_modules/prerelease": {
                    "version": "1.0.0-rc.1+build.5",
                    "integrity": sri("prerelease@1.0.0-rc.1+build.5"),
                },
            },
            {"dependencies": {"semver": "^7"}, "devDependencies": {"@types/node": "^22"}},
        ),
    )

    # --- integrity shapes
    write(
        "integrity.v3.json",
        v3(
            "app",
            {
                "node_modules/missing": {"version": "1.0.0", "resolved": tgz("missing", "1.0.0")},
                "node_modules/not-base64": {
                    "version": "1.0.0",
                    "resolved": tgz("not-base64", "1.0.0"),
                    "integrity": "sha512-!!!notbase64!!!",
                },
                "node_modules/short-digest": {
                    "version": "1.0.0",
                    "resolved": tgz("short-digest", "1.0.0"),
                    "integrity": "sha512-" + base64.b64encode(b"x" * 10).decode(),
                },
                "node_modules/md5": {
                    "version": "1.0.0",
                    "resolved": tgz("md5", "1.0.0"),
                    "integrity": "md5-" + base64.b64encode(b"x" * 16).decode(),
                },
                "node_modules/sha1-only": {
                    "version": "1.0.0",
                    "resolved": tgz("sha1-only", "1.0.0"),
                    "integrity": sri("sha1-only@1.0.0", "sha1"),
                },
                "node_modules/multi": {
                    "version": "1.0.0",
                    "resolved": tgz("multi", "1.0.0"),
                    "integrity": sri("multi@1.0.0", "sha1") + " " + sri("multi@1.0.0"),
                },
                "node_modules/numeric": {
                    "version": "1.0.0",
                    "resolved": tgz("numeric", "1.0.0"),
                    "integrity": 42,
                },
            },
        ),
    )
    write(
        "sha1-only.v1.json",
        {
            "name": "old",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "inherits": {
                    "version": "2.0.3",
                    "resolved": tgz("inherits", "2.0.3"),
                    "integrity": sri("inherits@2.0.3", "sha1"),
                },
            },
        },
    )

    # --- v1 tree: nested deps, requires, direct heuristic, duplicate-looking keys
    write(
        "tree.v1.json",
        {
            "name": "app",
            "version": "1.0.0",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "a": {
                    "version": "1.0.0",
                    "resolved": tgz("a", "1.0.0"),
                    "integrity": sri("a@1.0.0"),
                    "requires": {"debug": "^2", "ms": "^2.1"},
                    "dependencies": {
                        "debug": {
                            "version": "2.6.9",
                            "resolved": tgz("debug", "2.6.9"),
                            "integrity": sri("debug@2.6.9"),
                            "requires": {"ms": "2.0.0"},
                            "dependencies": {
                                "ms": {
                                    "version": "2.0.0",
                                    "resolved": tgz("ms", "2.0.0"),
                                    "integrity": sri("ms@2.0.0"),
                                }
                            },
                        }
                    },
                },
                "debug": {
                    "version": "4.3.7",
                    "resolved": tgz("debug", "4.3.7"),
                    "integrity": sri("debug@4.3.7"),
                    "dev": True,
                    "requires": {"ms": "^2.1.3"},
                },
                "ms": {
                    "version": "2.1.3",
                    "resolved": tgz("ms", "2.1.3"),
                    "integrity": sri("ms@2.1.3"),
                },
                "opt": {
                    "version": "1.0.0",
                    "resolved": tgz("opt", "1.0.0"),
                    "integrity": sri("opt@1.0.0"),
                    "optional": True,
                },
                "local": {"version": "file:tools/local"},
                "local-tar": {
                    "version": "file:vendor/local-tar-1.0.0.tgz",
                    "integrity": sri("local-tar@1.0.0"),
                },
                "remote": {
                    "version": "https://cdn.example.test/remote-1.0.0.tgz",
                    "integrity": sri("remote@1.0.0"),
                },
            },
        },
    )

    write(
        "empty.v3.json",
        {
            "name": "empty",
            "version": "1.0.0",
            "lockfileVersion": 3,
            "requires": True,
            "packages": {"": {"name": "empty", "version": "1.0.0"}},
        },
    )
    write("empty.v1.json", {"name": "empty", "version": "1.0.0", "lockfileVersion": 1})

    # --- minified (one line) and escaped keys
    doc = v3(
        "app",
        {"node_modules/a": reg("a", "1.0.0"), "node_modules/@s/b": reg("@s/b", "1.0.0")},
        {"dependencies": {"a": "1"}},
    )
    write("minified.v3.json", doc, raw=json.dumps(doc, separators=(",", ":")))
    write(
        "escaped.v3.json",
        doc,
        raw=json.dumps(doc, indent=2).replace('"node_modules/@s/b"', '"node_modules\\/@s\\u002fb"'),
    )

    # --- errors
    E = "errors/"
    os.makedirs(os.path.join(OUT, "errors"), exist_ok=True)
    write(E + "not-json.txt", None, raw='{\n  "lockfileVersion": 3,\n  packages: {}\n}\n')
    write(
        E + "truncated.json",
        None,
        raw=json.dumps(v3("app", {"node_modules/a": reg("a", "1.0.0")}), indent=2)[:300],
    )
    write(E + "null.json", None)
    write(E + "array.json", [])
    write(
        E + "not-a-lockfile.json", {"name": "app", "version": "1.0.0", "dependencies": {"a": "^1"}}
    )
    write(E + "unknown-version.json", {"name": "app", "lockfileVersion": 4, "packages": {}})
    write(E + "string-version.json", {"name": "app", "lockfileVersion": "3", "packages": {}})
    write(E + "missing-packages.v3.json", {"name": "app", "lockfileVersion": 3})
    write(E + "packages-not-object.v3.json", {"name": "app", "lockfileVersion": 3, "packages": []})
    write(E + "entry-not-object.v3.json", v3("app", {"node_modules/a": "1.0.0"}))
    write(
        E + "no-version.v3.json",
        v3("app", {"node_modules/a": {"resolved": tgz("a", "1.0.0"), "integrity": sri("a@1.0.0")}}),
    )
    write(
        E + "no-version-no-resolved.v3.json",
        v3("app", {"node_modules/a": {"integrity": sri("a@1.0.0")}}),
    )
    write(
        E + "no-version.v1.json",
        {
            "lockfileVersion": 1,
            "dependencies": {
                "a": {"version": "1.0.0", "dependencies": {"b": {"resolved": tgz("b", "1.0.0")}}}
            },
        },
    )
    write(
        E + "version-not-string.v3.json",
        v3("app", {"node_modules/a": {"version": 1, "resolved": tgz("a", "1.0.0")}}),
    )
    write(
        E + "not-semver.v3.json",
        v3("app", {"node_modules/a": {"version": "latest", "integrity": sri("a@1.0.0")}}),
    )
    write(E + "bad-name.v3.json", v3("app", {"node_modules/../../etc": reg("etc", "1.0.0")}))
    write(
        E + "bad-alias-name.v3.json",
        v3("app", {"node_modules/x": {"name": "a b", **reg("x", "1.0.0")}}),
    )
    write(
        E + "bad-alias.v1.json",
        {"lockfileVersion": 1, "dependencies": {"x": {"version": "npm:@1.0.0"}}},
    )
    write(E + "dependencies-not-object.v1.json", {"lockfileVersion": 1, "dependencies": ["a"]})
    d = json.dumps(
        v3("app", {"node_modules/a": reg("a", "1.0.0"), "node_modules/b": reg("b", "1.0.0")}),
        indent=2,
    )
    write(E + "duplicate-key.v3.json", None, raw=d.replace('"node_modules/b"', '"node_modules/a"'))
    with open(os.path.join(OUT, E + "latin1.json"), "wb") as fh:
        fh.write('{"name": "caf\u00e9", "lockfileVersion": 3, "packages": {}}'.encode("latin-1"))
    print("ok")


if __name__ == "__main__":
    main()
