"""A malformed yarn.lock of either format through the CLI: exit 2, one line naming the file,
the line and what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditor.cli import main
from tests.cli.conftest import home

__all__ = ["home"]

BERRY = b"__metadata:\n  version: 10\n  cacheKey: 10c0\n\n"
CASES = [
    (
        b'a@1:\n  version "1"\n    x "2"\nb@1:\n  version "2"\n',
        r":3: indented deeper than the block it is in: Yarn stops reading here",
    ),
    (b'a@1:\n  version "1"\na@1:\n  version "2"\n', r":3: duplicate key 'a@1'"),
    (b"# yarn lockfile v1\n\n@s/a@1:\n", r":3:1: unexpected character '@'"),
    (b'"a@1":\n  version "1.0.0"\n  integrity "x\n', r":3:13: malformed quoted string"),
    (
        BERRY + b'"a@npm:1":\n  version: 1.0.0\n  resolution: "a@npm:1.0.0"\n'
        b'  resolution: "a@https://x.invalid/a.tgz"\n  linkType: hard\n',
        r":8: not a valid Yarn lockfile: duplicate key 'resolution'",
    ),
    (BERRY + b'"a@npm:1":\n  version: 1.0.0\n  linkType: hard\n', r":5: 'a@npm:1': 'resolution'"),
    (BERRY + b'"a@npm:1": [\n', r":6: not a valid Yarn lockfile"),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_malformed_yarn_lock_is_one_line_exit_2(
    data: bytes, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    path = tmp_path / "yarn.lock"
    path.write_bytes(data)
    code = main([str(path), "--offline", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1, err
    assert re.match(rf"audit: error: {re.escape(str(path))}{expected}", err), err
