"""Exceptions of the archive package; the CLI turns them into one-line messages."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class: something about the archive or its input is wrong."""

    exit_code = 2


class HomeNotWritable(ArchiveError):
    """The data folder cannot be created or written to."""


class DatabaseUnavailable(ArchiveError):
    """The database URL is malformed, or the server cannot be reached."""


class ArchiveMissing(ArchiveError):
    """A read command was pointed at a home (or SQLite file) holding no archive."""


class ArchiveCorrupt(DatabaseUnavailable):
    """The SQLite file is damaged (bad header, malformed page): restore or recover it.

    A kind of unavailable database: the web app answers 503, the CLI exits 2."""


class DiskFull(ArchiveError):
    """The disk holding the archive has no space left; nothing half-written was kept."""

    exit_code = 1


class InputError(ArchiveError):
    """A file or text given to the archive cannot be read or understood."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NotFound(ArchiveError):
    """An article, cluster or run named by the user does not exist."""


class UnknownFraudType(ArchiveError):
    """A fraud type named by the user (``--type``, ``type:``, ``?type=``) is not in the
    taxonomy under any name or alias (``archive.extract.relevance.resolve_type``)."""
