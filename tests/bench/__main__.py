"""`make bench`: print benchmark figures (never asserted in tests).

python -m tests.bench [all|parse|yarn|verify|policy|report|engine|packuments|npm] ...
"""

from __future__ import annotations

import importlib
import sys

SUITES = ("parse", "yarn", "verify", "policy", "report", "engine", "packuments", "npm")


def main(argv: list[str]) -> int:
    wanted = [a for a in argv if not a.startswith("-")] or ["all"]
    names = list(SUITES) if "all" in wanted else wanted
    for name in names:
        if name not in SUITES:
            print(f"unknown bench suite {name!r}; choose from {', '.join(SUITES)}", file=sys.stderr)
            return 2
        module = importlib.import_module(f"tests.bench.{name}")
        print(f"== bench {name}", flush=True)
        module.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
