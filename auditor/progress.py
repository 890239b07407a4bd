"""Progress on stderr: a one-line bar when stderr is a terminal, otherwise nothing.

stdout carries only the report, so nothing here ever writes to stdout.
"""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from auditor.sanitize import console


class ProgressSink(Protocol):
    def start(self, total: int) -> None: ...

    def fetched(self) -> None: ...

    def verified(self) -> None: ...

    def note(self, message: str) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    """Says nothing (not a terminal, or --quiet)."""

    def start(self, total: int) -> None:
        pass

    def fetched(self) -> None:
        pass

    def verified(self) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def finish(self) -> None:
        pass


class NotesOnly(NullProgress):
    """-v without a terminal: verbose notes, no bar."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def note(self, message: str) -> None:
        self.stream.write(f"audit: {console(message)}\n")
        self.stream.flush()


class StderrProgress:
    """`fetched 1200/3000  verified 1100  850/s  ETA 2s`, redrawn at most 10 times a second."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        verbose: bool = False,
        interval: float = 0.1,
    ) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.interval = interval
        self.total = 0
        self.n_fetched = 0
        self.n_verified = 0
        self._t0 = 0.0
        self._last = 0.0
        self._drawn = False

    def start(self, total: int) -> None:
        self.total = total
        self._t0 = time.monotonic()
        self._draw(force=True)

    def fetched(self) -> None:
        self.n_fetched += 1
        self._draw()

    def verified(self) -> None:
        self.n_verified += 1
        self._draw()

    def note(self, message: str) -> None:
        if self.verbose:
            self._clear()
            self.stream.write(f"audit: {console(message)}\n")
            self.stream.flush()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self._t0, 1e-6)
        rate = self.n_verified / elapsed
        left = self.total - self.n_verified
        eta = f"{left / rate:.0f}s" if rate > 0 and left > 0 else "-"
        return (
            f"fetched {self.n_fetched}/{self.total}  verified {self.n_verified}  "
            f"{rate:.0f}/s  ETA {eta}"
        )

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.stream.write("\r\x1b[K" + self.line())
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

    def finish(self) -> None:
        self._clear()


def make_progress(*, quiet: bool, verbose: int, stream: TextIO | None = None) -> ProgressSink:
    """The sink the CLI flags ask for: a bar only on a terminal, nothing with --quiet."""
    stream = stream or sys.stderr
    if quiet:
        return NullProgress()
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty:
        return StderrProgress(stream, verbose=verbose > 0)
    if verbose > 0:
        return NotesOnly(stream)
    return NullProgress()
