"""Trust signals beyond one version's verification: who builds each dependency (the
identity lock), whether its trust level fell (trust continuity), what a pull request brings
in unasked (new dependencies, new publishers) and how fast versions appear (bursts).

Pure functions of verified results, packuments and lockfiles; the rules that report them
live with the other policy rules.  Trust levels derive from verified certificates wherever
they can (`levels`); registry claims only ever separate levels above verified provenance.
"""

from __future__ import annotations

from auditor.signals.burst import Burst, publish_burst
from auditor.signals.identity_lock import (
    IdentityLock,
    IdentityLockError,
    LockCheck,
    LockedIdentity,
    check,
    dump_lock,
    load_lock,
    parse_lock,
    record,
)
from auditor.signals.levels import (
    Downgrade,
    claimed_level,
    find_downgrade,
    major_line,
    oidc_provider,
    publisher,
    trust_level,
)
from auditor.signals.newdeps import NewDependency, new_dependencies

__all__ = [
    "Burst",
    "Downgrade",
    "IdentityLock",
    "IdentityLockError",
    "LockCheck",
    "LockedIdentity",
    "NewDependency",
    "check",
    "claimed_level",
    "dump_lock",
    "find_downgrade",
    "load_lock",
    "major_line",
    "new_dependencies",
    "oidc_provider",
    "parse_lock",
    "publish_burst",
    "publisher",
    "record",
    "trust_level",
]
