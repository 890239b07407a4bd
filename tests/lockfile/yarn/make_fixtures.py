"""Regenerate fixtures/lockfiles/yarn-classic/ and yarn-berry/ with the real clients.

    python -m tests.lockfile.yarn.make_fixtures

Needs node, Yarn 1.22 and Yarn 4 (see `clients.py`) and the registry npm is configured
with.  Every URL origin is rewritten to the loopback registry.  Not collected by pytest.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.lockfile.yarn import clients
from tests.lockfile.yarn.projects import BERRY, CLASSIC

OUT = Path(__file__).resolve().parents[3] / "fixtures" / "lockfiles"
PATCHES = {"patched": "left-pad"}


def main() -> int:
    why = clients.available()
    if why is not None:
        print(f"make_fixtures: {why}", file=sys.stderr)
        return 1
    registry = clients.registry()
    assert registry is not None
    for family, projects in (("yarn-classic", CLASSIC), ("yarn-berry", BERRY)):
        for name, files in projects.items():
            with tempfile.TemporaryDirectory() as tmp:
                project, home = Path(tmp) / "p", Path(tmp) / "home"
                project.mkdir()
                home.mkdir()
                clients.materialize(files, project, registry)
                if family == "yarn-classic":
                    made = clients.classic(project, home, registry)
                else:
                    made = clients.berry(project, home, registry, patch=PATCHES.get(name))
                dest = OUT / family / name
                shutil.rmtree(dest, ignore_errors=True)
                dest.mkdir(parents=True)
                for rel, text in files.items():
                    if rel.startswith("tarsrc/") or rel == ".yarnrc.yml":
                        continue
                    (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                    (dest / rel).write_text(clients.loopback(text.replace("{registry}", registry)))
                patches = project / ".yarn" / "patches"
                if patches.is_dir():
                    for patch in patches.iterdir():
                        target = dest / ".yarn" / "patches" / patch.name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text(patch.read_text())
                    (dest / "package.json").write_text(
                        clients.loopback((project / "package.json").read_text())
                    )
                for rel, text in made.items():
                    (dest / rel).write_text(clients.loopback(text))
                print(f"{family}/{name}: {len(made['yarn.lock'].splitlines())} lockfile lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
