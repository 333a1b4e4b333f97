"""Checking a text or a URL against the archive: one path for ``fanzha check`` and the web.

``fetch``: the guarded URL fetcher (addresses, pinning, one deadline, size, concurrency).
``check``: ``run_check``, text or URL in, bounded near-duplicate matches out.
"""

from __future__ import annotations

from .check import fetcher_for, run_check, text_of_page
from .fetch import FetchBusy, Fetched, Fetcher, FetchRefused

__all__ = [
    "FetchBusy",
    "FetchRefused",
    "Fetched",
    "Fetcher",
    "fetcher_for",
    "run_check",
    "text_of_page",
]
