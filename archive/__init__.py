"""The archive: database models, storage, importers, text normalisation, dedup, diff.

A pure library: it knows nothing of Scrapy, the web UI or the command line.
"""

from .db import Archive
from .document import Document
from .errors import (
    ArchiveCorrupt,
    ArchiveError,
    ArchiveMissing,
    DatabaseUnavailable,
    DiskFull,
    HomeNotWritable,
    InputError,
    NotFound,
)
from .store import Outcome, store_document

__all__ = [
    "Archive",
    "ArchiveCorrupt",
    "ArchiveError",
    "ArchiveMissing",
    "DatabaseUnavailable",
    "DiskFull",
    "Document",
    "HomeNotWritable",
    "InputError",
    "NotFound",
    "Outcome",
    "store_document",
]
