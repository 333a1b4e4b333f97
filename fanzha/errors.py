"""Application-level exceptions; the CLI maps each to a one-line message and exit code."""

from __future__ import annotations

from archive.errors import ArchiveError


class FanzhaError(ArchiveError):
    """Base class of the application's own errors (exit 2 unless said otherwise)."""


class UsageError(FanzhaError):
    """The command was called wrongly (bad option value, unknown site…)."""


class LockHeld(FanzhaError):
    """Another writer (nightly, crawl, dedup, index) holds the archive's lock."""

    exit_code = 3


class JobFailed(FanzhaError):
    """A job ran but part of it failed (a site down, a stage with errors)."""

    exit_code = 1
