"""Scrapy settings of the distributed-crawl tests: the fixture settings with a timeout
long enough that a loaded machine's slow answer is not retried (a retry would count
as a second fetch of the page)."""

from tests.sites.settings import *  # noqa: F403

DOWNLOAD_TIMEOUT = 20
