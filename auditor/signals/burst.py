"""Publish bursts: several versions of one package published within a short window.

A compromised account or release pipeline tends to publish many versions in minutes (the
2025 worm republished every package it could reach; compromised projects shipped several
malicious versions in a row).  The audited version is in a burst when a window of
`within` holds it and at least `versions - 1` other versions.  Times are the packument's
(`time`), registry claims: a registry can hide a burst but not invent one against the
audit.  Prereleases count only when the audited version is a prerelease (canary and
nightly channels publish often by design).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auditor.models import Packument
from auditor.signals.levels import is_prerelease

MAX_LISTED = 20  # versions named in a finding's evidence


@dataclass(frozen=True, slots=True)
class Burst:
    """The densest window holding the audited version."""

    version: str
    count: int  # versions in the window, the audited one included
    start: datetime
    end: datetime
    versions: tuple[tuple[str, datetime], ...]  # the window's versions by time (at most MAX_LISTED)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def publish_burst(
    packument: Packument,
    version: str,
    *,
    versions: int,
    within: timedelta,
    published: datetime | None = None,
) -> Burst | None:
    """The burst `version` is part of, or None.  `published` is its time when the
    packument has none.  O(n log n) in the number of versions."""
    info = packument.versions.get(version)
    when = info.published if info is not None and info.published is not None else published
    if when is None or versions < 2:
        return None
    when = _aware(when)
    pre = is_prerelease(version)
    timeline = sorted(
        (_aware(vi.published), v)
        for v, vi in packument.versions.items()
        if v != version and vi.published is not None and (pre or not is_prerelease(v))
    )
    timeline.append((when, version))
    timeline.sort()
    times = [t for t, _ in timeline]
    # Windows [t, t + within] that contain `when`: t in [when - within, when].
    lo = bisect_left(times, when - within)
    hi = bisect_right(times, when)
    best: tuple[int, int, int] | None = None  # (count, first index, last index)
    for i in range(lo, hi):
        j = bisect_right(times, times[i] + within) - 1
        count = j - i + 1
        if best is None or count > best[0]:
            best = (count, i, j)
    if best is None or best[0] < versions:
        return None
    count, i, j = best
    window = tuple((v, t) for t, v in timeline[i : j + 1])
    return Burst(
        version=version,
        count=count,
        start=times[i],
        end=times[j],
        versions=window[:MAX_LISTED],
    )
