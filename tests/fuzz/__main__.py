"""`make fuzz`: run every fuzz target for N seconds each (not part of CI).

    python -m tests.fuzz --seconds 60

Targets: tests/fuzz/response.py (attestation responses -> verifier) and, when present,
tests/fuzz/lockfile.py (`fuzz(seconds)`, the lockfile parser).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--seconds", type=float, default=60.0, help="time per target")
    args = parser.parse_args(argv)
    for name in ("response", "lockfile"):
        module_name = f"tests.fuzz.{name}"
        if importlib.util.find_spec(module_name) is None:
            print(f"== fuzz {name}: not present, skipped", flush=True)
            continue
        print(f"== fuzz {name} ({args.seconds:g} s)", flush=True)
        importlib.import_module(module_name).fuzz(args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
