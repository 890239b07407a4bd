"""Progress on stderr: a one-line bar when stderr is a terminal, otherwise nothing.

stdout carries only the report, so nothing here ever writes to stdout.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
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
    """`fetched 1200/3000  verified 1100  850/s  ETA 2s`, redrawn at most 10 times a second.

    `counting="fetched"` (audit fetch, which verifies nothing): `fetched 1200/3000  850/s`.
    The rate and ETA count every step done (a fetch, a verification), so both are real
    from the first answer on, not only once verifications complete.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        verbose: bool = False,
        interval: float = 0.1,
        counting: str = "verified",
    ) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.counting = counting
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
        steps = 1 if self.counting == "fetched" else 2  # per package
        done = self.n_fetched + (self.n_verified if steps == 2 else 0)
        left = max(0, self.total * steps - done)
        per_second = done / elapsed  # steps per second
        rate = f"{per_second / steps:.0f}/s" if done else "-/s"
        eta = _duration(left / per_second) if done and left else "-"
        if steps == 1:
            return f"fetched {self.n_fetched}/{self.total}  {rate}  ETA {eta}"
        return (
            f"fetched {self.n_fetched}/{self.total}  verified {self.n_verified}  {rate}  ETA {eta}"
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


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def make_progress(
    *,
    quiet: bool,
    verbose: int,
    stream: TextIO | None = None,
    counting: str = "verified",
    env: Mapping[str, str] | None = None,
) -> ProgressSink:
    """The sink the CLI flags ask for: a bar only on a terminal that can redraw a line
    (not TERM=dumb), nothing with --quiet."""
    stream = stream or sys.stderr
    env = os.environ if env is None else env
    if quiet:
        return NullProgress()
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty and env.get("TERM") != "dumb":
        return StderrProgress(stream, verbose=verbose > 0, counting=counting)
    if verbose > 0:
        return NotesOnly(stream)
    return NullProgress()
