"""`python -m auditor`: the same entry point as the `audit` console script."""

import sys

from auditor.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
