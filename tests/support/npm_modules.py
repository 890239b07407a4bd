"""Modules bundled with the npm on PATH, for differential tests against npm's own code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def npm_bundled_module(name: str) -> Path | None:
    """The directory of `name` inside the global npm's node_modules, or None without npm/node."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None
    try:
        root = subprocess.run(
            [npm, "root", "-g"], capture_output=True, text=True, timeout=60, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(root) / "npm" / "node_modules" / name
    return path if (path / "package.json").is_file() else None
