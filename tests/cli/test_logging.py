"""--log-level and -v/-q: the stdlib `auditor` loggers write one inert line each to stderr."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from auditor.cli import _log_level, build_audit_parser, main
from tests.cli.test_output import LOCK, OFFLINE, run

LOG = logging.getLogger("auditor.test")


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        ([], logging.WARNING),
        (["-v"], logging.INFO),
        (["-vv"], logging.DEBUG),
        (["-q"], logging.ERROR),
        (["--log-level", "debug"], logging.DEBUG),
        (["--log-level", "info"], logging.INFO),
        (["--log-level", "warning"], logging.WARNING),
        (["--log-level", "error"], logging.ERROR),
    ],
)
def test_levels_and_their_short_options(argv: list[str], level: int) -> None:
    args = build_audit_parser().parse_args(argv)
    assert _log_level(args) == level
    # --log-level stands for the short option: the same notes, evidence and summary.
    same = {logging.DEBUG: ["-vv"], logging.INFO: ["-v"], logging.ERROR: ["-q"]}.get(level, [])
    short = build_audit_parser().parse_args(same)
    assert (args.verbose, args.quiet) == (short.verbose, short.quiet)


@pytest.fixture
def logs_during_audit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Log one line of each level (with attacker text) while the audit runs."""
    import auditor.pipeline

    real = auditor.pipeline.run_audit

    def logging_run(*args: object, **kw: object) -> object:
        LOG.debug("debug note")
        LOG.info("info note")
        LOG.warning("warning from \x1b[31mevil\n::error::x")
        LOG.error("error note")
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(auditor.pipeline, "run_audit", logging_run)
    yield


@pytest.mark.usefixtures("logs_during_audit")
@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--log-level", "debug"], ["debug note", "info note", "warning", "error note"]),
        (["-v"], ["info note", "warning", "error note"]),
        ([], ["warning", "error note"]),
        (["--log-level", "error"], ["error note"]),
        (["-q"], ["error note"]),
    ],
)
def test_log_lines_follow_the_level(
    capsys: pytest.CaptureFixture[str], argv: list[str], shown: list[str]
) -> None:
    _, _, err = run(capsys, LOCK, *OFFLINE, "--fail-on", "never", *argv)
    logged = [line for line in err.splitlines() if "note" in line or "evil" in line]
    expected = {
        "debug note": "audit: debug note",
        "info note": "audit: info note",
        "error note": "audit: error: error note",
    }
    assert len(logged) == len(shown)
    for line, what in zip(logged, shown, strict=True):
        if what == "warning":
            # One printable line that no runner reads as a workflow command.
            assert line.startswith("audit: warning: warning from ")
            assert "\x1b" not in line and line.endswith("evil ::error::x")
        else:
            assert line == expected[what]


def test_no_handler_is_left_behind(capsys: pytest.CaptureFixture[str]) -> None:
    before = list(logging.getLogger("auditor").handlers)
    main(["policy", "check", "/nonexistent.toml"])
    run(capsys, LOCK, *OFFLINE, "-q", "--fail-on", "never")
    assert logging.getLogger("auditor").handlers == before


@pytest.mark.parametrize("extra", [["-q"], ["-v"]])
def test_log_level_and_short_options_are_one_choice(
    capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    code, _, err = run(capsys, LOCK, *OFFLINE, "--log-level", "info", *extra)
    assert code == 2
    assert err == "audit: error: --log-level cannot be used with -q/--quiet or -v/--verbose\n"
