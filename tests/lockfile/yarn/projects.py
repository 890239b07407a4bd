"""The projects whose yarn.lock files are fixtures: written by the real Yarn 1 and Yarn 4.

Each project is its files (relative path -> text); `{registry}` stands for the registry URL
(with a trailing slash) the client installs from.  `make_fixtures` installs them with the
real clients and keeps the lockfile and the client's own listing; `test_clients` (marker
`clients`) does the same live and compares again.
"""

from __future__ import annotations

import json


def _json(doc: object) -> str:
    return json.dumps(doc, indent=2) + "\n"


CLASSIC: dict[str, dict[str, str]] = {
    # Aliases, a multi-key entry (ms), a scoped package, dev and optional dependencies.
    "basic": {
        "package.json": _json(
            {
                "name": "c-basic",
                "version": "1.0.0",
                "private": True,
                "dependencies": {
                    "debug": "^4.3.4",
                    "ms": "^2.1.1",
                    "lp": "npm:left-pad@^1.3.0",
                    "@sindresorhus/is": "^4.6.0",
                    "is-number": "7.0.0",
                },
                "devDependencies": {"once": "^1.4.0", "is-odd": "^3.0.1"},
                "optionalDependencies": {"fsevents": "^2.3.3"},
            }
        ),
    },
    # Workspaces (not in a Yarn 1 lockfile), a file: directory, an alias in a member.
    "monorepo": {
        "package.json": _json(
            {
                "name": "c-mono",
                "private": True,
                "workspaces": ["packages/*"],
                "dependencies": {"util-local": "file:./local/util"},
                "devDependencies": {"is-odd": "^3.0.1"},
            }
        ),
        "packages/a/package.json": _json(
            {
                "name": "@mono/a",
                "version": "1.0.0",
                "dependencies": {
                    "@mono/b": "1.0.0",
                    "is-even": "^1.0.0",
                    "pad": "npm:left-pad@1.2.0",
                },
                "optionalDependencies": {"is-number": "^7.0.0"},
            }
        ),
        "packages/b/package.json": _json(
            {
                "name": "@mono/b",
                "version": "1.0.0",
                "dependencies": {"wrappy": "^1.0.2"},
                "devDependencies": {"once": "^1.4.0", "is-number": "^6.0.0"},
            }
        ),
        "local/util/package.json": _json(
            {"name": "util-local", "version": "0.1.0", "dependencies": {"ms": "^2.1.0"}}
        ),
    },
    # Every source: a remote tarball URL (sha1 only), a file: tarball, a link:, resolutions.
    "sources": {
        "package.json": _json(
            {
                "name": "c-sources",
                "private": True,
                "dependencies": {
                    "lp-tarball": "{registry}left-pad/-/left-pad-1.1.3.tgz",
                    "vendored": "file:./vendor/vendored-2.0.0.tgz",
                    "linked-dep": "link:./linked",
                    "@types/ms": "^0.7.34",
                    "strip-ansi": "^6.0.1",
                },
                "devDependencies": {"ms-dev": "npm:ms@2.0.0"},
                "resolutions": {"ansi-regex": "5.0.1"},
            }
        ),
        "linked/package.json": _json({"name": "linked-dep", "version": "0.0.1"}),
        "tarsrc/package.json": _json(
            {"name": "vendored", "version": "2.0.0", "dependencies": {"is-number": "^7.0.0"}}
        ),
    },
}

BERRY: dict[str, dict[str, str]] = {
    # Aliases, multi-descriptor keys, scoped, dev, optional, Yarn's builtin compat patches
    # (fsevents, resolve), node-modules linker.
    "basic": {
        "package.json": _json(
            {
                "name": "b-basic",
                "version": "1.0.0",
                "private": True,
                "dependencies": {
                    "debug": "^4.3.4",
                    "ms": "^2.1.1",
                    "lp": "npm:left-pad@^1.3.0",
                    "@sindresorhus/is": "^4.6.0",
                    "is-number": "7.0.0",
                    "resolve": "^1.22.8",
                },
                "devDependencies": {"once": "^1.4.0", "is-odd": "^3.0.1"},
                "optionalDependencies": {"fsevents": "^2.3.3"},
                "dependenciesMeta": {"fsevents": {"built": False}},
            }
        ),
        ".yarnrc.yml": "nodeLinker: node-modules\n",
    },
    # Workspaces (workspace:), portal:, link:, file: directory and tarball, a tarball URL.
    "monorepo": {
        "package.json": _json(
            {
                "name": "b-mono",
                "private": True,
                "workspaces": ["packages/*"],
                "dependencies": {
                    "util-local": "file:./local/util",
                    "portal-dep": "portal:./local/portal",
                    "link-dep": "link:./local/link",
                    "vendored": "file:./vendor/vendored-2.0.0.tgz",
                    "lp-tarball": "{registry}left-pad/-/left-pad-1.1.3.tgz",
                },
                "devDependencies": {"is-odd": "^3.0.1"},
            }
        ),
        "packages/a/package.json": _json(
            {
                "name": "@mono/a",
                "version": "1.0.0",
                "dependencies": {
                    "@mono/b": "workspace:^",
                    "is-even": "^1.0.0",
                    "pad": "npm:left-pad@1.2.0",
                },
                "optionalDependencies": {"is-number": "^7.0.0"},
            }
        ),
        "packages/b/package.json": _json(
            {
                "name": "@mono/b",
                "version": "1.0.0",
                "dependencies": {"wrappy": "^1.0.2"},
                "devDependencies": {"once": "^1.4.0", "is-number": "^6.0.0"},
            }
        ),
        "local/util/package.json": _json(
            {"name": "util-local", "version": "0.1.0", "dependencies": {"ms": "^2.1.0"}}
        ),
        "local/portal/package.json": _json(
            {"name": "portal-dep", "version": "0.2.0", "dependencies": {"wrappy": "1"}}
        ),
        "local/link/package.json": _json({"name": "link-dep", "version": "0.3.0"}),
        "tarsrc/package.json": _json(
            {"name": "vendored", "version": "2.0.0", "dependencies": {"is-number": "^7.0.0"}}
        ),
        ".yarnrc.yml": "nodeLinker: node-modules\n",
    },
    # A patch of the project's own (`yarn patch` + `yarn patch-commit`), Plug'n'Play.
    "patched": {
        "package.json": _json(
            {
                "name": "b-patched",
                "private": True,
                "dependencies": {"left-pad": "^1.3.0", "@types/ms": "^0.7.34"},
                "devDependencies": {"strip-ansi": "^6.0.1"},
            }
        ),
        ".yarnrc.yml": "nodeLinker: pnp\n",
    },
}
