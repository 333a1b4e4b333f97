"""What the routes read from the app's state: the archive (opened on first use), the
settings, the URL fetcher of "check"."""

from __future__ import annotations

import threading

from fastapi import Request

from archive import Archive

from ..checking import Fetcher
from ..config import Settings


class ArchiveHolder:
    """Opens the archive on first use (so the app starts even before the DB is up)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._archive: Archive | None = None
        self._lock = threading.Lock()

    def get(self) -> Archive:
        with self._lock:
            if self._archive is None:
                self._archive = self.settings.open_archive()
            return self._archive

    def close(self) -> None:
        with self._lock:
            if self._archive is not None:
                self._archive.close()
                self._archive = None


def archive_of(request: Request) -> Archive:
    return request.app.state.archive.get()


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def fetcher_of(request: Request) -> Fetcher:
    """The app's URL fetcher for "check" (one per app: its concurrency cap is shared)."""
    return request.app.state.fetcher
