"""install-script: hasInstallScript and the allow list."""

from __future__ import annotations

from dataclasses import replace

from auditor.models import Level, Status
from tests.policy._helpers import (
    result,
    run,
)


def test_install_scripts() -> None:
    a = result(Status.UNATTESTED, name="esbuild", has_install_script=True)
    b = result(Status.UNATTESTED, name="evil", has_install_script=True)
    fs = run(
        '[install_script]\nallow = ["esbuild@>=0.20"]\n',
        a,
        replace(a, package=replace(a.package, version="0.19.0")),
        b,
    )
    assert [(f.package, f.version, f.level) for f in fs] == [
        ("esbuild", "0.19.0", Level.WARNING),
        ("evil", "1.0.0", Level.WARNING),
    ]
