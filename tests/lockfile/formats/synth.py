"""Write package sets as pnpm-lock.yaml (v9, v6) and bun.lock, the way the clients format
them: for the round-trip properties and `make bench`."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spec:
    """One package of a generated project."""

    name: str
    version: str
    integrity: str
    kind: str = "prod"  # how the root asks for it: prod, dev, optional, or "" (transitive)
    alias: str | None = None  # the root installs it under this name
    deps: tuple[int, ...] = field(default=())  # indices of its dependencies


def integrity_of(seed: str) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(seed.encode()).digest()).decode()


def _q(key: str) -> str:
    """Quote a YAML key as pnpm's writer does (keys starting with @, or with special
    characters)."""
    if key[0] in "@'\"!&*?|>%{}[],#`-:" or ": " in key or " #" in key:
        return "'" + key.replace("'", "''") + "'"
    return key


_FIELD = {"prod": "dependencies", "dev": "devDependencies", "optional": "optionalDependencies"}


def pnpm_lockfile(specs: list[Spec], *, v6: bool = False) -> str:
    lines = ["lockfileVersion: '6.0'" if v6 else "lockfileVersion: '9.0'", ""]
    lines += ["settings:", "  autoInstallPeers: true", "  excludeLinksFromLockfile: false", ""]
    lines += ["importers:", "", "  .:"]
    for kind, field_name in _FIELD.items():
        direct = [s for s in specs if s.kind == kind]
        if not direct:
            continue
        lines.append(f"    {field_name}:")
        for s in sorted(direct, key=lambda s: s.alias or s.name):
            if s.alias:
                ref = f"/{s.name}@{s.version}" if v6 else f"{s.name}@{s.version}"
                spec = f"npm:{s.name}@{s.version}"
            else:
                ref, spec = s.version, s.version
            lines += [f"      {_q(s.alias or s.name)}:", f"        specifier: {spec}"]
            lines.append(f"        version: {ref}")
    lines += ["", "packages:", ""]
    for s in specs:
        key = f"/{s.name}@{s.version}" if v6 else f"{s.name}@{s.version}"
        lines += [f"  {_q(key)}:", f"    resolution: {{integrity: {s.integrity}}}"]
        if v6 and s.deps:
            lines.append("    dependencies:")
            lines += [f"      {_q(specs[d].name)}: {specs[d].version}" for d in s.deps]
        lines.append("")
    if not v6:
        lines += ["snapshots:", ""]
        for s in specs:
            key = _q(f"{s.name}@{s.version}")
            if not s.deps:
                lines += [f"  {key}: {{}}", ""]
                continue
            lines += [f"  {key}:", "    dependencies:"]
            lines += [f"      {_q(specs[d].name)}: {specs[d].version}" for d in s.deps]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def bun_lockfile(specs: list[Spec]) -> str:
    """Every package at the top level under its (unique) install name."""
    out = ["{", '  "lockfileVersion": 1,', '  "configVersion": 1,', '  "workspaces": {']
    out += ['    "": {', '      "name": "bench",']
    for kind, field_name in _FIELD.items():
        direct = [s for s in specs if s.kind == kind]
        if not direct:
            continue
        out.append(f'      "{field_name}": {{')
        for s in direct:
            spec = f"npm:{s.name}@{s.version}" if s.alias else s.version
            out.append(f"        {json.dumps(s.alias or s.name)}: {json.dumps(spec)},")
        out.append("      },")
    out += ["    },", "  },", '  "packages": {']
    for s in specs:
        info: dict[str, object] = {}
        if s.deps:
            info["dependencies"] = {specs[d].name: specs[d].version for d in s.deps}
        row = [f"{s.name}@{s.version}", "", info, s.integrity]
        text = json.dumps(row, separators=(", ", ": ")).replace("{}", "{}")
        out.append(f"    {json.dumps(s.alias or s.name)}: {text},")
        out.append("")
    out += ["  }", "}"]
    return "\n".join(out) + "\n"


def big_specs(n: int, seed: int = 1) -> list[Spec]:
    """n distinct packages (a third scoped), each depending on up to three others."""
    rng = random.Random(seed)
    specs = []
    for i in range(n):
        name = f"@scope{i % 50}/pkg-{i}" if i % 3 == 0 else f"pkg-{i}"
        version = f"{rng.randrange(20)}.{rng.randrange(20)}.{rng.randrange(20)}"
        kind = "prod" if i < 150 else "dev" if i < 200 else ""
        deps = tuple(sorted({rng.randrange(n) for _ in range(rng.randrange(4))} - {i}))
        specs.append(Spec(name, version, integrity_of(f"{name}@{version}"), kind, None, deps))
    return specs
