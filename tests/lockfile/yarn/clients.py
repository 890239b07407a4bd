"""Run the real Yarn clients on the projects of `projects.py` (fixtures and live tests).

Yarn 1.22 and Yarn 4 are found in the scratch prefix named by `AUDITOR_YARN_CLIENTS`
(default `/work/clients`, where `npm i yarn@1.22.22 @yarnpkg/cli-dist@4.18.1` put them).
They install from the registry npm is configured with, in a private HOME and cache.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

PREFIX = Path(os.environ.get("AUDITOR_YARN_CLIENTS", "/work/clients"))
YARN1 = PREFIX / "node_modules" / "yarn" / "bin" / "yarn.js"
YARN4 = PREFIX / "node_modules" / "@yarnpkg" / "cli-dist" / "bin" / "yarn.js"
LOOPBACK = "http://127.0.0.1:4873/"
_URL_ORIGIN = re.compile(r"https?://[^/\s\"',]+/")
_ENCODED_ORIGIN = re.compile(r"https?%3A%2F%2F[^%\s\"',]+%2F", re.IGNORECASE)


def available() -> str | None:
    """Why the live clients cannot run here (None: they can).  They run only under
    `make test-clients` (AUDITOR_CLIENTS=1): installs take time and need the registry."""
    if os.environ.get("AUDITOR_CLIENTS") != "1":
        return "live package-manager runs: make test-clients"
    if shutil.which("node") is None:
        return "node is not on PATH"
    for client in (YARN1, YARN4):
        if not client.is_file():
            return f"{client} is missing"
    if registry() is None:
        return "npm has no registry configured"
    return None


def registry() -> str | None:
    """The registry to install from: `AUDITOR_CLIENTS_REGISTRY` (make test-clients sets it
    from npm's configuration before the tests hide the user's), else npm's."""
    url = os.environ.get("AUDITOR_CLIENTS_REGISTRY", "").strip()
    if url:
        return url if url.endswith("/") else url + "/"
    try:
        out = subprocess.run(
            ["npm", "config", "get", "registry"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    url = out.stdout.strip()
    if out.returncode != 0 or not url.startswith(("http://", "https://")):
        return None
    return url if url.endswith("/") else url + "/"


def loopback(text: str) -> str:
    """Every URL origin rewritten to the loopback registry (no registry host in the repo)."""
    text = _URL_ORIGIN.sub(LOOPBACK, text)
    return _ENCODED_ORIGIN.sub("http%3A%2F%2F127.0.0.1%3A4873%2F", text)


def materialize(files: dict[str, str], into: Path, registry_url: str) -> None:
    """Write a project; a `tarsrc/` directory becomes `vendor/<name>-<version>.tgz`."""
    for rel, text in files.items():
        path = into / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("{registry}", registry_url))
    src = into / "tarsrc" / "package.json"
    if src.is_file():
        manifest = json.loads(src.read_text())
        data = src.read_bytes()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
            info = tarfile.TarInfo("package/package.json")
            info.size, info.mtime, info.mode = len(data), 499162500, 0o644
            tar.addfile(info, io.BytesIO(data))
        vendor = into / "vendor"
        vendor.mkdir(exist_ok=True)
        (vendor / f"{manifest['name']}-{manifest['version']}.tgz").write_bytes(buf.getvalue())


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YARN_", "npm_config_"))}
    env.update(
        HOME=str(home),
        YARN_CACHE_FOLDER=str(home / "cache"),
        YARN_ENABLE_GLOBAL_CACHE="false",
        YARN_ENABLE_TELEMETRY="false",
        YARN_ENABLE_IMMUTABLE_INSTALLS="false",
        YARN_ENABLE_PROGRESS_BARS="false",
    )
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[1:3])} failed in {cwd}: {out.stdout[-2000:]}{out.stderr[-2000:]}"
        )
    return out.stdout


def classic(project: Path, home: Path, registry_url: str) -> dict[str, str]:
    """Yarn 1 install; returns {file name: text} of the lockfile and both listings."""
    env = _env(home)
    y1 = ["node", str(YARN1)]
    flags = ["--registry", registry_url, "--non-interactive", "--cache-folder", str(home / "c1")]
    _run([*y1, "install", "--ignore-scripts", *flags], project, env)
    listing = _run([*y1, "list", "--json", *flags], project, env)
    production = _run([*y1, "list", "--json", "--production", *flags], project, env)
    return {
        "yarn.lock": (project / "yarn.lock").read_text(),
        "listing.json": listing,
        "listing-production.json": production,
    }


def berry(
    project: Path, home: Path, registry_url: str, *, patch: str | None = None
) -> dict[str, str]:
    """Yarn 4 install (and a patch of `patch` committed, when given); returns the lockfile
    and `yarn info -AR --json`."""
    env = _env(home)
    env["YARN_NPM_REGISTRY_SERVER"] = registry_url.rstrip("/")
    y4 = ["node", str(YARN4)]
    (project / "yarn.lock").touch()
    _run([*y4, "install", "--mode=skip-build"], project, env)
    if patch is not None:
        info = json.loads(_run([*y4, "patch", patch, "--json"], project, env).splitlines()[-1])
        work = Path(info["path"])
        index = work / "index.js"
        index.write_text(index.read_text() + "\n// patched by the fixture generator\n")
        _run([*y4, "patch-commit", "-s", str(work)], project, env)
        _run([*y4, "install", "--mode=skip-build"], project, env)
    listing = _run([*y4, "info", "-AR", "--json"], project, env)
    return {"yarn.lock": (project / "yarn.lock").read_text(), "info.json": listing}
