"""Configuration from one place: CLI flags over environment variables over defaults.

``FANZHA_HOME`` / ``--home``: the data folder (default ``./fanzha-data``).
``FANZHA_DB`` / ``--db``: an SQLAlchemy URL (default SQLite in the home).
``FANZHA_WORKERS`` (or ``fanzha dedup --workers``, ``fanzha index --workers``): worker
processes of a large dedup run (default: one per core beside the main process, at most
two; 0: none) and of an index rebuild of 20,000 articles or more (default: one per
core, at most two; 0 or 1: the main process alone).
``FANZHA_WEB_THREADS``: requests a web server process works on at once (default 8).
Each thread keeps a searcher of its own; a searcher reads the index's segment files
in place (``search.whoosh_buffers``), so a thread adds its queries' working arrays, not
a copy of the index.
``FANZHA_BUSY_TIMEOUT``: seconds an SQLite writer waits for another one's lock before
the command fails (exit 3; default 30).
``FANZHA_ALLOW_PRIVATE_FETCH=1`` (or ``fanzha check --allow-private``): let "check"
fetch private, loopback and link-local addresses (off by default: the URLs given to
the check page and ``fanzha check`` are untrusted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archive import Archive

DEFAULT_HOME = "fanzha-data"


@dataclass(frozen=True)
class Settings:
    home: Path = field(default_factory=lambda: Path(DEFAULT_HOME))
    db_url: str | None = None
    sites_file: Path | None = None
    allow_private_fetch: bool = False
    fetch_timeout: float = 10.0  # seconds for a whole URL fetch of "check" (every hop)
    max_fetches: int = 4  # URL fetches of "check" running at once (more: refused)
    workers: int | None = None  # dedup and index rebuild worker processes; None: default
    busy_timeout: float = 30.0  # seconds an SQLite writer waits (archive.db.BUSY_TIMEOUT_S)
    web_threads: int = 8  # requests a web server process works on at once

    @classmethod
    def load(
        cls,
        home: str | Path | None = None,
        db: str | None = None,
        sites_file: str | Path | None = None,
    ) -> Settings:
        home = home or os.environ.get("FANZHA_HOME") or DEFAULT_HOME
        db = db or os.environ.get("FANZHA_DB") or None
        return cls(
            home=Path(home).expanduser(),
            db_url=db,
            sites_file=Path(sites_file) if sites_file else None,
            allow_private_fetch=_env_flag("FANZHA_ALLOW_PRIVATE_FETCH"),
            workers=_env_count("FANZHA_WORKERS"),
            busy_timeout=_env_seconds("FANZHA_BUSY_TIMEOUT", 30.0),
            web_threads=max(1, _env_count("FANZHA_WEB_THREADS", default=8)),
        )

    def open_archive(self) -> Archive:
        """Open (and migrate) the archive these settings name."""
        from archive import Archive

        return Archive.open(self.home, self.db_url, busy_timeout=self.busy_timeout)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment (``default`` when unset)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        from .errors import UsageError

        raise UsageError(f"{name}={value!r} is not a number of seconds (e.g. 30)")
    return seconds


def _env_count(name: str, default: int | None = None) -> int | None:
    """A non-negative whole number from the environment (``default`` when unset)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        from .errors import UsageError

        raise UsageError(f"{name}={value!r} is not a number of processes (0, 1, 2…)")
    return int(value)
