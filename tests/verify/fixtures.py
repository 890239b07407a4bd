"""The recorded real attestation responses (fixtures/real) as test cases."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
REAL = ROOT / "real"
ATTESTATIONS = REAL / "attestations"
VARIANTS = REAL / "variants"
TARBALLS = REAL / "tarballs"
TRUST = ROOT / "trust"


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sri_from_hex(hex_digest: str) -> str:
    return "sha512-" + base64.b64encode(bytes.fromhex(hex_digest)).decode()


@dataclass(frozen=True)
class RealCase:
    file: str
    name: str
    version: str
    entries: tuple[dict[str, Any], ...]  # index.json attestation entries

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(
            f"{e['media_type'].split('bundle')[-1]} {e['tlog_kind']}" for e in self.entries
        )

    @property
    def format_label(self) -> str:
        return " + ".join(sorted(set(self.formats)))

    @property
    def tarball(self) -> Path:
        return TARBALLS / f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"

    def integrity(self) -> str:
        return _integrity(self.tarball)

    def response(self) -> bytes:
        return (ATTESTATIONS / self.file).read_bytes()

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.response())
        return doc


@cache
def _integrity(path: Path) -> str:
    return sri_sha512(path.read_bytes())


def _load_cases() -> tuple[RealCase, ...]:
    index = json.loads((ATTESTATIONS / "index.json").read_text())
    cases = []
    for entry in index:
        stem = entry["file"][: -len(".json")].replace("__", "/")
        name, _, version = stem.rpartition("@")
        cases.append(RealCase(entry["file"], name, version, tuple(entry["attestations"])))
    return tuple(cases)


REAL_CASES: tuple[RealCase, ...] = _load_cases()


def case(spec: str) -> RealCase:
    for c in REAL_CASES:
        if c.spec == spec:
            return c
    raise KeyError(spec)
