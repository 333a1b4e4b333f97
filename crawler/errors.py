"""Exceptions of the crawler package; the CLI turns them into one-line messages."""

from __future__ import annotations

from archive.errors import ArchiveError


class CrawlerError(ArchiveError):
    """Base class: something about a crawl or its configuration is wrong (exit 2)."""


class ProfileError(CrawlerError):
    """A site-profile file is missing, is not TOML, or has a bad key or value."""


class UnknownSite(CrawlerError):
    """A site key given on the command line is not among the configured profiles."""


class CrawlFailed(CrawlerError):
    """Scrapy could not start at all (bad settings, a reactor already used)."""

    exit_code = 1
