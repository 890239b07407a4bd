"""The error hierarchy.  Every error the user can cause derives from `AuditorError`.

The CLI turns an `AuditorError` into a one-line message and the exit code it names;
anything else escaping to the CLI is a bug.
"""

from __future__ import annotations


class AuditorError(Exception):
    """Base of all expected errors.  `exit_code` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(AuditorError):
    """Bad command-line usage or an unreadable input file."""


class LockfileError(AuditorError):
    """The lockfile cannot be read or is not an npm lockfile."""


class PolicyError(AuditorError):
    """The policy file is invalid.  The message names the key path."""


class ConfigError(AuditorError):
    """npm configuration is missing or unusable (no registry, bad .npmrc)."""


class TrustError(AuditorError):
    """Trust material (trusted root, npm keys) cannot be loaded."""
