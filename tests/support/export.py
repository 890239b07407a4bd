"""Write a package set in the data layout of the npm-audit-signatures rig.

    python -m tests.support.export OUT_DIR --packages N [--seed S] [--mix provenance=0.6,...]
                                   [--formats v0.2,v0.3] [--tampers npm|all]
                                   [--fast] [--real [invalidsigprov|invalidsigpub]]

OUT_DIR gets (see the rig's README, "Data dir layout"):

    keys.json                         GET /-/npm/v1/keys (the kit's registry key; for --real
                                      also the production npm keys the recorded bundles use)
    packuments/<enc>.json             with {{REGISTRY}} in dist.tarball / dist.attestations.url
    tarballs/<enc>/<file>             real .tgz files
    attestations/<enc>@<version>.json the attestations endpoint bodies
    project/package.json              what to install (direct dependencies, aliases)
    manifest.json                     {name, version, alias, integrity, attested, expected, ...}
    trusted_root.json                 the kit's Sigstore trust root (TRUSTED_ROOT=...; for
    npm-registry-keys.json            --real the pinned production files) and npm keys, for
                                      our tool (--trusted-root / --npm-keys)

`expected` is what *this* tool's verifier must report.  `npm audit signatures` checks less
(no certificate/predicate consistency: a `predicate-mismatch` package passes there) and
aborts on a subject mismatch, so by default invalid packages only get tampers npm counts
as invalid (`--tampers all` for every kind).  Checked with the rig (npm 11.19.1): a
100-package set of v0.1/v0.2/v0.3 bundles, verified=100 with TRUSTED_ROOT=trusted_root.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from tests.support.generator import INVALID_TAMPERS, NPM_COUNTED_TAMPERS, Mix, generate_project
from tests.support.kit import FORMATS, SigstoreKit
from tests.support.real import REAL_TRUST, real_project
from tests.support.registry import RegistryData, encode_name

__all__ = ["export_registry", "main"]


def _npm_keys_as_registry_keys(path: Path) -> list[dict[str, Any]]:
    """fixtures/trust/npm-registry-keys.json entries in the `/-/npm/v1/keys` format."""
    out: dict[str, dict[str, Any]] = {}
    for entry in json.loads(path.read_text())["keys"]:
        end = entry["publicKey"].get("validFor", {}).get("end")
        out[entry["keyId"]] = {
            "expires": end,
            "keyid": entry["keyId"],
            "keytype": "ecdsa-sha2-nistp256",
            "scheme": "ecdsa-sha2-nistp256",
            "key": entry["publicKey"]["rawBytes"],
        }
    return list(out.values())


def export_registry(
    data: RegistryData,
    out: Path,
    *,
    manifest_rows: list[dict[str, Any]],
    project_manifest: dict[str, Any],
    extra_keys: list[dict[str, Any]] | None = None,
) -> None:
    """Write `data` in the rig's layout (atomically: into OUT.tmp, then renamed)."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for sub in ("packuments", "tarballs", "attestations", "project"):
        (tmp / sub).mkdir(parents=True)
    keys = list(data.keys) + [
        k for k in (extra_keys or []) if k["keyid"] not in {x["keyid"] for x in data.keys}
    ]
    (tmp / "keys.json").write_text(json.dumps({"keys": keys}, indent=1) + "\n")
    for name, pack in data.packuments.items():
        path = tmp / "packuments" / f"{encode_name(name)}.json"
        path.write_text(json.dumps(pack, separators=(",", ":")))
    for (name, file), tgz in data.tarballs.items():
        directory = tmp / "tarballs" / encode_name(name)
        directory.mkdir(exist_ok=True)
        (directory / file).write_bytes(tgz)
    for spec, body in data.attestations.items():
        name, _, version = spec.rpartition("@")
        (tmp / "attestations" / f"{encode_name(name)}@{version}.json").write_bytes(body)
    (tmp / "project" / "package.json").write_text(json.dumps(project_manifest, indent=1) + "\n")
    (tmp / "manifest.json").write_text(json.dumps({"packages": manifest_rows}, indent=1) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.support.export",
        description="Write a generated (or the recorded real) package set for DATA_SRC.",
    )
    ap.add_argument("out", type=Path)
    ap.add_argument("--packages", type=int, default=100, help="installed packages (default 100)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mix", default="", help="e.g. provenance=0.6,publish-only=0.2,none=0.2")
    ap.add_argument("--formats", default="v0.2", help="bundle formats, comma separated")
    ap.add_argument("--fast", action="store_true", help="reuse one Fulcio leaf per identity")
    ap.add_argument(
        "--tampers",
        choices=("npm", "all"),
        default="npm",
        help="invalid packages: only tampers npm counts as invalid (default), or all",
    )
    ap.add_argument(
        "--real",
        nargs="?",
        const="",
        default=None,
        metavar="VARIANT",
        help="export the recorded real fixtures (optionally with a variant swapped in)",
    )
    args = ap.parse_args(argv)
    kit = SigstoreKit(seed=f"export-{args.seed}", cache_leaf=args.fast)
    out: Path = args.out
    try:
        if args.real is not None:
            real = real_project(
                args.real or None, signer=kit.sign_registry, keys=kit.registry_keys()
            )
            rows = [
                {
                    "name": p.name,
                    "version": p.version,
                    "alias": p.alias,
                    "integrity": p.integrity,
                    "attested": True,
                    "expected": p.expected,
                    "source": p.source,
                }
                for p in real.packages
            ]
            deps = {
                (p.alias or p.name): (f"npm:{p.name}@{p.version}" if p.alias else p.version)
                for p in real.packages
            }
            export_registry(
                real.registry,
                out,
                manifest_rows=rows,
                project_manifest={
                    "name": "real-fixtures",
                    "version": "1.0.0",
                    "private": True,
                    "dependencies": dict(sorted(deps.items())),
                },
                extra_keys=_npm_keys_as_registry_keys(REAL_TRUST[1]),
            )
            shutil.copyfile(REAL_TRUST[0], out / "trusted_root.json")
            shutil.copyfile(REAL_TRUST[1], out / "npm-registry-keys.json")
            count = len(rows)
        else:
            mix = Mix.parse(args.mix)
            formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
            for fmt in formats:
                if fmt not in FORMATS:
                    raise ValueError(f"unknown format {fmt!r}")
            project = generate_project(
                args.packages,
                seed=args.seed,
                mix=mix,
                kit=kit,
                formats=formats,
                invalid_tampers=NPM_COUNTED_TAMPERS if args.tampers == "npm" else INVALID_TAMPERS,
            )
            export_registry(
                project.registry,
                out,
                manifest_rows=project.manifest(),
                project_manifest=project.root_manifest,
            )
            kit.write_trust(out)
            count = len(project.packages)
    except (ValueError, OSError) as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {count} packages to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
