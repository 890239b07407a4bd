"""A loopback TUF repository built with python-tuf's Metadata API, for `audit trust update`.

Top-level roles root, targets, snapshot and timestamp; the targets role holds
`trusted_root.json` and delegates `<host>/*` to a role named after a (test) registry host,
which holds `<host>/keys.json`, the way Sigstore's repository serves npm's keys.  Served by
a stdlib HTTP server on 127.0.0.1 (ephemeral port) from a background thread.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)

KEYS_HOST = "registry.example.test"  # a stand-in for the npm registry's host
KEYS_TARGET = f"{KEYS_HOST}/keys.json"


class TufRepository:
    """Metadata signed in memory; `publish(directory)` writes the served layout."""

    def __init__(self, trusted_root: bytes, npm_keys: bytes, *, expires_in: float = 7) -> None:
        self.signers = {
            role: CryptoSigner.generate_ecdsa()
            for role in ("root", "targets", "snapshot", "timestamp", KEYS_HOST)
        }
        self.expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=expires_in)
        self.files = {"trusted_root.json": trusted_root, KEYS_TARGET: npm_keys}
        root = Root(expires=self.expires, consistent_snapshot=False)
        for role in ("root", "targets", "snapshot", "timestamp"):
            root.add_key(self.signers[role].public_key, role)
        self.root = Metadata(root)

    def root_bytes(self) -> bytes:
        self.root.signatures.clear()
        self.root.sign(self.signers["root"])
        return self.root.to_bytes()

    def publish(self, directory: Path, *, served: dict[str, bytes] | None = None) -> None:
        """Write metadata and targets; `served` replaces target bodies after signing (to
        serve something other than what the metadata says)."""
        directory.mkdir(parents=True, exist_ok=True)
        delegate = self.signers[KEYS_HOST].public_key
        top = Targets(expires=self.expires)
        top.targets["trusted_root.json"] = TargetFile.from_data(
            "trusted_root.json", self.files["trusted_root.json"]
        )
        top.delegations = Delegations(
            keys={delegate.keyid: delegate},
            roles={
                KEYS_HOST: DelegatedRole(
                    KEYS_HOST, [delegate.keyid], 1, True, paths=[f"{KEYS_HOST}/*"]
                )
            },
        )
        npm = Targets(expires=self.expires)
        npm.targets[KEYS_TARGET] = TargetFile.from_data(KEYS_TARGET, self.files[KEYS_TARGET])
        snapshot = Snapshot(expires=self.expires)
        snapshot.meta = {"targets.json": MetaFile(1), f"{KEYS_HOST}.json": MetaFile(1)}
        timestamp = Timestamp(expires=self.expires)
        timestamp.snapshot_meta = MetaFile(1)
        docs: dict[str, tuple[Metadata[Any], str]] = {
            "1.root.json": (Metadata(self.root.signed), "root"),
            "targets.json": (Metadata(top), "targets"),
            f"{KEYS_HOST}.json": (Metadata(npm), KEYS_HOST),
            "snapshot.json": (Metadata(snapshot), "snapshot"),
            "timestamp.json": (Metadata(timestamp), "timestamp"),
        }
        for name, (md, role) in docs.items():
            md.sign(self.signers[role])
            (directory / name).write_bytes(md.to_bytes())
        for name, body in {**self.files, **(served or {})}.items():
            path = directory / "targets" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """Serve `directory` on loopback; yields the base URL (no trailing slash)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
