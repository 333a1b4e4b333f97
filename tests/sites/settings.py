"""Scrapy settings for crawls of the fixture sites: fast, short timeouts
(``SCRAPY_SETTINGS_MODULE=tests.sites.settings``)."""

from crawler.runner import LOCAL_SITES
from crawler.settings import *  # noqa: F403

globals().update(LOCAL_SITES)
DOWNLOAD_TIMEOUT = 2
RETRY_TIMES = 1
FANZHA_RETRY_BACKOFF_BASE = 0.05
FANZHA_BATCH_SECONDS = 0.2
